"""The Chinese class names need no system font: the app serves a CJK subset holding every character its pages use."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[2]
FONT = ROOT / "static" / "fonts" / "wiresag-cjk.woff2"


def used_characters() -> str:
    spec = importlib.util.spec_from_file_location("make_cjk_font", ROOT / "scripts" / "make_cjk_font.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    characters: str = module.used_characters()
    return characters


def test_the_subset_font_holds_every_chinese_character_the_pages_use() -> None:
    characters = used_characters()
    assert set("沖線晃動碰觸") <= set(characters)  # the desktop tool's class names at least
    cmap = TTFont(FONT).getBestCmap()
    missing = [c for c in characters if ord(c) not in cmap]
    assert not missing, f"run scripts/make_cjk_font.py again: {missing} are not in {FONT.name}"
    assert FONT.stat().st_size < 50_000  # a subset, not the whole CJK font
    assert "SIL Open Font License" in (ROOT / "static" / "fonts" / "OFL.txt").read_text()


@pytest.mark.django_db
def test_the_stylesheet_uses_the_font_served_by_the_app(client) -> None:
    css = (ROOT / "static" / "css" / "wiresag.css").read_text()
    assert 'src: url("../fonts/wiresag-cjk.woff2")' in css and '"Wiresag CJK"' in css.split("body {", 1)[1].split("}", 1)[0]
