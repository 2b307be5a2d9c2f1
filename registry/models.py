"""Trained model versions, the history of which one was live when, and uploaded starting weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from annotations.choices import VIEW_CHOICES, ModelType, ReviewState, Source
from annotations.models import Annotation, AnnotationChange
from core.evaluation.contract import ModelMetrics
from core.labels import DEFECTS, VIEWS, model_display

#: The Annotation field that names the version of each model type that made a box.
ANNOTATION_FIELD: dict[str, str] = {
    ModelType.DETECTION: "detection_version",
    ModelType.VIEW: "view_version",
    ModelType.DEFECT: "defect_version",
}


@dataclass(frozen=True)
class CorrectionRate:
    """How people judged the boxes one model version made in the review queue."""

    version: ModelVersion
    reviewed: int
    accepted: int
    corrected: int
    rejected: int
    pending: int
    #: Of ``rejected``, the waiting boxes a person deleted on the annotation page instead of rejecting them.
    deleted: int = 0

    @property
    def rate(self) -> float | None:
        """Share of reviewed boxes a person had to correct or reject (None before any review)."""
        return (self.corrected + self.rejected) / self.reviewed if self.reviewed else None


class ModelVersionQuerySet(models.QuerySet["ModelVersion"]):
    def active(self) -> ModelVersionQuerySet:
        return self.filter(is_active=True)

    def offered(self, selected: dict[str, int | None] | None = None) -> dict[str, dict[str, Any]]:
        """Per model type what inspection and pre-annotation can run: its versions, the active one, the one
        chosen (``selected``; None is the active one), and a sentence when nothing can run yet."""
        selected = selected or {}
        offer: dict[str, dict[str, Any]] = {}
        for model_type, label in ModelType.choices:
            versions = [v for v in self if v.model_type == model_type]
            active = next((v for v in versions if v.is_active and not v.view_scope), None)
            chosen = selected.get(model_type)
            if chosen is None and active is None and versions:
                chosen = versions[0].pk  # no active one: the newest is what would run
            missing = ""
            if not versions:
                missing = f"No {model_type} model is trained yet: train one on the Training page first."
            offer[model_type] = {"label": label, "versions": versions, "active": active, "selected": chosen, "missing": missing}
        return offer

    def correction_rates(self) -> list[CorrectionRate]:
        """Per version (newest first per type): its boxes accepted, corrected, rejected or still pending.

        One grouped count per model type, whatever the number of versions.
        """
        versions = list(self.order_by("model_type", "-created_at"))
        counts: dict[tuple[str, int], dict[str, int]] = {}
        for model_type, field in ANNOTATION_FIELD.items():
            if not any(version.model_type == model_type for version in versions):
                continue
            made = Annotation.objects.filter(source=Source.MODEL, **{f"{field}__in": self.filter(model_type=model_type).values("pk")})
            for row in (
                made.values(field)
                .order_by()
                .annotate(
                    accepted=Count("pk", filter=Q(review_state=ReviewState.ACCEPTED)),
                    corrected=Count("pk", filter=Q(review_state=ReviewState.CORRECTED)),
                    rejected=Count("pk", filter=Q(review_state=ReviewState.REJECTED)),
                    pending=Count("pk", filter=Q(review_state=ReviewState.PENDING)),
                )
            ):
                counts[(model_type, row.pop(field))] = row
            # A deleted model box leaves only its history row: what it was when deleted is the person's judgment
            # (deleting a waiting box rejects it; a reviewed box keeps the decision it had).
            gone = AnnotationChange.objects.filter(
                action=AnnotationChange.Action.DELETE,
                before__source=Source.MODEL,
                **{f"before__{field}__in": [v.pk for v in versions if v.model_type == model_type]},
            )
            for version_pk, state, number in (
                gone.annotate(version_pk=KeyTransform(field, "before"), state=KeyTextTransform("review_state", "before"))
                .values_list("version_pk", "state")
                .order_by()
                .annotate(number=Count("pk"))
            ):
                judged = counts.setdefault(
                    (model_type, int(version_pk)), dict.fromkeys(("accepted", "corrected", "rejected", "pending", "deleted"), 0)
                )
                if state == ReviewState.PENDING:
                    judged["rejected"] += number
                    judged["deleted"] = judged.get("deleted", 0) + number
                elif state in (ReviewState.ACCEPTED, ReviewState.CORRECTED, ReviewState.REJECTED):
                    judged[str(state)] += number
        rows = []
        for version in versions:
            found = counts.get((version.model_type, version.pk))
            if found is None:
                continue
            reviewed = found["accepted"] + found["corrected"] + found["rejected"]
            if reviewed or found["pending"]:
                rows.append(CorrectionRate(version, reviewed, **found))
        return rows


class ModelVersion(models.Model):
    """A trained model file with what it learned from and how well it did."""

    model_type = models.CharField(max_length=9, choices=ModelType.choices)
    #: Per-view models serve one view only; blank serves both.
    view_scope = models.CharField(max_length=4, choices=VIEW_CHOICES, blank=True, default="")
    name = models.CharField(max_length=200, unique=True, help_text="e.g. defect_20261128_143022_bacc-0.83")
    file_path = models.CharField(max_length=500, help_text="Relative to the models folder.")
    sha256 = models.CharField(max_length=64)
    metrics = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True)
    dataset_size = models.PositiveIntegerField(default=0)
    training_run = models.OneToOneField(
        "training.TrainingRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="model_version"
    )
    #: The run's number, kept when the run (and its dataset snapshot with it) is deleted in the Django admin.
    run_number = models.PositiveIntegerField(null=True, blank=True, help_text="The training run that registered it.")
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=False)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["model_type", "is_active"], name="version_type_active_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["model_type", "view_scope"],
                condition=Q(is_active=True),
                name="one_active_version_per_type",
            ),
            models.CheckConstraint(condition=Q(model_type__in=ModelType.values), name="version_model_type_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def model_display(self) -> str:
        """Its type with the network it was trained as, e.g. "Defect classifier (ResNet18)"."""
        return model_display(self.model_type, self.config)

    @property
    def scores(self) -> ModelMetrics:
        """Its metrics read through the one metrics contract (``core.evaluation.contract``)."""
        return ModelMetrics.from_json(self.metrics)

    def class_labels(self) -> list[str]:
        """The class names its per-class table and confusion matrix are in, in order."""
        labels = self.scores.labels
        if labels:
            return list(labels)
        return list(DEFECTS if self.model_type == ModelType.DEFECT else VIEWS if self.model_type == ModelType.VIEW else ("wire",))

    def out_of_fold(self) -> dict[str, Any]:
        """The out-of-fold table of the cross-validation that trained it, or {} (``core.evaluation.outoffold``)."""
        run = self.training_run
        return dict(run.cross_validation) if run is not None and run.cross_validation else {}

    def out_of_fold_pass(self) -> tuple[int, int] | None:
        """PASS boxes predicted right out of fold, and how many there were; None without a cross-validation."""
        for label, right, support in self.out_of_fold().get("picture_recall", []):
            if label == "PASS" and support:
                return int(right), int(support)
        return None

    def no_snapshot_sentence(self) -> str:
        """Why it has no dataset snapshot to list: its training run was deleted, or no run registered it."""
        if self.training_run_id is None and self.run_number is not None:
            return (
                f"Its training run #{self.run_number} was deleted, so its dataset snapshot went with it: the annotation "
                "revisions it learned from can no longer be listed."
            )
        return "This version was not registered by a training run, so it has no dataset snapshot."

    @property
    def reference(self) -> str:
        """What the ``weights`` setting of a run names to start from this version."""
        return f"version:{self.pk}"


class ActivationEvent(models.Model):
    """Who made which version live, when and why (also rollbacks and gate overrides)."""

    class Action(models.TextChoices):
        ACTIVATE = "activate", "Activated"
        ROLLBACK = "rollback", "Rolled back"

    model_type = models.CharField(max_length=9, choices=ModelType.choices)
    view_scope = models.CharField(max_length=4, blank=True, default="")
    version = models.ForeignKey(ModelVersion, null=True, on_delete=models.SET_NULL, related_name="activations")
    previous = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version_name = models.CharField(max_length=200, help_text="Kept when the version is deleted.")
    previous_name = models.CharField(max_length=200, blank=True, default="", help_text="Kept when the replaced version is deleted.")
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.ACTIVATE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True, default="")
    gate_override = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.version_name}"


class WeightsFile(models.Model):
    """A starting-weights file an engineer or admin uploaded: the only files besides versions a run may start from.

    The file lives under ``MODELS_DIR/uploads/``; its sha256 is checked before every load.
    """

    class Kind(models.TextChoices):
        CLASSIFIER = "classifier", "Classifier (state dict for the view or defect model)"
        DETECTION = "detection", "Detector (Ultralytics YOLO .pt)"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    original_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500, unique=True, help_text="Relative to the models folder.")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True, default="")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=["classifier", "detection"]), name="weights_file_kind_valid")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.original_name}"

    @property
    def reference(self) -> str:
        """What the ``weights`` setting of a run names to start from this file."""
        return f"upload:{self.pk}"
