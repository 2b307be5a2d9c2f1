"""Tiny detection, view and defect models trained once per test session with the trainers' own code.

They learn next to nothing (one epoch on a few small synthetic pictures); the
tests that use them check the plumbing (crops, class order, reports, storage),
not accuracy. Tests in several folders share one set through the module cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.data.dataset import records_from_synthetic, split_records
from core.data.synthetic import SyntheticSample, generate, scaled_plan
from core.training.config import load_config
from core.training.events import RecordingSink
from core.training.runner import train

#: Side of the synthetic pictures: small enough for a CPU, large enough for a 16 px box.
PICTURE_SIZE = 160
TRAINING = {
    "detection": {"imgsz": 160, "epochs": 1, "batch": 8, "device": "cpu", "mosaic": 0.0, "close_mosaic": 0, "plots": False},
    "view": {"image_size": 48, "epochs": 1, "batch": 8, "device": "cpu", "architecture": "resnet18"},
    "defect": {"image_size": 48, "epochs": 1, "batch": 8, "device": "cpu", "pass_oversample": 1},
}


@dataclass(frozen=True)
class TinyModels:
    detection: Path
    view: Path
    defect: Path
    samples: tuple[SyntheticSample, ...]
    pictures: Path
    crops: dict[str, Path]


_cache: dict[Path, TinyModels] = {}


def tiny_models(base: Path) -> TinyModels:
    """Train (or reuse, within this process) the three tiny models under ``base``."""
    if base in _cache:
        return _cache[base]
    pictures = base / "pictures"
    samples = generate(pictures, scaled_plan(8), image_size=PICTURE_SIZE)
    snapshot = split_records(records_from_synthetic(samples), seed=0, min_samples_per_class=1)
    checkpoints, crops = {}, {}
    for model_type, overrides in TRAINING.items():
        config = load_config(model_type, "cpu-quick", overrides=overrides)
        result = train(model_type, config, snapshot, base / model_type, RecordingSink(), datasets_dir=base / "datasets", data_dir=base)
        checkpoints[model_type] = result.best_checkpoint
    for folder in (p for p in (base / "datasets").iterdir() if p.is_dir()):  # not the builders' .lock files
        crops[folder.name.split("-")[0]] = folder
    models = TinyModels(checkpoints["detection"], checkpoints["view"], checkpoints["defect"], tuple(samples), pictures, crops)
    _cache[base] = models
    return models
