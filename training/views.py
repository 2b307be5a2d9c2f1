"""Training pages for engineers: the dashboard, the launch form, a run's live page and its controls."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.roles import role_required
from annotations.models import Annotation
from training.forms import LaunchForm, presets
from training.jobs import SEQUENCE_ORDER
from training.live import dashboard_state, run_state
from training.models import ControlRefused, TrainingRun

CONTROLS = ("pause", "resume", "cancel")


@role_required("engineer")
def dashboard(request: HttpRequest) -> HttpResponse:
    # Reading only: dead workers' runs are reaped by the worker and the every-minute schedule.
    return render(request, "training/dashboard.html", {"state": dashboard_state()})


@role_required("engineer")
def launch(request: HttpRequest) -> HttpResponse:
    form = LaunchForm(request.POST or None)
    earlier = TrainingRun.objects.launched_from(request.POST.get("launch_token", "")) if request.method == "POST" else []
    if earlier:  # a double click, or the form sent again from the browser's history
        messages.info(
            request, f"This form was already sent: it queued run #{earlier[0].pk}, shown here. Open a new form to queue another run."
        )
        return redirect("training:run_detail", run_id=earlier[0].pk)
    if request.method == "POST" and form.is_valid():
        device = form.cleaned_data["device"]
        folds = form.cleaned_data.get("folds") or 0
        token = form.cleaned_data["launch_token"]
        runs = TrainingRun.objects.launch(
            form.model_types(), form.configs(), form.snapshots(), request.user, device=device, folds=folds, launch_token=token
        )
        for warning in form.warnings:
            messages.warning(request, warning)
        return redirect("training:run_detail", run_id=runs[0].pk)
    settings_fields = [form[f"{model_type}_settings"] for model_type in SEQUENCE_ORDER]
    context = {"form": form, "settings_fields": settings_fields, "presets": presets(), "pass_evidence": Annotation.objects.pass_evidence()}
    return render(request, "training/launch.html", context)


@role_required("engineer")
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(TrainingRun.objects.without_snapshot(), pk=run_id)
    sequence = list(TrainingRun.objects.without_snapshot().filter(sequence=run.sequence).order_by("sequence_index")) if run.sequence else []
    controls = [("pause", "Pause"), ("resume", "Resume"), ("cancel", "Cancel")]
    return render(request, "training/run.html", {"run": run, "state": run_state(run), "sequence": sequence, "controls": controls})


@require_POST
@role_required("engineer")
def control(request: HttpRequest, run_id: int, action: str) -> HttpResponse:
    if action not in CONTROLS:
        raise Http404("Unknown control.")
    run = get_object_or_404(TrainingRun, pk=run_id)
    try:
        run.request(action, request.user)
    except ControlRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("training:run_detail", run_id=run.pk)
