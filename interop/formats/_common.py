"""Helpers shared by the JSON and XML formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from interop.dataset import FormatError


def load_json(path: Path) -> Any:
    """Parse JSON; a truncated or broken file names the line and column."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise FormatError(path, f"line {error.lineno} column {error.colno}", f"this is not valid JSON ({error.msg}).") from None
    except UnicodeDecodeError:
        raise FormatError(path, "", "this is not a UTF-8 text file.") from None


def load_xml(path: Path, root_tag: str, format_name: str) -> ElementTree.Element:
    """Parse XML and check the root element; broken XML names the line."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        line, column = error.position
        raise FormatError(path, f"line {line} column {column}", f"this is not well-formed XML ({error.msg}).") from None
    if root.tag != root_tag:
        raise FormatError(path, f"root element <{root.tag}>", f"this is not {format_name} XML: its root element must be <{root_tag}>.")
    return root


def fmt(value: float) -> str:
    """A coordinate written with up to two decimals, integers without any."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
