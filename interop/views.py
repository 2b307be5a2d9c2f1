"""Browser pages for import (upload or server folder -> labels -> mapping -> dry run -> apply) and export."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from accounts.roles import role_required
from accounts.users import recorded_user
from annotations.models import LabelMapping
from core.filejobs import JobNotFound, JobRefused, JobStatus
from core.jsonfile import write_atomically
from core.labels import DEFECTS, VIEWS, defect_display
from core.params import parse_id
from core.safepath import safe_part, wire_group_problem
from interop import exports
from interop.apply import ImportRefused, apply_plan, plan_import, safe_folder
from interop.dataset import ForeignDataset, FormatError
from interop.export import EXPORT_FORMATS
from interop.jobs import apply_lock, discard, jobs_dir
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
        saved_id = parse_id(request.POST["load"])
        saved = LabelMapping.objects.filter(pk=saved_id).first() if saved_id is not None else None
        if saved is None:
            messages.error(request, "That saved mapping no longer exists; choose another from the list.")
        else:
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
        name = request.POST.get("save_as", "").strip()
        if name and (refused := LabelMapping.objects.save_as(name, mapping, dataset.format, request.user)):
            messages.error(request, f"{refused} The dry run below uses your mapping.")
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
    with apply_lock(folder) as held:  # one apply per import: a double click or a second tab must not bring every box in twice
        if not held:
            messages.info(request, "This import is already being applied (a second click); its pictures appear here when it is done.")
            return redirect("annotations:library")
        try:
            plan = plan_import(_read(state), clean(state["mapping"]), clip=state["clip"], wire_group=state["wire_group"])
            if not plan.box_count:
                messages.error(request, "Nothing would come in: every box is skipped. Change the mapping, or cancel the import.")
                return redirect("interop:import_map", job_id=job_id)
            result = apply_plan(plan, request.user)
        except OSError as error:  # a full disk: the transaction rolled back and the stored files were removed
            messages.error(
                request,
                f"Nothing was imported: the server could not write the pictures ({error.strerror or error}). "
                "Free disk space (or ask an administrator to), then press Apply again; the import is kept.",
            )
            return redirect("interop:import_map", job_id=job_id)
        discard(folder)
    done = f"Imported {result.boxes_created} boxes and {result.pictures_created} new pictures; {result.skipped} boxes were skipped."
    shown = "They are shown here, newest first."
    messages.success(request, " ".join(part for part in (done, result.settled_sentence(), shown) if part))
    if changed := result.changed_sentence():
        messages.warning(request, changed)
    if result.damaged:
        named = "; ".join(f"{name}: {reason}" for name, reason in result.damaged[:5])
        more = f" and {len(result.damaged) - 5} more" if len(result.damaged) > 5 else ""
        messages.warning(
            request,
            f"{len(result.damaged)} pictures could not be read and were left out with their boxes ({named}{more}). "
            "Export them again from their source and import them on their own.",
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
    """Filters and a format -> a queued export job (its page shows the progress and then the download)."""
    values = {key: request.POST.get(key, "") for key in ("format", "view", "defect", "wire_group", "name", "all_boxes", "labels_only")}
    context = {
        "formats": EXPORT_FORMATS,
        "views": VIEWS,
        "defects": [(d, defect_display(d)) for d in DEFECTS],
        "values": values,
        "jobs": exports.recent(),
        "expire_hours": settings.EXPORT_EXPIRE_HOURS,
    }
    if request.method == "GET":
        return render(request, "interop/export.html", context)
    filters = {
        "view": values["view"] if values["view"] in VIEWS else "",
        "defect": values["defect"] if values["defect"] in DEFECTS else "",
        "wire_group": values["wire_group"].strip(),
        "name": values["name"].strip(),
    }
    try:
        status = exports.start_export(
            filters,
            values["format"],
            include_pictures=values["labels_only"] != "on",
            for_training=values["all_boxes"] != "on",
            user=recorded_user(request.user),
        )
    except JobRefused as refusal:
        context["error"] = str(refusal)
        return render(request, "interop/export.html", context, status=400)
    return redirect("interop:export_job", job_id=status.id)


def _export_status(job_id: str) -> JobStatus:
    try:
        return exports.status_of(job_id)
    except JobNotFound:
        raise Http404("This export does not exist (any more): exports are kept for a day. Start it again.") from None


@role_required("annotator")
@require_GET
def export_job(request: HttpRequest, job_id: str) -> HttpResponse:
    return render(request, "interop/export_job.html", {"status": _export_status(job_id)})


@role_required("annotator")
@require_GET
def export_status(request: HttpRequest, job_id: str) -> JsonResponse:
    return JsonResponse(_export_status(job_id).as_dict())


@role_required("annotator")
@require_safe  # HEAD too, as every download: a download manager asks it for the size and the name
def export_download(request: HttpRequest, job_id: str) -> FileResponse:
    status = _export_status(job_id)
    try:
        path = exports.zip_of(job_id)
    except FileNotFoundError:
        raise Http404("This export is not ready yet; its page shows how far it got.") from None
    return FileResponse(path.open("rb"), as_attachment=True, filename=exports.download_name(status), content_type="application/zip")
