"""Known leftovers C: a run moved from a failed GPU to the CPU skipped the CPU memory guard."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.training import device
from core.training.device import NotEnoughMemory, check_cpu_memory, run_with_fallbacks

GPU_FAILURE = "CUDA error: an illegal memory access was encountered"


def test_a_run_moved_from_a_failed_gpu_to_the_cpu_is_refused_when_its_batch_cannot_fit_there(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``check_cpu_memory`` ran only for a run started on the CPU: a GPU run whose GPU failed went on on the CPU with a
    batch sized for the GPU, and Linux ended the worker without a word (resuming it ended the same way)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    devices: list[str] = []

    def attempt(batch: int, device_name: str) -> str:
        devices.append(device_name)
        if device_name != "cpu":
            raise RuntimeError(GPU_FAILURE)
        return "trained"

    def guard(batch: int) -> None:
        check_cpu_memory("defect", "efficientnet_b0", 2048, batch, free=20 * 2**30)

    logs: list[tuple[str, str]] = []
    with pytest.raises(NotEnoughMemory) as refused:
        run_with_fallbacks(attempt, 64, "cuda:0", lambda level, message: logs.append((level, message)), check_cpu=guard)
    assert devices == ["cuda:0"]  # never started on the CPU
    sentence = str(refused.value)
    assert sentence.startswith(f"The GPU failed ({GPU_FAILURE}) and the run cannot go on on the CPU: Training the defect model")
    assert "this worker has 20.0 GiB free" in sentence and "lower batch" in sentence
    # A batch that fits goes on on the CPU as before.
    devices.clear()
    result, record = run_with_fallbacks(attempt, 2, "cuda:0", lambda *_: None, check_cpu=lambda batch: None)
    assert result == "trained" and devices == ["cuda:0", "cpu"] and record.device == "cpu"


def test_the_runner_checks_the_cpu_memory_before_moving_a_classifier_run_off_a_failed_gpu(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The same through the runner: its fallback is given the guard with the run's own architecture and picture size."""
    from core.training import classifier, runner
    from core.training.config import load_config
    from core.training.events import MultiSink, RecordingSink

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(device, "free_memory", lambda: 2**30)  # not even the process itself fits
    devices: list[str] = []

    def fake_train_classifier(config, crops_dir, weights_dir, sink, torch_device, *rest):  # type: ignore[no-untyped-def]
        devices.append(str(torch_device))
        if torch_device.type != "cpu":
            raise RuntimeError(GPU_FAILURE)
        raise AssertionError("the run went on on the CPU")

    monkeypatch.setattr(classifier, "train_classifier", fake_train_classifier)
    config = load_config("defect", "cpu-quick", overrides={"image_size": 48, "batch": 8})
    with pytest.raises(NotEnoughMemory, match=r"^The GPU failed .* Training the defect model"):
        runner._train_classifier(config, tmp_path, tmp_path, MultiSink(RecordingSink()), None, "cuda:0", False, None)  # type: ignore[arg-type]
    assert devices == ["cuda:0"]
