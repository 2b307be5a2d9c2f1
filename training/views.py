"""Training pages for engineers: the dashboard, the launch form, a run's live page and its controls."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.roles import role_required
from training import jobs
from training.forms import LaunchForm, presets
from training.live import dashboard_state, run_state
from training.models import TrainingRun

CONTROLS = {"cancel": jobs.request_cancel, "pause": jobs.request_pause, "resume": jobs.request_resume}


@role_required("engineer")
def dashboard(request: HttpRequest) -> HttpResponse:
    # Loading the dashboard is one of the moments a dead worker's run is noticed.
    jobs.reap_expired()
    return render(request, "training/dashboard.html", {"state": dashboard_state()})


@role_required("engineer")
def launch(request: HttpRequest) -> HttpResponse:
    form = LaunchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        runs = jobs.create_runs(form.model_types(), form.configs(), form.snapshots(), request.user, device=form.cleaned_data["device"])
        for warning in form.warnings:
            messages.warning(request, warning)
        return redirect("training:run_detail", run_id=runs[0].pk)
    settings_fields = [form[f"{model_type}_settings"] for model_type in jobs.SEQUENCE_ORDER]
    return render(request, "training/launch.html", {"form": form, "settings_fields": settings_fields, "presets": presets()})


@role_required("engineer")
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(TrainingRun, pk=run_id)
    sequence = list(TrainingRun.objects.filter(sequence=run.sequence).order_by("sequence_index")) if run.sequence else []
    controls = [("pause", "Pause"), ("resume", "Resume"), ("cancel", "Cancel")]
    return render(request, "training/run.html", {"run": run, "state": run_state(run), "sequence": sequence, "controls": controls})


@require_POST
@role_required("engineer")
def control(request: HttpRequest, run_id: int, action: str) -> HttpResponse:
    if action not in CONTROLS:
        raise Http404("Unknown control.")
    run = get_object_or_404(TrainingRun, pk=run_id)
    try:
        CONTROLS[action](run, request.user)
    except jobs.ControlRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("training:run_detail", run_id=run.pk)
