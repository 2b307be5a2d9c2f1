"""The CPU memory guard before training: networks it has no measurement of, and the data-loading processes."""

from __future__ import annotations

import dataclasses

import pytest

from core.training import device as device_module
from core.training.config import load_config
from core.training.device import BYTES_PER_PIXEL, NotEnoughMemory, check_cpu_memory, training_memory

GIB = 2**30


def test_a_network_never_measured_is_counted_like_the_largest_measured_one() -> None:
    """It was counted as needing nothing, so the guard let any batch and picture size of it through."""
    largest = max(BYTES_PER_PIXEL, key=BYTES_PER_PIXEL.__getitem__)
    assert training_memory("a network never measured", 640, 16) == training_memory(largest, 640, 16)
    with pytest.raises(NotEnoughMemory, match=r"Training the view model \(a network never measured, picture size 2048, batch 64\)"):
        check_cpu_memory("view", "a network never measured", 2048, 64, free=20 * GIB)


def test_the_guard_counts_the_data_loading_processes_of_the_settings(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each loader process (the ``workers`` setting) holds its own prefetched batches; they were not counted."""
    from core.training.runner import _check_cpu_memory

    config = load_config("defect", "full", overrides={"image_size": 640, "batch": 32})
    alone = training_memory(config.architecture, config.image_size, config.batch)
    monkeypatch.setattr(device_module, "free_memory", lambda: alone + GIB // 2)
    _check_cpu_memory(config, config.batch)  # fits without loader processes
    with pytest.raises(NotEnoughMemory) as refused:
        _check_cpu_memory(dataclasses.replace(config, workers=16), config.batch)
    assert "16 data-loading processes" in str(refused.value)
    assert "fewer workers" in str(refused.value)
