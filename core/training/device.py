"""Where training runs and how much memory it uses.

CUDA when present, else the CPU; a CUDA out-of-memory error halves the batch
and retries (from the last checkpoint), any other CUDA failure falls back to
the CPU with a warning. Both are recorded in the result and the run's log.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import psutil
import torch

T = TypeVar("T")


class NoCudaDevice(RuntimeError):
    """The configuration asks for CUDA on a machine without it."""


def choose_device(requested: str = "auto") -> torch.device:
    """``auto``: the first CUDA device when one works, else the CPU."""
    if requested == "cpu":
        return torch.device("cpu")
    available = torch.cuda.is_available()
    if requested == "cuda" and not available:
        raise NoCudaDevice("The configuration asks for device=cuda but no CUDA GPU is available here; set device=auto or device=cpu.")
    return torch.device("cuda:0" if available else "cpu")


def describe_device(device: torch.device) -> str:
    """A short human-readable name stored with the run, e.g. ``cuda:0 NVIDIA H200 (139 GiB)``."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"{device} {props.name} ({props.total_memory / 2**30:.0f} GiB)"
    return f"cpu ({os.cpu_count()} cores)"


def data_workers(device: torch.device, requested: int) -> int:
    """Extra loader processes only help when a GPU waits for data; on a small CPU they compete with training."""
    if requested:
        return requested
    return min(4, max((os.cpu_count() or 1) - 2, 0)) if device.type == "cuda" else 0


def memory_snapshot(device: torch.device | None = None) -> dict[str, float]:
    """Process RSS and, on CUDA, allocated and peak GPU memory, in MiB."""
    result = {"rss_mb": psutil.Process().memory_info().rss / 2**20}
    if device is not None and device.type == "cuda":
        result["gpu_allocated_mb"] = torch.cuda.memory_allocated(device) / 2**20
        result["gpu_peak_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return result


class NotEnoughMemory(RuntimeError):
    """Training on the CPU would need more memory than the worker has free."""


#: Peak memory of one training step on the CPU (forward and backward, float32) per input pixel of the
#: batch, measured with timm's and Ultralytics' networks on random pictures (batch 2-32, 128-640 px; the
#: need grows with batch x side x side) and rounded up by about a tenth.
BYTES_PER_PIXEL = {
    "resnet18": 900,
    "efficientnet_b0": 2500,
    "yolov8n.yaml": 650,
    "yolov8s.yaml": 1050,
    "yolov8m.yaml": 1750,
    "yolov8l.yaml": 2750,
    "yolov8x.yaml": 3800,
}
#: A network not measured here counts like the most demanding one measured: the guard errs on the side of refusing.
UNMEASURED_BYTES_PER_PIXEL = max(BYTES_PER_PIXEL.values())
#: The process itself: libraries, the network's weights and the optimiser's state.
BASE_BYTES = 2**30
#: One data-loading process (the ``workers`` setting): its own copy of what it touches (Python objects, decoded
#: pictures, augmentation buffers) and the two batches it prefetches as float32, 3 channels (24 bytes per pixel),
#: rounded up. Measured with torch's DataLoader at batch 16: about 30 MiB of its own at 224 px, 150 MiB at 640 px.
WORKER_BASE_BYTES = 2**28
WORKER_BYTES_PER_PIXEL = 32
#: The smallest picture size the settings allow (both image_size and imgsz).
SMALLEST_SIDE = 32


def training_memory(architecture: str, image_size: int, batch: int, workers: int = 0) -> int:
    """Bytes a training step needs on the CPU with ``workers`` data-loading processes; an architecture not measured
    counts like the largest one measured."""
    per_pixel = BYTES_PER_PIXEL.get(architecture, UNMEASURED_BYTES_PER_PIXEL)
    side = -(-image_size // 32) * 32  # the detector pads its pictures to a multiple of 32
    pixels = batch * side * side
    return BASE_BYTES + per_pixel * pixels + workers * (WORKER_BASE_BYTES + WORKER_BYTES_PER_PIXEL * pixels)


def free_memory(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """Bytes this process may still take: the machine's available memory, or less where a container's limit says so.

    A container (cgroup v2 ``memory.max``) is ended at its own limit, however much the machine has free.
    """
    available = int(psutil.virtual_memory().available)
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        used = int((cgroup / "memory.current").read_text())
    except (OSError, ValueError):
        return available
    if not limit.isdecimal():  # "max": no limit
        return available
    return max(0, min(available, int(limit) - used))


def check_cpu_memory(model_type: str, architecture: str, image_size: int, batch: int, free: int | None = None, workers: int = 0) -> None:
    """Refuse, with what to change, a CPU run whose batch (and ``workers`` loader processes) cannot fit in free memory.

    Linux ends a process that takes more memory than there is without a word (the worker just
    disappears, and resuming the run would end the same way), so the run is refused before it starts.
    """
    needed = training_memory(architecture, image_size, batch, workers)
    free = free_memory() if free is None else free
    if needed <= free:
        return
    smaller = batch
    while smaller > 1 and training_memory(architecture, image_size, smaller, workers) > free:
        smaller //= 2
    hint = f"lower batch (batch {smaller} needs about {training_memory(architecture, image_size, smaller, workers) / 2**30:.1f} GiB)"
    if training_memory(architecture, image_size, smaller, workers) > free:
        hint = "lower image_size (half the size needs a quarter of the memory)"
    if workers:
        hint += ", set fewer workers (0 loads the pictures in the training process)"
    advice = f"Change the settings and launch it again: {hint}, or train on a GPU."
    if (least := training_memory(architecture, SMALLEST_SIDE, 1)) > free:  # the process itself does not fit: no setting helps
        advice = (
            f"No settings fit (even picture size {SMALLEST_SIDE} at batch 1 needs about {least / 2**30:.1f} GiB): "
            "free memory on the worker (stop what else runs there), or train on a GPU."
        )
    loaders = f", {workers} data-loading processes" if workers else ""
    raise NotEnoughMemory(
        f"Training the {model_type} model ({architecture.removesuffix('.yaml')}, picture size {image_size}, batch {batch}{loaders}) "
        f"on the CPU needs about {needed / 2**30:.1f} GiB of memory, and this worker has {free / 2**30:.1f} GiB free. {advice}"
    )


def is_cuda_oom(error: BaseException) -> bool:
    return isinstance(error, torch.cuda.OutOfMemoryError) or "CUDA out of memory" in str(error)


def is_cuda_failure(error: BaseException) -> bool:
    text = str(error)
    return isinstance(error, RuntimeError) and ("CUDA" in text or "cuDNN" in text or "NCCL" in text) and not is_cuda_oom(error)


@dataclass
class Attempts:
    """What the retry loop did, stored with the run."""

    batch: int
    device: str
    notes: list[str] = field(default_factory=list)


def run_with_fallbacks(
    attempt: Callable[[int, str], T],
    batch: int,
    device: str,
    log: Callable[[str, str], None],
    min_batch: int = 1,
    check_cpu: Callable[[int], None] | None = None,
) -> tuple[T, Attempts]:
    """Call ``attempt(batch, device)``; halve the batch on CUDA OOM, move to the CPU on other CUDA failures.

    ``check_cpu(batch)`` (``check_cpu_memory`` with the run's model) refuses the move with ``NotEnoughMemory``
    when the batch cannot fit in the worker's memory: a batch sized for a GPU often cannot.
    """
    record = Attempts(batch=batch, device=device)
    while True:
        try:
            return attempt(record.batch, record.device), record
        except Exception as error:
            if is_cuda_oom(error) and record.batch > min_batch:
                torch.cuda.empty_cache()
                note = f"CUDA ran out of memory with batch {record.batch}; retrying with batch {record.batch // 2}."
                record.batch //= 2
            elif record.device != "cpu" and torch.cuda.is_available() and is_cuda_failure(error):
                failure = str(error).splitlines()[0]
                try:
                    if check_cpu is not None:
                        check_cpu(record.batch)
                except NotEnoughMemory as short:
                    raise NotEnoughMemory(f"The GPU failed ({failure}) and the run cannot go on on the CPU: {short}") from error
                note = f"The GPU failed ({failure}); continuing on the CPU, which is much slower."
                record.device = "cpu"
            else:
                raise
            record.notes.append(note)
            log("warning", note)
