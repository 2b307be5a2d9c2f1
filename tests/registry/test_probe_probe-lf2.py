"""Follow-ups of the probes: what a registered run's missing checkpoint says."""

from __future__ import annotations

import pytest
from django.conf import settings

from registry import versions as registry

pytestmark = pytest.mark.django_db


def test_missing_checkpoint_is_named_inside_the_data_folder_not_by_its_server_path() -> None:
    checkpoint = settings.RUNS_DIR / "run-987" / "weights" / "best.pt"

    with pytest.raises(registry.ModelFileMissing) as refused:
        registry.register_version("view", checkpoint, metrics={"accuracy": 0.9})

    message = str(refused.value)
    assert "runs/run-987/weights/best.pt" in message
    assert str(settings.DATA_DIR) not in message
    assert str(settings.RUNS_DIR) not in message
    assert "the run left no model to register" in message
