"""Re-probing today's changes to core: the CPU memory guard's advice."""

from __future__ import annotations

import pytest

from core.training.device import NotEnoughMemory, check_cpu_memory


def test_a_worker_too_short_of_memory_for_any_settings_is_not_told_to_lower_the_picture_size() -> None:
    # Half a GiB free: the process itself needs about 1 GiB, so no batch or picture size (32 is the smallest) can fit.
    with pytest.raises(NotEnoughMemory) as refused:
        check_cpu_memory("view", "resnet18", 32, 8, free=2**29)
    sentence = str(refused.value)
    assert "lower image_size" not in sentence and "lower batch" not in sentence
    assert "free memory on the worker" in sentence
