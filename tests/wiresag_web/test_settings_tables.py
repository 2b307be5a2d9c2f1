"""docs/training.md's settings tables say what ``core.training.config`` holds: every setting, in order, with its
default, its ``cpu-quick`` value, what is allowed and its help text.

They were written by hand and checked by eye; a setting added, renamed or given another default would leave the page
describing a product that no longer exists. On a mismatch the message shows the table as it should read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from core.training.config import PRESETS, describe

DOC = Path(__file__).resolve().parents[2] / "docs" / "training.md"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == "":
        return '""'
    return str(value)


def _allowed(row: dict[str, Any]) -> str:
    if row["choices"]:
        return ", ".join(_value(choice) for choice in row["choices"])
    if row["type"] == "bool":
        return "true, false"
    if row["low"] is not None and row["high"] is not None:
        return f"{row['low']:g} to {row['high']:g}"
    return ""


def expected_table(model_type: str) -> list[str]:
    quick = PRESETS["cpu-quick"][model_type]
    lines = ["| setting | default | cpu-quick | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
    for row in describe(model_type):
        fast = _value(quick[row["name"]]) if row["name"] in quick else ""
        lines.append(f"| `{row['name']}` | {_value(row['default'])} | {fast} | {_allowed(row)} | {row['help']} |")
    return lines


def documented_table(model_type: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"^### {model_type}\n\n((?:\|.*\n)+)", text, re.M)
    assert found, f"docs/training.md has no table under '### {model_type}'"
    return [re.sub(r" +\|", " |", line.rstrip()) for line in found.group(1).splitlines()]


@pytest.mark.parametrize("model_type", ["detection", "view", "defect"])
def test_the_settings_table_in_training_md_is_the_configuration(model_type: str) -> None:
    expected = expected_table(model_type)
    assert documented_table(model_type) == [re.sub(r" +\|", " |", line) for line in expected], (
        f"docs/training.md, '### {model_type}', should read:\n" + "\n".join(expected)
    )
