"""The label vocabulary shared by every part of Wiresag.

The order of ``DEFECTS`` is the class-id order everywhere (datasets, class
weights, metrics, exports). The desktop tool used two different orders; we
keep exactly one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

VIEWS: tuple[str, ...] = ("TOP", "SIDE")
DEFECTS: tuple[str, ...] = ("PASS", "SWEEP", "WOBBLE", "TOUCH")

#: Chinese names used by the inspectors and the desktop tool.
DEFECT_CHINESE: dict[str, str] = {
    "PASS": "PASS",
    "SWEEP": "沖線",
    "WOBBLE": "晃動",
    "TOUCH": "碰觸",
}

#: Severity for combining the two views of one wire: higher is worse.
SEVERITY: dict[str, int] = {name: rank for rank, name in enumerate(DEFECTS)}

_DEFECT_ALIASES: dict[str, str] = {
    **{name.lower(): name for name in DEFECTS},
    **{chinese: name for name, chinese in DEFECT_CHINESE.items()},
    # Simplified-Chinese spellings seen in spreadsheets.
    "冲线": "SWEEP",
    "晃动": "WOBBLE",
    "碰触": "TOUCH",
    "good": "PASS",
    "ok": "PASS",
}

_FILENAME_RE = re.compile(r"^(?P<wire>.+?)[_\-\s](?P<view>top|side)\Z", re.IGNORECASE | re.DOTALL)  # a newline is part of a name


def defect_label(name: str) -> str:
    """Return the canonical defect name for an English or Chinese label."""
    key = name.strip()
    found = _DEFECT_ALIASES.get(key) or _DEFECT_ALIASES.get(key.lower())
    if found is None:
        known = ", ".join(f"{d} ({DEFECT_CHINESE[d]})" for d in DEFECTS)
        raise ValueError(f"Unknown defect class {name!r}; expected one of {known}.")
    return found


def view_label(name: str) -> str:
    """Return the canonical view name (TOP or SIDE) for a label in any case."""
    key = name.strip().upper()
    if key not in VIEWS:
        raise ValueError(f"Unknown view {name!r}; expected TOP or SIDE.")
    return key


def defect_display(name: str) -> str:
    """``"SWEEP 沖線"``: both names, as the UI shows them."""
    chinese = DEFECT_CHINESE[name]
    return name if chinese == name else f"{name} {chinese}"


@dataclass(frozen=True)
class WireName:
    """What a picture's file name says about it."""

    wire_id: str
    view: str | None


def parse_wire_name(filename: str) -> WireName:
    """Parse ``{wire_id}_TOP.png`` / ``{wire_id}_SIDE.jpg`` (case-insensitive).

    A name that does not follow the convention keeps its stem as the wire id
    and has no view.
    """
    stem = PurePath(filename.replace("\\", "/")).stem
    match = _FILENAME_RE.match(stem)
    if match is None:
        return WireName(wire_id=stem, view=None)
    return WireName(wire_id=match.group("wire"), view=match.group("view").upper())


#: The three model types, in the order "train all" runs them.
MODEL_TYPES: tuple[str, ...] = ("view", "detection", "defect")
#: What each model type is, and the network it is built from unless its settings name another.
MODEL_KINDS: dict[str, tuple[str, str]] = {
    "detection": ("Detection", "yolov8n.yaml"),
    "view": ("View classifier", "resnet18"),
    "defect": ("Defect classifier", "efficientnet_b0"),
}
_NETWORK_NAMES = {"resnet18": "ResNet18", "efficientnet_b0": "EfficientNet-B0"}
_YOLO_FILE = re.compile(r"yolov8([nsmlx])\.yaml")


def model_display(model_type: str, settings: Mapping[str, object] | None = None) -> str:
    """A model type with the network its settings build, e.g. "Defect classifier (ResNet18)".

    The type's label alone named its default network: a defect model trained as a ResNet18 read "EfficientNet-B0".
    """
    kind, default = MODEL_KINDS.get(model_type, (model_type, ""))
    settings = settings or {}
    network = str(settings.get("model" if model_type == "detection" else "architecture") or default)
    if yolo := _YOLO_FILE.fullmatch(network):
        shown = f"YOLOv8{yolo.group(1)}"
    else:
        shown = _NETWORK_NAMES.get(network, network[:40])
    return f"{kind} ({shown})" if shown else kind


#: The two classifiers' model types (the detector is the third).
ClassifierTask = Literal["defect", "view"]


def classifier_task(model_type: str) -> ClassifierTask:
    """``model_type`` as a classifier task; a ValueError for the detector or an unknown name."""
    if model_type == "defect":
        return "defect"
    if model_type == "view":
        return "view"
    raise ValueError(f"{model_type!r} is not a classifier; use defect or view.")
