"""Pages of the review queue, pre-annotation, batch inspection and version comparison.

Thin: each view validates its input, calls one function of ``review.prediction``
or ``review.inspection`` and responds.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import has_role, role_required
from annotations.choices import ModelType
from annotations.models import Image
from core.inspection.verdicts import DEFAULT_RULE, RULE_LABELS, RULES
from core.labels import DEFECTS, VIEWS, defect_display
from core.params import parse_id
from registry.models import ModelVersion
from review.inspection import (
    INSPECTION,
    PREANNOTATION,
    FormAlreadySent,
    JobNotFound,
    JobStatus,
    job_dir,
    list_jobs,
    new_form_token,
    read_status,
    report_of,
    run_again_as,
    start_again,
    start_inspection,
    start_preannotation,
)
from review.prediction import PredictionUnavailable, ReviewRefused, pending_queryset, review, review_queue

QUEUE_LIMIT = 200
#: Wires and picture rows an inspection's page draws; the downloads hold them all (a library's inspection has tens of thousands).
JOB_ROWS_SHOWN = 500
LABEL_MAX_LENGTH = 200
DOWNLOADS = {
    "csv": ("report.csv", "text/csv"),
    "json": ("report.json", "application/json"),
    "xlsx": ("report.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def _version_choices(selected: dict[str, int | None] | None = None) -> dict[str, dict[str, Any]]:
    """What the forms offer: per model type only versions that exist, the active one named, what is missing said."""
    return ModelVersion.objects.order_by("-created_at").offered(selected)


def _chosen(request: HttpRequest) -> dict[str, int | None]:
    """Version ids picked in the form; an empty choice means the active one."""
    chosen: dict[str, int | None] = {}
    for model_type in (ModelType.DETECTION, ModelType.VIEW, ModelType.DEFECT):
        chosen[model_type] = parse_id(request.POST.get(f"version_{model_type}"))
    return chosen


def _threshold(request: HttpRequest) -> float:
    try:
        value = float(request.POST.get("conf", "0.25"))
    except ValueError:
        value = -1.0
    if not 0.0 < value < 1.0:
        raise PredictionUnavailable("The detection threshold must be a number between 0 and 1, for example 0.25.")
    return value


@role_required("annotator")
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    version_id = parse_id(request.GET.get("version"))
    context: dict[str, Any] = {
        "items": review_queue(version_id, limit=QUEUE_LIMIT),
        "total": pending_queryset(version_id).count(),
        "unannotated": Image.objects.unannotated().count(),
        "choices": (choices := _version_choices()),
        "ready": not any(offer["missing"] for offer in choices.values()),
        "jobs": list_jobs(PREANNOTATION, limit=5),
        "form_token": new_form_token(),
        "rates": ModelVersion.objects.correction_rates(),
        "defect_names": {d: defect_display(d) for d in DEFECTS},
    }
    return render(request, "review/queue.html", context)


@role_required("annotator")
@require_POST
def decide(request: HttpRequest, annotation_id: int) -> JsonResponse:
    try:
        annotation = review(annotation_id, request.POST.get("decision", ""), request.user, request.POST.get("note", ""))
    except ReviewRefused as error:
        return JsonResponse({"error": str(error)}, status=409)
    return JsonResponse({"id": annotation.pk, "review_state": annotation.review_state})


def _already_sent(request: HttpRequest, sent: FormAlreadySent, kind: str, what: str, where: str, again: str, page: str) -> HttpResponse:
    """The answer to a job form sent twice: the job it queued, or (still being queued) the page where it will appear."""
    if not sent.job_id:
        messages.info(request, f"This form was already sent; its {what} is being queued and appears {where}.")
        return redirect(page)
    messages.info(request, f"This form was already sent: it queued {what} {sent.job_id}, shown here. {again}")
    return redirect("review:job", kind=kind, job_id=sent.job_id)


@role_required("engineer")
@require_POST
def preannotate(request: HttpRequest) -> HttpResponse:
    try:
        ids = list(Image.objects.unannotated().order_by("pk").values_list("pk", flat=True))
        status = start_preannotation(
            image_ids=ids,
            chosen=_chosen(request),
            conf_threshold=_threshold(request),
            user=request.user,
            form_token=request.POST.get("form_token", ""),
        )
    except FormAlreadySent as sent:  # a double click, or the form sent again from the browser's history
        again = "Open the review page again to pre-annotate more."
        return _already_sent(request, sent, PREANNOTATION, "pre-annotation", "in the list below", again, "review:queue")
    except PredictionUnavailable as error:
        messages.error(request, str(error))
        return redirect("review:queue")
    messages.success(request, f"Pre-annotation of {status.total} pictures is queued; the queue fills as the worker goes.")
    return redirect("review:job", kind=PREANNOTATION, job_id=status.id)


def _filtered_images(request: HttpRequest) -> list[int]:
    images = Image.objects.all()
    if group := request.POST.get("wire_group", "").strip():
        images = images.filter(wire_group=group)
    if view := request.POST.get("view", ""):
        images = images.filter(view=view)
    if name := request.POST.get("name", "").strip():
        images = images.filter(original_name__icontains=name)
    if request.POST.get("unannotated"):
        images = images.unannotated()
    return list(images.order_by("pk").values_list("pk", flat=True))


@role_required("engineer")
def inspect(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            chosen, conf_threshold = _chosen(request), _threshold(request)
            label = request.POST.get("label", "").strip()
            if len(label) > LABEL_MAX_LENGTH:  # it is written with every progress step and read by every job list
                raise PredictionUnavailable(f"The label is {len(label)} characters long; keep it to {LABEL_MAX_LENGTH}.")
            rule = request.POST.get("rule", DEFAULT_RULE)
            if rule not in RULES:
                choices = ", ".join(f"{name} ({RULE_LABELS[name]})" for name in RULES)
                raise PredictionUnavailable(f"Unknown wire verdict rule {rule!r}; choose how the two views combine: {choices}.")
            upload = request.FILES.get("archive")
            if upload is not None:
                status = start_inspection(
                    archive=upload,
                    archive_name=upload.name or "upload.zip",
                    rule=rule,
                    chosen=chosen,
                    conf_threshold=conf_threshold,
                    user=request.user,
                    label=label,
                    form_token=request.POST.get("form_token", ""),
                )
            else:
                status = start_inspection(
                    image_ids=_filtered_images(request),
                    rule=rule,
                    chosen=chosen,
                    conf_threshold=conf_threshold,
                    user=request.user,
                    label=label,
                    form_token=request.POST.get("form_token", ""),
                )
        except FormAlreadySent as sent:  # a double click, or the form sent again from the browser's history
            again = "Open the Inspect page again to start another."
            return _already_sent(request, sent, INSPECTION, "inspection", "under Recent inspections", again, "review:inspect")
        except PredictionUnavailable as error:
            # Said on the same page, with every choice the user made kept (lot, view, rule, label, versions).
            messages.error(request, str(error))
            return _inspect_page(request, _chosen(request), request.POST.dict(), status=400)
        return redirect("review:job", kind=INSPECTION, job_id=status.id)
    return _inspect_page(request, {}, {})


def _inspect_page(request: HttpRequest, selected: dict[str, int | None], values: dict[str, str], status: int = 200) -> HttpResponse:
    context = {
        "choices": (choices := _version_choices(selected)),
        "ready": not any(offer["missing"] for offer in choices.values()),
        "values": values,
        "form_token": new_form_token(),
        "jobs": list_jobs(INSPECTION),
        "groups": Image.objects.order_by("wire_group").values_list("wire_group", flat=True).distinct(),
        "views": VIEWS,
        "rules": [(rule, RULE_LABELS[rule]) for rule in RULES],
        "default_rule": values.get("rule", DEFAULT_RULE),
    }
    return render(request, "review/inspect.html", context, status=status)


def _status_or_404(kind: str, job_id: str) -> JobStatus:
    if kind not in (INSPECTION, PREANNOTATION):
        raise Http404("No such job kind.")
    try:
        return read_status(kind, job_id)
    except JobNotFound:
        raise Http404("This job does not exist (any more).") from None


@role_required("annotator")
def job(request: HttpRequest, kind: str, job_id: str) -> HttpResponse:
    status = _status_or_404(kind, job_id)
    context: dict[str, Any] = {"status": status, "kind": kind, "can_run_again": has_role(request.user, "engineer")}
    if status.state == "failed":
        context["again_as"] = run_again_as(kind, job_id)
    if kind == INSPECTION and status.state == "done":
        try:
            report = report_of(job_id)
        except JobNotFound:
            context["report_missing"] = "This inspection's report is gone or damaged; run the inspection again on the Inspect page."
            return render(request, "review/job.html", context)
        rows = report.rows()
        context.update(
            report=report,
            counts=report.counts(),
            wires=report.wires[:JOB_ROWS_SHOWN],
            rows=rows[:JOB_ROWS_SHOWN],
            row_total=len(rows),
            shown=JOB_ROWS_SHOWN,
            cut=len(report.wires) > JOB_ROWS_SHOWN or len(rows) > JOB_ROWS_SHOWN,
            others=[j for j in list_jobs(INSPECTION) if j.id != job_id and j.state == "done"],
        )
    return render(request, "review/job.html", context)


@role_required("engineer")
@require_POST
def job_again(request: HttpRequest, kind: str, job_id: str) -> HttpResponse:
    """Run a failed job again (same pictures, models and settings) as a new job, and show that one."""
    _status_or_404(kind, job_id)
    try:
        status = start_again(kind, job_id, user=request.user)
    except PredictionUnavailable as error:
        messages.error(request, str(error))
        return redirect("review:job", kind=kind, job_id=job_id)
    messages.info(request, f"Started again as {status.id}.")
    return redirect("review:job", kind=kind, job_id=status.id)


@role_required("annotator")
def job_status(request: HttpRequest, kind: str, job_id: str) -> JsonResponse:
    return JsonResponse(_status_or_404(kind, job_id).as_dict())


@role_required("annotator")
def download(request: HttpRequest, job_id: str, fmt: str) -> FileResponse:
    if fmt not in DOWNLOADS:
        raise Http404("Download CSV, JSON or xlsx.")
    try:
        path = job_dir(INSPECTION, job_id) / DOWNLOADS[fmt][0]
    except JobNotFound:
        raise Http404("This job does not exist.") from None
    if not path.is_file():
        raise Http404("This report is not ready yet.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"inspection-{job_id}.{fmt}", content_type=DOWNLOADS[fmt][1])


@role_required("annotator")
@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """Two inspection reports side by side, wire by wire (run the same pictures with two version sets)."""
    try:
        left, right = report_of(request.GET.get("a", "")), report_of(request.GET.get("b", ""))
    except JobNotFound:
        raise Http404("Choose two finished inspections to compare.") from None
    left_wires, right_wires = left.wire_of(), right.wire_of()
    # Every wire of either inspection: one only B inspected differs as much as one only A did.
    wire_ids = [*left_wires, *(wire_id for wire_id in right_wires if wire_id not in left_wires)]
    rows: list[dict[str, Any]] = []
    for wire_id in wire_ids:
        wire, other = left_wires.get(wire_id), right_wires.get(wire_id)
        differs = wire is None or other is None or other.verdict != wire.verdict
        rows.append({"wire_id": wire_id, "wire": wire, "other": other, "differs": differs})
    # A page of wires, those that differ first (what a comparison is for); the two reports' downloads hold them all.
    rows.sort(key=lambda row: not row["differs"])
    context = {
        "left": left,
        "right": right,
        "rows": rows[:JOB_ROWS_SHOWN],
        "wire_total": len(rows),
        "shown": JOB_ROWS_SHOWN,
        "not_shown": max(len(rows) - JOB_ROWS_SHOWN, 0),
        "a": request.GET["a"],
        "b": request.GET["b"],
        "differing": sum(r["differs"] for r in rows),
    }
    return render(request, "review/compare.html", context)
