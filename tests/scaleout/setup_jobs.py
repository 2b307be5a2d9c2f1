"""Run by the scale-out test through ``manage.py shell`` against PostgreSQL: a library, models, three jobs.

Prints one JSON line: the two training runs and the inspection job it queued (on Redis).
"""

import json
import os
import shutil
from pathlib import Path

from django.conf import settings

from annotations.models import Image
from core.training.config import load_config, to_json
from registry.versions import activate, register_version
from review.inspection import start_inspection
from tests.live_fixtures import TINY_VIEW_SETTINGS, ingest_synthetic
from training.models import TrainingRun
from training.snapshot import build_snapshot, snapshot_run_json

ingest_synthetic(Path(settings.DATA_DIR) / "synthetic")
models = Path(os.environ["TINY_MODELS"])
for model_type in ("detection", "view", "defect"):
    target = Path(settings.DATA_DIR) / "incoming" / f"{model_type}.pt"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(models / f"{model_type}.pt", target)
    activate(register_version(model_type, target, metrics={"pass_recall": 1.0}), None, reason="scale-out test")
snapshot = snapshot_run_json(build_snapshot(val_fraction=0.3))
config = to_json(load_config("view", "cpu-quick", overrides={**TINY_VIEW_SETTINGS, "epochs": 3}))
runs = [TrainingRun.objects.launch(["view"], {"view": config}, {"view": snapshot}, None, device="cpu")[0] for _ in range(2)]
job = start_inspection(image_ids=list(Image.objects.values_list("pk", flat=True)), conf_threshold=0.001)
print(json.dumps({"runs": [run.pk for run in runs], "inspection": job.id}))
