"""Browser pages for import (upload or server folder -> labels -> mapping -> dry run -> apply) and export."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.roles import role_required
from accounts.users import recorded_user
from annotations.models import LabelMapping
from core.jsonfile import write_atomically
from core.labels import DEFECTS, VIEWS, defect_display
from core.safepath import safe_part, wire_group_problem
from interop.apply import ImportRefused, apply_plan, plan_import, safe_folder
from interop.dataset import ForeignDataset, FormatError
from interop.export import EXPORT_FORMATS, export_zip, select
from interop.jobs import discard, jobs_dir
from interop.mapping import clean, suggest
from interop.reading import FORMAT_NAMES, format_problem, read_source
from interop.sources import ensure_room, prepare


def _job(request: HttpRequest, job_id: str) -> tuple[Path, dict[str, Any]]:
    """An import job of this user: its folder and its state (source, format, mapping)."""
    try:
        folder = jobs_dir() / uuid.UUID(job_id).hex
    except ValueError:
        raise Http404("No such import.") from None
    state_file = folder / "job.json"
    if not state_file.is_file():
        raise Http404("This import has expired; start again.")
    state = json.loads(state_file.read_text(encoding="utf-8"))
    if state["user"] != request.user.pk:
        raise Http404("No such import.")
    return folder, state


def _save(folder: Path, state: dict[str, Any]) -> None:
    write_atomically(folder / "job.json", state)


def _read(state: dict[str, Any]) -> ForeignDataset:
    pictures = Path(state["pictures"]) if state.get("pictures") else None
    return read_source(Path(state["source"]), state["format"], pictures)


@role_required("annotator")
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file or zip, or name a folder under the import root."""
    # Only administrators see where the import folder is on the server; others are told whom to ask.
    import_root = str(settings.IMPORT_ROOT) if getattr(request.user, "is_staff", False) else ""
    context: dict[str, Any] = {"formats": FORMAT_NAMES, "import_root": import_root}
    if request.method == "GET":
        return render(request, "interop/import_start.html", context)
    wire_group = request.POST.get("wire_group", "").strip()
    format_name = request.POST.get("format", "auto")
    if problem := wire_group_problem(wire_group) or format_problem(format_name):
        context["error"] = problem
        return render(request, "interop/import_start.html", context, status=400)
    job_id = uuid.uuid4().hex
    folder = jobs_dir() / job_id
    folder.mkdir(parents=True)
    upload = request.FILES.get("file")
    try:
        if upload is not None:
            size = upload.size or 0
            if size > settings.UPLOAD_MAX_BYTES * 20:
                raise ImportRefused("The upload is too large; put the files in the import folder on the server instead.")
            ensure_room(folder, size)
            target = folder / "upload" / safe_part(Path(upload.name or "upload").name)
            target.parent.mkdir()
            with target.open("wb") as sink:
                for chunk in upload.chunks():
                    sink.write(chunk)
            source = prepare(target, folder)
        elif request.POST.get("folder", "").strip():
            source = safe_folder(request.POST["folder"])
        else:
            raise ImportRefused("Choose a file or zip to upload, or name a folder inside the import folder.")
        pictures = str(safe_folder(request.POST["pictures"])) if request.POST.get("pictures", "").strip() else ""
        state: dict[str, Any] = {"user": request.user.pk, "source": str(source), "format": format_name, "pictures": pictures}
        dataset = _read(state)
    except (ImportRefused, FormatError) as error:
        discard(folder)
        if isinstance(error, FormatError) and upload is not None:
            error = error.named_as(folder / "unpacked", upload.name or "the upload")
        context["error"] = str(error)
        return render(request, "interop/import_start.html", context, status=400)
    except BaseException:
        discard(folder)  # nothing of a failed start may stay on the disk
        raise
    state.update(format=dataset.format, mapping=suggest(dataset), clip=True, wire_group=wire_group)
    _save(folder, state)
    return redirect("interop:import_map", job_id=job_id)


def _mapping_from_post(request: HttpRequest, dataset: ForeignDataset) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "labels": {},
        "attributes": {},
        "default_view": request.POST.get("default_view", ""),
        "default_defect": request.POST.get("default_defect", ""),
    }
    for section, keys in (("labels", dataset.label_counts()), ("attributes", dataset.attribute_counts())):
        for index, key in enumerate(keys):
            defect = request.POST.get(f"{section}-{index}-defect", "")
            raw[section][key] = {
                "view": request.POST.get(f"{section}-{index}-view", ""),
                "defect": "" if defect == "skip" else defect,
                "skip": defect == "skip",
            }
    return clean(raw)


@role_required("annotator")
@require_http_methods(["GET", "POST"])
def import_map(request: HttpRequest, job_id: str) -> HttpResponse:
    """Step 2: the labels and attributes found, each mapped to a defect and/or view or skipped; then the dry run."""
    folder, state = _job(request, job_id)
    dataset = _read(state)
    mapping = state["mapping"]
    if request.method == "POST" and request.POST.get("load"):
        saved = LabelMapping.objects.filter(pk=request.POST["load"]).first()
        if saved is not None:
            for section in ("labels", "attributes"):
                mapping[section].update(saved.mapping.get(section, {}))
            mapping["default_view"] = saved.mapping.get("default_view", "")
            mapping["default_defect"] = saved.mapping.get("default_defect", "")
            state["mapping"] = mapping
            _save(folder, state)
    elif request.method == "POST":
        try:
            mapping = _mapping_from_post(request, dataset)
        except ValueError as error:
            messages.error(request, str(error))
            return redirect("interop:import_map", job_id=job_id)
        state.update(mapping=mapping, clip=request.POST.get("outside") != "skip")
        if request.POST.get("save_as", "").strip():
            LabelMapping.objects.update_or_create(
                name=request.POST["save_as"].strip(),
                defaults={"mapping": mapping, "source_format": dataset.format, "created_by": recorded_user(request.user)},
            )
        _save(folder, state)
        plan = plan_import(dataset, clean(mapping), clip=state["clip"], wire_group=state["wire_group"])
        return render(request, "interop/import_report.html", {"job_id": job_id, "plan": plan, "dataset": dataset, "clip": state["clip"]})
    rows = {
        section: [
            {"index": index, "key": key, "count": count, **mapping[section].get(key, {"view": "", "defect": "", "skip": False})}
            for index, (key, count) in enumerate(counts.items())
        ]
        for section, counts in (("labels", dataset.label_counts()), ("attributes", dataset.attribute_counts()))
    }
    return render(
        request,
        "interop/import_map.html",
        {
            "job_id": job_id,
            "dataset": dataset,
            "rows": rows,
            "mapping": mapping,
            "views": VIEWS,
            "defects": [(d, defect_display(d)) for d in DEFECTS],
            "saved": LabelMapping.objects.all(),
            "format_name": FORMAT_NAMES.get(dataset.format, dataset.format),
            "pictures_found": sum(1 for image in dataset.images if image.picture is not None),
        },
    )


@role_required("annotator")
@require_http_methods(["POST"])
def import_apply(request: HttpRequest, job_id: str) -> HttpResponse:
    """Step 3: the same plan again, applied in one transaction."""
    folder, state = _job(request, job_id)
    plan = plan_import(_read(state), clean(state["mapping"]), clip=state["clip"], wire_group=state["wire_group"])
    if not plan.box_count:
        messages.error(request, "Nothing would come in: every box is skipped. Change the mapping, or cancel the import.")
        return redirect("interop:import_map", job_id=job_id)
    result = apply_plan(plan, request.user)
    discard(folder)
    messages.success(
        request,
        f"Imported {result.boxes_created} boxes and {result.pictures_created} new pictures; {result.skipped} boxes were skipped. "
        "They are shown here, newest first.",
    )
    # The library, narrowed to the lot the import went into when there was one: the imported pictures come first.
    library = reverse("annotations:library")
    group = state["wire_group"].strip("/")
    return redirect(f"{library}?{urlencode({'group': group})}" if group else library)


@role_required("annotator")
@require_http_methods(["POST"])
def import_cancel(request: HttpRequest, job_id: str) -> HttpResponse:
    """Leave an import: its upload and unpacked files are removed at once."""
    folder, _state = _job(request, job_id)
    discard(folder)
    messages.info(request, "The import was cancelled; nothing was imported and its files were removed.")
    return redirect("interop:import_start")


@role_required("annotator")
@require_http_methods(["GET", "POST"])
def export_view(request: HttpRequest) -> HttpResponseBase:
    """Filters and a format -> a zip download."""
    context = {"formats": EXPORT_FORMATS, "views": VIEWS, "defects": [(d, defect_display(d)) for d in DEFECTS]}
    if request.method == "GET":
        return render(request, "interop/export.html", context)
    format_name = request.POST.get("format", "")
    if format_name not in EXPORT_FORMATS:
        context["error"] = "Choose an export format."
        return render(request, "interop/export.html", context, status=400)
    images = select(
        view=request.POST.get("view", "") if request.POST.get("view") in VIEWS else "",
        defect=request.POST.get("defect", "") if request.POST.get("defect") in DEFECTS else "",
        wire_group=request.POST.get("wire_group", "").strip(),
        name=request.POST.get("name", "").strip(),
        for_training=request.POST.get("all_boxes") != "on",
    )
    if not images.exists():
        context["error"] = "No boxes match these filters; widen them and try again."
        return render(request, "interop/export.html", context, status=400)
    handle = tempfile.NamedTemporaryFile(prefix="wiresag-export-", suffix=".zip", delete=False)  # noqa: SIM115
    handle.close()
    target = export_zip(images, format_name, Path(handle.name), include_pictures=request.POST.get("labels_only") != "on")
    response = FileResponse(target.open("rb"), as_attachment=True, filename=f"wiresag-{format_name}.zip")
    target.unlink()  # the open handle keeps the data readable until the response is sent
    return response
