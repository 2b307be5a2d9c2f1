"""Make the small CJK web font the app ships: every Chinese/Japanese glyph its pages use, from Noto Sans CJK TC.

A factory PC without CJK fonts showed the Chinese class names (沖線, 晃動, 碰觸) as empty boxes. The
subset holds only the characters found in the templates, the static scripts and the label vocabulary,
so it stays a few kilobytes. Noto Sans CJK is under the SIL Open Font License 1.1 (static/fonts/OFL.txt);
the subset keeps its name table. Run it again after adding Chinese text to a page (needs Debian's
fonts-noto-cjk and pip's fonttools + brotli, development only):

    .venv/bin/python scripts/make_cjk_font.py
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_NUMBER = 3  # Noto Sans CJK TC: the traditional forms the desktop tool's labels use
TARGET = ROOT / "static" / "fonts" / "wiresag-cjk.woff2"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
SCANNED = ("templates/**/*.html", "static/**/*.js", "core/labels.py", "annotations/**/*.py", "interop/**/*.py")


def used_characters() -> str:
    found: set[str] = set()
    for pattern in SCANNED:
        for path in ROOT.glob(pattern):
            if "vendor" not in path.parts:
                found.update(CJK.findall(path.read_text(encoding="utf-8")))
    return "".join(sorted(found))


def main() -> None:
    from fontTools import subset

    characters = used_characters()
    options = subset.Options()
    options.flavor = "woff2"
    options.font_number = FONT_NUMBER
    options.name_IDs = ["*"]  # keep the copyright and licence notices
    font = subset.load_font(str(SOURCE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    subset.save_font(font, str(TARGET), options)
    print(f"{TARGET.relative_to(ROOT)}: {len(characters)} characters ({characters}), {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main()
