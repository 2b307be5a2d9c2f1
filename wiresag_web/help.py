"""The user guide inside the app: the pages of ``docs/`` rendered from Markdown, served offline.

Only the files of the ``docs`` folder can be asked for, by their plain names (``/help/training/``);
links between them and to their screenshots are rewritten to the help's own addresses.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

DOCS = Path(settings.BASE_DIR) / "docs"
# Bounded lengths: a name longer than the file system allows is no page (and would be an error, not a 404).
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
_SCREENSHOT = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}\.(png|jpg)$")
_MD_LINK = re.compile(r'href="(?:\.\./docs/|docs/)?([a-z][a-z0-9-]*)\.md(#[^"]*)?"')
_SCREENSHOT_LINK = re.compile(r'src="(?:docs/)?screenshots/([^"/]+)"')


def pages() -> list[tuple[str, str]]:
    """``(name, title)`` of every guide page, in name order; the title is its first heading."""
    result = []
    for path in sorted(DOCS.glob("*.md")):
        first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# ")), path.stem)
        result.append((path.stem, first.lstrip("# ").strip()))
    return result


@lru_cache(maxsize=32)
def _rendered(name: str, modified: float) -> str:
    import markdown

    html = markdown.markdown((DOCS / f"{name}.md").read_text(encoding="utf-8"), extensions=["tables", "fenced_code", "toc"])
    html = _MD_LINK.sub(lambda m: f'href="/help/{m[1]}/{m[2] or ""}"', html)
    return _SCREENSHOT_LINK.sub(lambda m: f'src="/help/screenshots/{m[1]}"', html)


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "help/index.html", {"pages": pages()})


def page(request: HttpRequest, name: str) -> HttpResponse:
    path = DOCS / f"{name}.md"
    if not _NAME.match(name) or not path.is_file():
        raise Http404("There is no guide page of this name.")
    html = _rendered(name, path.stat().st_mtime)
    return render(request, "help/page.html", {"html": html, "title": dict(pages())[name], "name": name})


def screenshot(request: HttpRequest, name: str) -> FileResponse:
    path = DOCS / "screenshots" / name
    if not _SCREENSHOT.match(name) or not path.is_file():
        raise Http404("There is no such picture in the guide.")
    return FileResponse(path.open("rb"), content_type="image/png" if name.endswith(".png") else "image/jpeg")
