"""The pages' Content-Security-Policy allows styles and scripts from the app's files only (plus nonces).

An inline ``<style>`` block or ``style="..."`` attribute is blocked by the browser and reported as a
console error on every page that has it (the registry's pages had one); this catches it before a
browser does.
"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/json\")", re.IGNORECASE)


def test_no_template_has_an_inline_style_or_an_inline_script_without_a_nonce() -> None:
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_STYLE, INLINE_SCRIPT):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{template.relative_to(TEMPLATES)}:{line}: {text.splitlines()[line - 1].strip()[:80]}")
    assert offenders == []
