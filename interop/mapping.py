"""Foreign labels and attributes -> our view and defect (no Django here).

A mapping is plain JSON, stored as ``LabelMapping.mapping`` for reuse::

    {"labels": {"car": {"defect": "TOUCH", "view": ""}, "bus": {"skip": true}},
     "attributes": {"view=TOP": {"view": "TOP"}, "origin=prediction": {"skip": true}},
     "default_view": ""}

A box's view comes from its label's entry, else an attribute's, else the
picture's name (``001_TOP.jpg``), else ``default_view``; its defect from the
label's entry, else an attribute's, else ``default_defect``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.labels import DEFECTS, VIEWS, defect_label, view_label
from interop.dataset import ForeignBox, ForeignDataset


@dataclass(frozen=True)
class Target:
    view: str = ""
    defect: str = ""
    skip: bool = False


def read_label(label: str) -> Target:
    """What one of our own names says: ``TOP_PASS``, ``SIDE 沖線``, ``PASS``, ``碰觸``, ``TOP``."""
    text = label.strip()
    for separator in ("_", " ", "-", "/"):
        head, found, tail = text.partition(separator)
        if found:
            try:
                return Target(view=view_label(head), defect=defect_label(tail))
            except ValueError:
                pass
    try:
        return Target(defect=defect_label(text))
    except ValueError:
        pass
    try:
        return Target(view=view_label(text))
    except ValueError:
        return Target()


def suggest(dataset: ForeignDataset) -> dict[str, Any]:
    """A mapping that recognises our own vocabulary (English or Chinese) and leaves the rest unmapped."""
    labels = {}
    for label in dataset.label_counts():
        target = read_label(label)
        labels[label] = {"view": target.view, "defect": target.defect, "skip": False}
    attributes = {}
    for key in dataset.attribute_counts():
        name, _, value = key.partition("=")
        target = read_label(value) if name.strip().lower() in ("view", "defect", "class", "label", "view_type", "defect_type") else Target()
        if target.view or target.defect:
            attributes[key] = {"view": target.view, "defect": target.defect, "skip": False}
    return {"labels": labels, "attributes": attributes, "default_view": "", "default_defect": ""}


def clean(raw: Any) -> dict[str, Any]:
    """Validate a mapping from a form, a file or the database; raise ``ValueError`` with a sentence."""
    if not isinstance(raw, dict):
        raise ValueError("A label mapping must be a JSON object with 'labels' and 'attributes'.")
    result: dict[str, Any] = {"labels": {}, "attributes": {}, "default_view": "", "default_defect": ""}
    for section in ("labels", "attributes"):
        entries = raw.get(section) or {}
        if not isinstance(entries, dict):
            raise ValueError(f"'{section}' must map each foreign name to a view and defect.")
        for key, entry in entries.items():
            if not isinstance(entry, dict):
                raise ValueError(f"The entry for {key!r} must be an object with view, defect or skip.")
            view, defect = str(entry.get("view") or ""), str(entry.get("defect") or "")
            if view and view not in VIEWS:
                raise ValueError(f"{key!r}: view {view!r} is not one of {', '.join(VIEWS)}.")
            if defect and defect not in DEFECTS:
                raise ValueError(f"{key!r}: defect {defect!r} is not one of {', '.join(DEFECTS)}.")
            result[section][str(key)] = {"view": view, "defect": defect, "skip": bool(entry.get("skip"))}
    for key, allowed in (("default_view", VIEWS), ("default_defect", DEFECTS)):
        value = str(raw.get(key) or "")
        if value and value not in allowed:
            raise ValueError(f"{key} {value!r} is not one of {', '.join(allowed)}.")
        result[key] = value
    return result


def resolve(box: ForeignBox, mapping: dict[str, Any], name_view: str | None) -> tuple[str, str] | str:
    """``(view, defect)`` for a box, or the reason it is skipped."""
    entry = mapping["labels"].get(box.label)
    if entry and entry["skip"]:
        return f"label {box.label!r} is set to skip"
    view, defect = (entry["view"], entry["defect"]) if entry else ("", "")
    for name, value in box.attributes.items():
        attribute = mapping["attributes"].get(f"{name}={value}")
        if not attribute:
            continue
        if attribute["skip"]:
            return f"attribute {name}={value} is set to skip"
        view, defect = view or attribute["view"], defect or attribute["defect"]
    view = view or name_view or mapping["default_view"]
    defect = defect or mapping["default_defect"]
    if not defect:
        return f"unknown label {box.label!r} (map it to a defect class)"
    if not view:
        return f"no view for label {box.label!r} (map it to TOP or SIDE, or name pictures *_TOP / *_SIDE)"
    return view, defect
