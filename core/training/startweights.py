"""Starting weights: a file of the app's weights store, loaded only after its sha256 matches.

Loading a ``.pt`` file can run code (pickle), so a trainer never opens a path
it was merely told about. The web app resolves the run's ``weights`` reference
(``version:<id>`` or ``upload:<id>``) to a :class:`StartingWeights`: the file
and the checksum recorded when it entered the store. Here the bytes are read
once, hashed, and only those bytes are loaded: a classifier's state dict from
memory with ``weights_only=True``, a YOLO file from a copy in the run's own
folder. Ultralytics always unpickles with ``weights_only=False`` (and evaluates
parts of a network's ``yaml`` when it builds it again), so it never opens a
stored detector file: ``check_detector`` reads the file with an unpickler that can
only rebuild network layers (without running their code), containers and
tensors, and ``detector_tensors`` takes only its tensors, which the trainer puts
into a network built from its own architecture file. Plain Python, no Django.
"""

from __future__ import annotations

import collections
import hashlib
import importlib
import io
import os
import pickle
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    architecture: str = ""  # the network the file was trained as (a version's settings say it), "" when unknown (uploads)

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


#: What a detector checkpoint may call while it is unpickled: containers, tensors and numpy scalars.
_DETECTOR_CALLS: dict[str, Any] = {
    "collections.OrderedDict": collections.OrderedDict,
    "builtins.set": set,
    "__builtin__.set": set,
    "builtins.frozenset": frozenset,
    "__builtin__.frozenset": frozenset,
    "torch.Size": tuple,
    **dict.fromkeys(
        (
            "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter",
            "torch._utils._rebuild_parameter_with_state",
            "numpy.core.multiarray.scalar",
            "numpy._core.multiarray.scalar",
            "numpy.dtype",
        ),
        lambda *args, **kwargs: object(),
    ),
}
#: Where the network layers of a detector checkpoint come from.
_LAYER_MODULES = ("ultralytics.nn.", "torch.nn.modules.")


class _Layer:
    """A network layer as the check sees it: built without arguments (NEWOBJ) and given its state, never called."""

    def __new__(cls, *args: Any) -> _Layer:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise pickle.UnpicklingError(f"it calls the layer {type(self).__name__} with arguments, which runs its code")


class _Named:
    """A storage type or dtype a tensor names: a value, never called."""

    def __new__(cls, *args: Any) -> _Named:
        raise pickle.UnpicklingError(f"it calls {cls.__name__}, which a checkpoint only names")


def _is_tensor_type(module: str, name: str) -> bool:
    """``torch.FloatStorage``, ``torch.float16`` and the like: what a tensor's persistent id names."""
    if module != "torch" or not name.isidentifier():
        return False
    import torch

    found = getattr(torch, name, None)
    return isinstance(found, torch.dtype) or (isinstance(found, type) and name.endswith("Storage"))


def _layer_class(module: str, name: str) -> type | None:
    """``module.name`` if it is a network layer class defined in that module (not a function, a module or an alias)."""
    if not module.startswith(_LAYER_MODULES) or not name.isidentifier():
        return None
    import torch

    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    if isinstance(found, type) and issubclass(found, torch.nn.Module) and found.__module__ == module:
        return found
    return None


class _DetectorCheck(pickle.Unpickler):
    def __init__(self, data: io.BytesIO) -> None:
        super().__init__(data)
        self.layers: list[type] = []

    def find_class(self, module: str, name: str) -> Any:
        full = f"{module}.{name}"
        if full in _DETECTOR_CALLS:
            return _DETECTOR_CALLS[full]
        if _is_tensor_type(module, name):
            return type(full, (_Named,), {})
        if (layer := _layer_class(module, name)) is not None:
            self.layers.append(layer)
            return type(full, (_Layer,), {})
        raise pickle.UnpicklingError(f"it refers to {full}, which is neither a network layer nor a tensor")

    def persistent_load(self, pid: Any) -> Any:
        return None


def check_detector(path: Path, label: str) -> list[type]:
    """Refuse a YOLO checkpoint unless unpickling it can only rebuild network layers, containers and tensors.

    Ultralytics loads a detector with ``weights_only=False``: any object in the file is rebuilt,
    so a planted file runs its code. Genuine checkpoints (``best.pt``, ``last.pt``) hold layers
    rebuilt without calling them, their tensors and plain values; this reads the pickle with
    stand-ins for those and refuses anything else before Ultralytics ever sees the file.
    """
    from core.offline import import_yolo

    import_yolo()  # the layers' modules import Ultralytics: offline, and with Pillow's own Image.open
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [name for name in archive.namelist() if name.count("/") == 1 and name.endswith("/data.pkl")]
            if len(pickles) != 1:
                raise pickle.UnpicklingError("it holds no single data.pkl")
            data = archive.read(pickles[0])
        check = _DetectorCheck(io.BytesIO(data))
        checkpoint = check.load()
    except zipfile.BadZipFile:
        raise WeightsRefused(
            f"{label} is not a PyTorch .pt file (torch.save writes a zip archive); upload the detector's best.pt or last.pt."
        ) from None
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise WeightsRefused(
            f"{label} cannot be loaded safely: {reason}. A detector's best.pt or last.pt holds only Ultralytics and torch layers "
            "and their tensors; upload one written by Ultralytics' training."
        ) from None
    if not isinstance(checkpoint, dict) or not any(isinstance(checkpoint.get(key), _Layer) for key in ("model", "ema")):
        raise WeightsRefused(
            f"{label} holds no detector (no network under 'model' or 'ema'); upload the best.pt or last.pt of a YOLO training."
        )
    return check.layers


def detector_tensors(path: Path, label: str) -> dict[str, torch.Tensor]:
    """The detector's weights as named tensors, and nothing else of the file.

    A network object carries more than tensors: its ``yaml`` (the architecture, which Ultralytics
    evaluates in part when it builds the model again) and any attribute the file's author set.
    So only the tensors are taken: the file is checked (``check_detector``), loaded with
    ``weights_only=True`` and only its layers' named classes allowed, and its parameters and
    buffers are read from the layers' own dictionaries, without calling a method of the file's
    objects. The trainer puts them into a network built from its own architecture file.
    """
    import torch

    layers = check_detector(path, label)
    try:
        with torch.serialization.safe_globals(list[Any](layers)):
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, TypeError, AttributeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise WeightsRefused(f"{label} cannot be loaded safely: {reason}.") from None
    network = checkpoint.get("ema") or checkpoint.get("model")
    tensors = _named_tensors(network)
    if not tensors:
        raise WeightsRefused(f"{label} holds a network without weights; upload the best.pt or last.pt of a YOLO training.")
    return tensors


def _named_tensors(network: Any) -> dict[str, torch.Tensor]:
    """Parameters and buffers under their state-dict names, read from each layer's ``__dict__`` (no hook, no method)."""
    import torch

    tensors: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    stack = [("", network)]
    while stack:
        prefix, layer = stack.pop()
        if id(layer) in seen or not isinstance(layer, torch.nn.Module):
            continue
        seen.add(id(layer))
        attributes = object.__getattribute__(layer, "__dict__")
        for kind in ("_parameters", "_buffers"):
            for name, value in dict.items(attributes.get(kind) or {}) if isinstance(attributes.get(kind), dict) else ():
                if isinstance(name, str) and isinstance(value, torch.Tensor):
                    tensors[prefix + name] = value.detach().float() if value.is_floating_point() else value.detach()
        children = attributes.get("_modules")
        for name, child in dict.items(children) if isinstance(children, dict) else ():
            if isinstance(name, str):
                stack.append((f"{prefix}{name}.", child))
    return tensors
