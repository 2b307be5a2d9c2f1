"""Starting weights: a file of the app's weights store, loaded only after its sha256 matches.

Loading a ``.pt`` file can run code (pickle), so a trainer never opens a path
it was merely told about. The web app resolves the run's ``weights`` reference
(``version:<id>`` or ``upload:<id>``) to a :class:`StartingWeights`: the file
and the checksum recorded when it entered the store. Here the bytes are read
once, hashed, and only those bytes are loaded: a classifier's state dict from
memory with ``weights_only=True``, a YOLO file from a copy in the run's own
folder (Ultralytics always unpickles). Plain Python, no Django.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

from core.training.config import parse_weights_reference

_CHUNK = 1024 * 1024
#: The copy of a detector's starting weights inside the run folder, the only file Ultralytics opens for them.
DETECTION_COPY = "starting-weights.pt"


class WeightsRefused(ValueError):
    """Starting weights that must not be loaded; the message says what to do."""


@dataclass(frozen=True)
class StartingWeights:
    """A store file as the app recorded it: where it is and the sha256 its bytes must have."""

    reference: str  # "version:12" or "upload:3", as in the run's configuration
    path: Path
    sha256: str
    label: str  # a name for sentences, e.g. the version name or the uploaded file name

    def __post_init__(self) -> None:
        parse_weights_reference(self.reference)
        if len(self.sha256) != 64:
            raise WeightsRefused(f"The starting weights {self.label} have no recorded sha256; upload the file again.")


def check_matches(weights: StartingWeights | None, reference: str) -> StartingWeights | None:
    """The starting weights for a run whose ``weights`` setting is ``reference``; refused when they do not belong to it."""
    if not reference:
        return None
    if weights is None or weights.reference != reference.strip():
        raise WeightsRefused(
            f"Setting 'weights' names {reference}, but the file was not resolved from the app's weights store; "
            "start the run from the web app or the train command, which look it up and check its checksum."
        )
    return weights


def _mismatch(weights: StartingWeights, actual: str) -> WeightsRefused:
    return WeightsRefused(
        f"The starting weights {weights.label} ({weights.reference}) do not match the checksum recorded when they were stored "
        f"(expected {weights.sha256[:12]}…, found {actual[:12]}…), so they were not loaded; upload the file again or choose another."
    )


def verified_bytes(weights: StartingWeights) -> bytes:
    """The file's bytes, read once; refused unless their sha256 is the recorded one."""
    try:
        data = weights.path.read_bytes()
    except OSError as error:
        raise WeightsRefused(
            f"The starting weights {weights.label} ({weights.reference}) cannot be read ({error.strerror}); "
            "upload the file again or choose another."
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != weights.sha256:
        raise _mismatch(weights, actual)
    return data


def load_state_dict(weights: StartingWeights) -> dict[str, torch.Tensor]:
    """A classifier's starting state dict: checksum first, then ``torch.load(weights_only=True)`` of those bytes."""
    return state_dict_from_bytes(verified_bytes(weights), weights.label)


def state_dict_from_bytes(data: bytes, label: str) -> dict[str, torch.Tensor]:
    """The state dict in a ``.pt`` file's bytes, loaded with ``weights_only=True``; a Wiresag checkpoint gives its ``model``."""
    import torch  # here, not at import: the web process must start without torch

    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise WeightsRefused(
            f"The starting weights {label} are not a plain state dict of tensors ({reason}); "
            "save the network with torch.save(model.state_dict(), path) and upload that file."
        ) from None
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    if not isinstance(state, dict) or not state or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise WeightsRefused(
            f"The starting weights {label} hold no state dict of tensors; "
            "save the network with torch.save(model.state_dict(), path) and upload that file."
        )
    return state


def verified_copy(weights: StartingWeights, folder: Path) -> Path:
    """Copy the file into ``folder`` while hashing it; the copy, and only the copy, may be loaded (by Ultralytics)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / DETECTION_COPY
    digest = hashlib.sha256()
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".starting-", suffix=".part", delete=False)
    try:
        with handle, weights.path.open("rb") as reader:
            while chunk := reader.read(_CHUNK):
                digest.update(chunk)
                handle.write(chunk)
        actual = digest.hexdigest()
        if actual != weights.sha256:
            raise _mismatch(weights, actual)
        os.replace(handle.name, target)
    except OSError as error:
        raise WeightsRefused(
            f"The starting weights {weights.label} ({weights.reference}) cannot be read ({error.strerror}); "
            "upload the file again or choose another."
        ) from None
    finally:
        Path(handle.name).unlink(missing_ok=True)
    return target


def own_file(path: Path, folder: Path) -> Path:
    """``path`` if it is a regular file inside ``folder`` (no link leading elsewhere); a resume loads nothing else."""
    resolved = path.resolve()
    if path.is_symlink() or folder.resolve() not in resolved.parents or not resolved.is_file():
        raise WeightsRefused(f"{path} is not a file the run wrote into its own folder {folder}, so it was not loaded; start a new run.")
    return resolved
