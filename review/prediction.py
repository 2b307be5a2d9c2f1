"""Pre-annotation by the models, the review queue and the review decisions.

The models' boxes are stored as ordinary annotations with ``source=model`` and
``review_state=pending``, the three versions that made them and their
confidences and thresholds, so a picture's page shows who or what labelled it.
A person then accepts, corrects (on the annotation page, which marks an edited
model box *corrected*) or rejects each box; every decision is one
``AnnotationChange`` with action ``review``.

The queue shows the riskiest boxes first (see :func:`review_queue`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, F, FloatField, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Least

from accounts.users import Actor, recorded_user
from annotations.choices import ModelType, ReviewState, Source
from annotations.models import Annotation, AnnotationChange, Image
from core.imaging.pictures import DEFAULT_CONF_THRESHOLD, ModelUnavailable, PictureInput
from core.inspection.verdicts import DEFAULT_RULE, BoxPrediction, PictureResult, verdict_rule
from registry.models import ModelVersion
from registry.versions import RegistryError, active_versions, load_checkpoint_path, slot_key

if TYPE_CHECKING:
    from core.inspection.inference import InferencePipeline

logger = logging.getLogger("wiresag.prediction")

#: A box whose least sure stage (detection, view or defect) is below this is in the queue's "low confidence" tier.
LOW_CONFIDENCE = 0.6
#: The review queue's tiers, riskiest first: a box falls in the first that holds for it, else in "routine". Chosen on
#: real pictures (``bench/bench_review_order.py``): a box whose wire's views disagree is wrong more often than one that
#: is merely unsure, and on real X-rays nearly every box is below ``LOW_CONFIDENCE``, so that tier orders nothing first.
RISK_TIERS: tuple[str, ...] = ("views disagree", "low confidence", "rare class (PASS)")
ROUTINE = "routine"


class PredictionUnavailable(Exception):
    """No usable model set: a slot is empty, or a file is missing or changed. The message says what to do."""


# --- choosing and loading versions -----------------------------------------------------------


def choose_versions(chosen: Mapping[str, int | None] | None = None) -> dict[str, ModelVersion]:
    """The model set to run, keyed by slot (``detection``, ``view``, ``defect``, ``defect/TOP``...).

    Starts from the active versions; a version chosen for a type (by id) replaces
    that type's general slot and drops its per-view slots, so a comparison runs
    exactly the chosen model on every picture.
    """
    versions = dict(active_versions())
    for model_type, version_id in (chosen or {}).items():
        if not version_id:
            continue
        version = ModelVersion.objects.filter(pk=version_id, model_type=model_type).first()
        if version is None:
            raise PredictionUnavailable(f"The chosen {model_type} version no longer exists; pick another one.")
        versions = {slot: v for slot, v in versions.items() if slot.split("/")[0] != model_type}
        versions[slot_key(model_type, version.view_scope)] = version
    for model_type in (ModelType.DETECTION, ModelType.VIEW, ModelType.DEFECT):
        if not any(slot.split("/")[0] == model_type for slot in versions):
            raise PredictionUnavailable(f"No {model_type} model is active or chosen; train one and activate it on the Models page.")
    return versions


def build_pipeline(
    versions: Mapping[str, ModelVersion], conf_threshold: float = DEFAULT_CONF_THRESHOLD, rule: str = DEFAULT_RULE
) -> InferencePipeline:
    """Load the files of ``versions`` (checksums verified) into one pipeline."""
    # torch and Ultralytics load here, in the worker, not when the web process starts.
    from core.inspection.inference import InferencePipeline

    try:
        paths = {slot: load_checkpoint_path(version) for slot, version in versions.items()}
        return InferencePipeline(
            paths.get("detection"),
            paths["view"],
            paths.get("defect"),
            detector_paths={slot.split("/")[1]: p for slot, p in paths.items() if slot.startswith("detection/")},
            defect_paths={slot.split("/")[1]: p for slot, p in paths.items() if slot.startswith("defect/")},
            conf_threshold=conf_threshold,
            device="auto",
            rule=verdict_rule(rule),
            max_pixels=settings.IMAGE_MAX_PIXELS,
        )
    except KeyError:
        raise PredictionUnavailable("No general view model is active or chosen; activate one on the Models page.") from None
    except (RegistryError, ModelUnavailable) as error:
        # A version deleted since the job read its rows (while it read a big zip, say) took its file along: that is no
        # damaged file to restore from a backup, and the job never runs another model in its place.
        present = set(ModelVersion.objects.filter(pk__in=[version.pk for version in versions.values()]).values_list("pk", flat=True))
        if gone := sorted({version.name for version in versions.values() if version.pk not in present}):
            raise PredictionUnavailable(
                f"The model version {', '.join(gone)} was deleted after this job started, so it did not run; start the job again "
                "with the models now active or chosen."
            ) from None
        raise PredictionUnavailable(str(error)) from None


def version_names(versions: Mapping[str, ModelVersion]) -> dict[str, str]:
    return {slot: version.name for slot, version in sorted(versions.items())}


def picture_input(image: Image) -> PictureInput:
    """A library picture for the pipeline: its wire is the full identity (group + id)."""
    return PictureInput(
        name=image.original_name,
        path=Path(image.file.path),
        wire_id=image.wire_key,
        view=image.view or None,
        ref=image.pk,
        error=image.missing_file(),
    )


def _serving(versions: Mapping[str, ModelVersion], model_type: str, view: str | None) -> ModelVersion | None:
    """The version that served ``model_type`` for a picture of ``view`` (per-view first, as the pipeline does)."""
    return versions.get(f"{model_type}/{view}") or versions.get(model_type)


# --- pre-annotation ---------------------------------------------------------------------------


@dataclass
class PreannotationSummary:
    pictures: int = 0
    boxes: int = 0
    skipped: int = 0
    #: Pictures deleted after the job was queued (before or while they were inspected).
    deleted: int = 0
    errors: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)


#: What ``_store`` returns for a picture deleted while it was inspected.
DELETED = -2


class VersionDeleted(Exception):
    """A version the job runs was deleted meanwhile: its boxes could not name it. The message names the versions."""


def _box_view(box: BoxPrediction, picture_view: str) -> tuple[str, float]:
    """The view a stored box gets, and the view model's confidence in it.

    A picture whose name gives its view (``w1_TOP.png``) keeps it: the pipeline judged its defect as a loop of that view,
    and a box labelled otherwise would teach training the wrong view once accepted. Where the view model disagreed,
    its confidence in the name's view is what is left of its two-way answer, so the box goes to the front of the queue.
    """
    if not picture_view or box.view == picture_view:
        return box.view, box.view_confidence
    return picture_view, 1.0 - box.view_confidence


def _store(image: Image, result: PictureResult, versions: Mapping[str, ModelVersion], thresholds: dict[str, float]) -> int:
    """Store the boxes of one picture as pending model annotations, if a person has not labelled it meanwhile."""
    with transaction.atomic():
        # Locked, so that a deletion waits for this picture's boxes (which then lose the version) instead of breaking them.
        rows = ModelVersion.objects.select_for_update().filter(pk__in=[version.pk for version in versions.values()])
        present = set(rows.values_list("pk", flat=True))
        if gone := [version.name for version in versions.values() if version.pk not in present]:
            raise VersionDeleted(", ".join(gone))
        locked = Image.objects.select_for_update().filter(pk=image.pk).first()
        if locked is None:
            return DELETED
        if locked.annotations.exists():
            return -1
        created = []
        for box in result.boxes:
            x1, y1 = max(box.x1, 0.0), max(box.y1, 0.0)
            x2, y2 = min(box.x2, float(locked.width)), min(box.y2, float(locked.height))
            if x2 - x1 < 1 or y2 - y1 < 1:
                continue
            view, view_confidence = _box_view(box, locked.view)
            annotation = Annotation.objects.create(
                image=locked,
                x=x1,
                y=y1,
                width=x2 - x1,
                height=y2 - y1,
                view=view,
                defect=box.defect,
                source=Source.MODEL,
                review_state=ReviewState.PENDING,
                detection_version=_serving(versions, ModelType.DETECTION, result.view),
                view_version=_serving(versions, ModelType.VIEW, result.view),
                defect_version=_serving(versions, ModelType.DEFECT, result.view),
                confidences={
                    "detection": round(box.detection_confidence, 4),
                    "view": round(view_confidence, 4),
                    "defect": round(box.defect_confidence, 4),
                    "defect_probabilities": [round(p, 4) for p in box.defect_probabilities],
                    "thresholds": thresholds,
                },
            )
            created.append(annotation)
        if created:
            Image.objects.filter(pk=locked.pk).update(annotation_revision=F("annotation_revision") + 1)
            note = AnnotationChange.PREANNOTATED + ", ".join(version_names(versions).values())
            AnnotationChange.objects.bulk_create(AnnotationChange.of(AnnotationChange.Action.CREATE, a, note=note) for a in created)
        return len(created)


def _preannotate_one(
    image: Image, pipeline: InferencePipeline, versions: Mapping[str, ModelVersion], summary: PreannotationSummary
) -> None:
    """Skip a picture a person labelled (or deleted) since the job was queued; otherwise inspect it and store its boxes."""
    if not Image.objects.filter(pk=image.pk).exists():
        summary.deleted += 1
        return
    if image.annotations.exists():
        summary.skipped += 1
        return
    result = pipeline.inspect(picture_input(image))
    if result.error and not Image.objects.filter(pk=image.pk).exists():  # its file went with it: not a failure of the picture
        summary.deleted += 1
        return
    if result.error:
        summary.errors.append(f"{image.original_name}: {result.error}")
        return
    stored = _store(image, result, versions, pipeline.thresholds())
    if stored == DELETED:
        summary.deleted += 1
    elif stored < 0:
        summary.skipped += 1
    else:
        summary.pictures += 1
        summary.boxes += stored


def preannotate(
    images: Iterable[Image],
    versions: Mapping[str, ModelVersion],
    conf_threshold: float = DEFAULT_CONF_THRESHOLD,
    progress: Callable[[int, int], None] | None = None,
) -> PreannotationSummary:
    """Run ``versions`` (see :func:`choose_versions`) on pictures without boxes and store their boxes for review."""
    pipeline = build_pipeline(versions, conf_threshold)
    todo = list(images)
    summary = PreannotationSummary(versions=version_names(versions))
    for done, image in enumerate(todo, start=1):
        try:
            _preannotate_one(image, pipeline, versions, summary)
        except VersionDeleted as gone:
            raise PredictionUnavailable(
                f"The model version {gone} was deleted while the pre-annotation ran, so it stopped after {summary.pictures} pictures "
                f"({summary.boxes} boxes, kept for review). Pre-annotate again to do the rest with the models now active or chosen."
            ) from None
        if progress is not None:
            progress(done, len(todo))
    logger.info("Pre-annotated %d pictures (%d boxes) with %s", summary.pictures, summary.boxes, summary.versions)
    return summary


# --- the review queue -------------------------------------------------------------------------


def _confidence(stage: str) -> Coalesce:
    """One stage's confidence as the database reads it from ``confidences`` (a stage it lacks counts as sure)."""
    return Coalesce(Cast(KT(f"confidences__{stage}"), FloatField()), Value(1.0), output_field=FloatField())


def _disagreeing() -> Q:
    """The box's wire holds a box (not rejected) of another defect on another picture: its views disagree.

    A neighbouring loop of the box's own picture (several loops per picture) says nothing about the other view.
    Asked per box in the database: naming every waiting wire in one query outgrew what SQLite parses past 1,000 wires.
    """
    other_pictures = Annotation.objects.exclude(review_state=ReviewState.REJECTED).exclude(image_id=OuterRef("image_id"))
    wire_boxes = other_pictures.filter(image__wire_group=OuterRef("image__wire_group"), image__wire_id=OuterRef("image__wire_id"))
    return Q(Exists(wire_boxes.exclude(defect=OuterRef("defect"))))


@dataclass(frozen=True)
class QueueItem:
    annotation: Annotation
    tier: int
    confidence: float

    @property
    def reason(self) -> str:
        return (*RISK_TIERS, ROUTINE)[self.tier]


def pending_queryset(version_id: int | None = None) -> QuerySet[Annotation]:
    queryset = (
        Annotation.objects.needs_review()
        .filter(source=Source.MODEL)
        .select_related("image", "detection_version", "view_version", "defect_version")
    )
    if version_id:
        queryset = queryset.filter(Q(detection_version_id=version_id) | Q(view_version_id=version_id) | Q(defect_version_id=version_id))
    return queryset


def review_queue(version_id: int | None = None, limit: int | None = None) -> list[QueueItem]:
    """Pending model boxes, riskiest first, ranked in the database (only the ``limit`` shown are loaded).

    Tiers (``RISK_TIERS``, in that order): "views disagree", the wire's other view holds a box of another defect; "low
    confidence", the least sure of the three stages (detection, view, defect: one weak link makes the whole box
    doubtful) is below ``LOW_CONFIDENCE``; "rare class (PASS)"; then the rest. Within a tier, least confident
    first, then oldest.
    """
    confidence = Least(*(_confidence(stage) for stage in ("detection", "view", "defect")))
    conditions = {
        "low confidence": Q(risk_confidence__lt=LOW_CONFIDENCE),
        "views disagree": _disagreeing(),
        "rare class (PASS)": Q(defect="PASS"),
    }
    tier = Case(
        *(When(conditions[name], then=Value(rank)) for rank, name in enumerate(RISK_TIERS)),
        default=Value(len(RISK_TIERS)),
        output_field=IntegerField(),
    )
    ranked = pending_queryset(version_id).annotate(risk_confidence=confidence).annotate(risk_tier=tier)
    ranked = ranked.order_by("risk_tier", "risk_confidence", "pk")
    return [QueueItem(a, a.risk_tier, a.risk_confidence) for a in (ranked[:limit] if limit is not None else ranked)]


# --- decisions ----------------------------------------------------------------------------------


class ReviewRefused(Exception):
    """The box is not waiting for review (any more); the message says what happened."""


DECISIONS = {"accept": ReviewState.ACCEPTED, "reject": ReviewState.REJECTED}


def review(annotation_id: int, decision: str, user: Actor, note: str = "") -> Annotation:
    """Accept or reject one pending model box, recorded as a ``review`` change.

    Corrections happen on the annotation page: saving an edited model box marks it
    *corrected* there, with the before and after in its history.
    """
    if decision not in DECISIONS:
        raise ReviewRefused(f"Unknown decision {decision!r}; use accept or reject (correct on the annotation page).")
    with transaction.atomic():
        annotation = Annotation.objects.select_for_update().filter(pk=annotation_id).select_related("image").first()
        if annotation is None:
            raise ReviewRefused("This box was deleted meanwhile; go on with the next one.")
        if annotation.review_state != ReviewState.PENDING:
            state = annotation.get_review_state_display().lower()
            raise ReviewRefused(f"This box was already reviewed ({state}); go on with the next one.")
        before = annotation.as_dict()
        annotation.review_state = DECISIONS[decision]
        annotation.annotator = recorded_user(user)
        annotation.save(update_fields=["review_state", "annotator", "updated_at"])
        # A decision changes the picture's boxes: a save from a page loaded before it is told (409), not applied over it.
        Image.objects.filter(pk=annotation.image_id).update(annotation_revision=F("annotation_revision") + 1)
        history_note = f"{decision}: {note}" if note else decision
        AnnotationChange.of(AnnotationChange.Action.REVIEW, annotation, user, before=before, note=history_note).save()
    return annotation
