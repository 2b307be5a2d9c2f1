"""Django choices built from the one label vocabulary in ``core.labels``."""

from __future__ import annotations

from django.db import models

from core.labels import DEFECTS, VIEWS, defect_display

VIEW_CHOICES = [(view, view) for view in VIEWS]
DEFECT_CHOICES = [(defect, defect_display(defect)) for defect in DEFECTS]


class Source(models.TextChoices):
    HUMAN = "human", "Human"
    MODEL = "model", "Model"


class ReviewState(models.TextChoices):
    NONE = "none", "Not needed"
    PENDING = "pending", "Needs review"
    ACCEPTED = "accepted", "Accepted"
    CORRECTED = "corrected", "Corrected"
    REJECTED = "rejected", "Rejected"


class ModelType(models.TextChoices):
    DETECTION = "detection", "Detection (YOLOv8)"
    VIEW = "view", "View classifier (ResNet18)"
    DEFECT = "defect", "Defect classifier (EfficientNet-B0)"
