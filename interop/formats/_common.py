"""Helpers shared by the text, JSON and XML formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from interop.dataset import FormatError


def text_of(path: Path) -> str:
    """The file's text; a file that is not UTF-8 gets a sentence naming it and the first bad byte's line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FormatError(path, f"line {line}", "this is not UTF-8 text; save the file as UTF-8 and import it again.") from None


def load_json(path: Path) -> Any:
    """Parse JSON; a truncated or broken file names the line and column."""
    try:
        return json.loads(text_of(path))
    except json.JSONDecodeError as error:
        raise FormatError(path, f"line {error.lineno} column {error.colno}", f"this is not valid JSON ({error.msg}).") from None
    except RecursionError:
        raise FormatError(path, "", "its JSON is nested deeper than any annotation file; export it from its tool again.") from None


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
