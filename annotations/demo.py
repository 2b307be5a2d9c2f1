"""Demo data: synthetic pictures taken into the library with their ground-truth boxes."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction

from annotations.choices import Source
from annotations.ingest import ingest_image
from annotations.models import Annotation
from core.data import synthetic
from core.labels import DEFECTS

DEMO_GROUP = "demo"


def wires_problem(wires: int | None) -> str:
    """Why ``--wires`` cannot make a synthetic set (one wire of each class at least), or "" (0 or None: the reference)."""
    if wires and wires < len(DEFECTS):
        return (
            f"--wires {wires} is too few: the synthetic set needs at least {len(DEFECTS)} wires, one per class "
            "(or leave --wires out for the reference 86)."
        )
    return ""


def image_size_problem(size: int) -> str:
    """Why ``--image-size`` cannot make pictures (under a pixel, or over the site's limit for one picture), or ""."""
    if size < 1:
        return f"--image-size {size} is not a picture size: give the side in pixels, 1 or more (the reference is 1004)."
    if size * size > settings.IMAGE_MAX_PIXELS:
        return (
            f"--image-size {size} makes pictures of {size * size} pixels, over the limit of {settings.IMAGE_MAX_PIXELS} for one "
            "picture (WIRESAG_IMAGE_MAX_PIXELS): the library would refuse them. Give a smaller side (the reference is 1004)."
        )
    return ""


def load_synthetic_dataset(folder: Path, *, wires: int | None = None, seed: int = 0, image_size: int = synthetic.REFERENCE_SIZE) -> int:
    """Generate pictures into ``folder`` and ingest them with their boxes; return the count."""
    plan = synthetic.reference_plan() if wires is None else synthetic.scaled_plan(wires)
    samples = synthetic.generate(folder, plan, seed=seed, image_size=image_size)
    for sample in samples:
        with transaction.atomic():
            result = ingest_image(Path(sample.path).read_bytes(), sample.filename, wire_group=DEMO_GROUP, allow_existing=True)
            if result.created:
                x, y, width, height = sample.box
                Annotation.objects.create(
                    image=result.image, x=x, y=y, width=width, height=height, view=sample.view, defect=sample.defect, source=Source.HUMAN
                )
    return len(samples)
