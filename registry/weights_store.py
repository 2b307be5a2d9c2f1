"""The weights store: the only files a training run may start from.

Two kinds of file qualify: a registered model version (its file and sha256
were recorded at registration) and a file an engineer or admin uploaded on the
weights page (recorded with its sha256 and uploader). A run's ``weights``
setting names one as ``version:<id>`` or ``upload:<id>``; :func:`starting_weights`
turns that into the path and checksum the Django-free trainer verifies just
before it loads the bytes (``core.training.startweights``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import uuid
import zipfile
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.users import Actor, recorded_user
from annotations.choices import ModelType
from core.training.config import ConfigError, parse_weights_reference
from core.training.startweights import StartingWeights, WeightsRefused, detector_tensors, state_dict_from_bytes
from registry.models import ModelVersion, WeightsFile
from registry.versions import ModelFileMissing, RegistryError, StartingWeightsInUse, file_of, models_dir
from training.models import TrainingRun
from training.weights_sources import WeightsUnavailable

logger = logging.getLogger("wiresag.registry")

UPLOADS = "uploads"
#: The largest starting-weights file accepted (a YOLOv8x .pt is about 140 MB).
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


def kind_for(model_type: str) -> str:
    """The kind of starting weights a model type needs: a YOLO file for detection, a state dict for the classifiers."""
    return WeightsFile.Kind.DETECTION if model_type == ModelType.DETECTION else WeightsFile.Kind.CLASSIFIER


def upload_path(upload: WeightsFile) -> Path:
    """The absolute path of an uploaded file, refusing any path that leaves the uploads folder."""
    root = (models_dir() / UPLOADS).resolve()
    path = (models_dir() / upload.file_path).resolve()
    if root not in path.parents:
        raise ModelFileMissing(f"{upload.reference} points outside the uploads folder ({upload.file_path}); delete it and upload again.")
    return path


def _check_content(path: Path, kind: str, name: str) -> None:
    """Refuse a file the trainer could not start from, without ever unpickling it."""
    if kind == WeightsFile.Kind.CLASSIFIER:
        try:
            state_dict_from_bytes(path.read_bytes(), name)  # weights_only=True: tensors and plain values only
        except WeightsRefused as error:
            raise RegistryError(str(error)) from None
    elif not zipfile.is_zipfile(path):
        raise RegistryError(
            f"{name} is not a PyTorch .pt file (torch.save writes a zip archive); upload the detector's best.pt or last.pt."
        )
    else:
        try:
            detector_tensors(path, name)  # only layers and tensors may be in it, and only its tensors are ever used
        except WeightsRefused as error:
            raise RegistryError(str(error)) from None


def store_upload(uploaded: UploadedFile, kind: str, user: Actor, note: str = "") -> WeightsFile:
    """Keep an uploaded starting-weights file under ``MODELS_DIR/uploads/`` with its sha256 and uploader.

    The file is written before its row (through a temp file) and removed again when the row cannot be written.
    """
    if kind not in WeightsFile.Kind.values:
        raise RegistryError(f"Unknown kind {kind!r}: use one of {', '.join(WeightsFile.Kind.values)}.")
    name = Path(uploaded.name or "weights.pt").name
    if not name.endswith(".pt") and not name.endswith(".pth"):
        raise RegistryError(f"{name} is not a .pt or .pth file; upload the weights PyTorch saved.")
    if uploaded.size is not None and uploaded.size > MAX_UPLOAD_BYTES:
        raise RegistryError(f"{name} is larger than {MAX_UPLOAD_BYTES // 2**20} MB; upload a smaller weights file.")
    folder = models_dir() / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".incoming-", suffix=".part", delete=False)
    temporary = Path(handle.name)
    relative = f"{UPLOADS}/{uuid.uuid4().hex}.pt"
    target = models_dir() / relative
    try:
        with handle:
            for chunk in uploaded.chunks():
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise RegistryError(f"{name} is larger than {MAX_UPLOAD_BYTES // 2**20} MB; upload a smaller weights file.")
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        _check_content(temporary, kind, name)
        os.replace(temporary, target)
        with transaction.atomic():
            upload = WeightsFile.objects.create(
                kind=kind,
                original_name=name[:255],
                file_path=relative,
                sha256=digest.hexdigest(),
                size=size,
                note=note.strip()[:500],
                uploaded_by=recorded_user(user),
            )
    except BaseException:
        temporary.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise
    logger.info("Stored starting weights %s (%s, %s) from %s", upload.reference, name, upload.sha256[:12], user)
    return upload


def upload_deletion_problem(upload: WeightsFile) -> str:
    """Why ``upload`` must stay now (an unfinished run starts from it), or ""; :func:`delete_upload` refuses with it."""
    if waiting := TrainingRun.objects.starting_from("upload", upload.pk):
        return (
            f"{upload.reference} ({upload.original_name}) is the starting weights of run #{waiting[0].pk} "
            f"({waiting[0].get_status_display().lower()}), which loads them again when it starts or resumes; let that run "
            "finish (or cancel it), then delete the upload."
        )
    return ""


def upload_file_kept_reason(upload: WeightsFile, *, ahead: bool = False) -> str:
    """Why deleting ``upload`` leaves no file removed (its path leaves the uploads folder, it is gone already), or "".

    ``ahead``: the sentence for a page that asks first ("will be left alone"), not for the message after.
    """
    try:
        path = upload_path(upload)
    except ModelFileMissing:
        left = "will be left alone" if ahead else "was left alone"
        return (
            f"its file {left}, because its path ({upload.file_path}) points outside the uploads folder; remove that file by "
            "hand if nothing else needs it."
        )
    if not path.exists():
        return f"its file {upload.file_path} {'is' if ahead else 'was'} already missing from the models folder."
    return ""


def delete_upload(upload: WeightsFile) -> str:
    """Delete an upload's row and, once that commits, its file; return the sentence saying what happened to both.

    Refused while an unfinished run starts from it; the file stays where its path leaves the uploads folder.
    """
    kept = upload_file_kept_reason(upload)
    path = None if kept else upload_path(upload)
    with transaction.atomic():
        if problem := upload_deletion_problem(upload):
            raise StartingWeightsInUse(problem)
        WeightsFile.objects.filter(pk=upload.pk).delete()
        if path is not None:
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
    named = f"{upload.reference} ({upload.original_name})"
    return f"Deleted {named}; {kept}" if kept else f"Deleted {named} and its file."


def starting_weights(reference: str, model_type: str) -> StartingWeights:
    """The store file ``reference`` names, for a run of ``model_type``; refused with a sentence when it does not fit.

    The checksum is not computed here: the trainer hashes the bytes it loads, right before loading them.
    """
    try:
        source, pk = parse_weights_reference(reference)
    except ConfigError as error:
        raise RegistryError(str(error)) from None
    needed = kind_for(model_type)
    if source == "version":
        version = ModelVersion.objects.filter(pk=pk).first()
        if version is None:
            raise RegistryError(f"No model version has id {pk} (weights: {reference}); pick one on the Models page.")
        if kind_for(version.model_type) != needed:
            raise RegistryError(
                f"{version.name} is a {version.model_type} model and cannot start a {model_type} model; "
                f"choose a {'detection' if needed == WeightsFile.Kind.DETECTION else 'view or defect'} version."
            )
        path, sha256, label, stored = file_of(version), version.sha256, version.name, version.file_path
        architecture = str(version.config.get("model" if needed == WeightsFile.Kind.DETECTION else "architecture") or "")
    else:
        upload = WeightsFile.objects.filter(pk=pk).first()
        if upload is None:
            raise RegistryError(f"No uploaded weights file has id {pk} (weights: {reference}); see the weights page for the names.")
        if upload.kind != needed:
            raise RegistryError(
                f"{upload.reference} ({upload.original_name}) holds {upload.get_kind_display().lower()} weights "
                f"and cannot start a {model_type} model; upload a file of the right kind."
            )
        path, sha256, label, architecture = upload_path(upload), upload.sha256, upload.original_name, ""
        stored = upload.file_path
    if not path.is_file():  # named as the row stores it, not by a path on the server
        raise ModelFileMissing(
            f"The file of {reference} ({label}) is missing from the models folder ({stored}); upload it again or choose another."
        )
    return StartingWeights(reference.strip(), path, sha256, label, architecture)


def store_lookup(reference: str, model_type: str) -> StartingWeights:
    """:func:`starting_weights` in the terms training asks in (``training.weights_sources``)."""
    try:
        return starting_weights(reference, model_type)
    except RegistryError as error:
        raise WeightsUnavailable(str(error)) from None
