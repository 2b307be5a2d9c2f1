from __future__ import annotations

import pytest
import torch

from core.training.device import choose_device, memory_snapshot, run_with_fallbacks


def test_cuda_out_of_memory_halves_the_batch_and_retries():
    seen: list[int] = []

    def attempt(batch: int, device: str) -> str:
        seen.append(batch)
        if batch > 4:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return f"trained with {batch}"

    logs: list[tuple[str, str]] = []
    result, record = run_with_fallbacks(attempt, 16, "cuda:0", lambda level, message: logs.append((level, message)))
    assert result == "trained with 4" and seen == [16, 8, 4] and record.batch == 4
    assert len(record.notes) == 2 and logs[0][0] == "warning" and "batch 8" in logs[0][1]


def test_other_errors_are_not_retried():
    def attempt(batch: int, device: str) -> None:
        raise ValueError("bad data")

    with pytest.raises(ValueError, match="bad data"):
        run_with_fallbacks(attempt, 16, "cpu", lambda *_: None)


def test_cpu_is_chosen_without_cuda_and_memory_is_measured():
    assert choose_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert choose_device("auto").type == "cpu"
    assert memory_snapshot()["rss_mb"] > 10
