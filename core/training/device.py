"""Where training runs and how much memory it uses.

CUDA when present, else the CPU; a CUDA out-of-memory error halves the batch
and retries (from the last checkpoint), any other CUDA failure falls back to
the CPU with a warning. Both are recorded in the result and the run's log.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
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
    attempt: Callable[[int, str], T], batch: int, device: str, log: Callable[[str, str], None], min_batch: int = 1
) -> tuple[T, Attempts]:
    """Call ``attempt(batch, device)``; halve the batch on CUDA OOM, move to the CPU on other CUDA failures."""
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
                note = f"The GPU failed ({str(error).splitlines()[0]}); continuing on the CPU, which is much slower."
                record.device = "cpu"
            else:
                raise
            record.notes.append(note)
            log("warning", note)
