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


def test_a_cpu_batch_that_cannot_fit_in_free_memory_is_refused_with_what_to_change():
    from core.training.device import NotEnoughMemory, check_cpu_memory, training_memory

    gib = 2**30
    # The cpu-quick defect model and the full preset's detector fit a 24 GiB worker with room to spare.
    assert training_memory("efficientnet_b0", 128, 16) < 2 * gib
    check_cpu_memory("detection", "yolov8n.yaml", 1004, 16, free=20 * gib)
    # Picture size 2048 at batch 64 would need hundreds of GiB: refused, with the batch that fits.
    with pytest.raises(NotEnoughMemory) as refused:
        check_cpu_memory("defect", "efficientnet_b0", 2048, 64, free=20 * gib)
    sentence = str(refused.value)
    assert sentence.startswith("Training the defect model (efficientnet_b0, picture size 2048, batch 64) on the CPU needs about 6")
    assert "this worker has 20.0 GiB free" in sentence
    smaller = int(sentence.split("lower batch (batch ")[1].split(" ")[0])
    assert training_memory("efficientnet_b0", 2048, smaller) <= 20 * gib < training_memory("efficientnet_b0", 2048, smaller * 2)
    # When not even one picture fits, the size must come down.
    with pytest.raises(NotEnoughMemory, match=r"lower image_size \(half the size needs a quarter of the memory\), or train on a GPU"):
        check_cpu_memory("detection", "yolov8x.yaml", 4096, 8, free=20 * gib)


def test_free_memory_respects_a_containers_limit(tmp_path):
    from core.training.device import free_memory

    machine = free_memory(tmp_path / "no cgroup here")
    assert machine > 0
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "memory.current").write_text(f"{2**30}\n")
    assert free_memory(tmp_path) == pytest.approx(machine, rel=0.2)  # no limit: the machine's
    (tmp_path / "memory.max").write_text(f"{3 * 2**30}\n")
    assert free_memory(tmp_path) == 2 * 2**30  # a 3 GiB container that holds 1 GiB has 2 GiB left
    (tmp_path / "memory.current").write_text(f"{4 * 2**30}\n")
    assert free_memory(tmp_path) == 0
