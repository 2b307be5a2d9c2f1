"""The guide's tables checked against the code, so that they cannot go stale: docs/architecture.md's floors."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(settings.BASE_DIR)
FLOORS = ("accounts", "annotations", "interop", "training", "registry", "review", "wiresag_web")


def _owns() -> dict[str, str]:
    """``floor -> its row`` of the table "What each floor owns" in docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## What each floor owns", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`").rstrip("/")] = f"{cells[1]} | {cells[2]}"
    return rows


def _named(name: str, row: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", row) is not None


def test_the_architecture_table_names_what_each_floor_owns() -> None:
    """A newcomer looking for where a model, a middleware or a command lives reads this table: it left out
    ``DataFolderIdentity``, the project's own middleware (``DownloadsInPieces``, ``MethodNotAllowedPage``), the
    ``bootstrap_demo``, ``generate_synthetic`` and ``registry_check`` commands and four modules of ``core/``."""
    rows = _owns()
    assert set(FLOORS) | {"core"} <= set(rows), f"floors missing from the table: {set(FLOORS) | {'core'} - set(rows)}"
    missing = []
    for floor in FLOORS:
        row = rows[floor]
        missing += [f"{floor}: model {m.__name__}" for m in apps.get_app_config(floor).get_models() if not _named(m.__name__, row)]
        missing += [f"{floor}: command {c}" for c, app in get_commands().items() if app == floor and not _named(c, row)]
        for dotted in settings.MIDDLEWARE:
            if dotted.split(".")[0] == floor and not _named(dotted.rsplit(".", 1)[1], row):
                missing.append(f"{floor}: middleware {dotted}")
    for path in sorted((ROOT / "core").iterdir()):
        name = path.stem if path.suffix == ".py" else path.name
        if (path.suffix == ".py" or (path / "__init__.py").is_file()) and name != "__init__" and not _named(name, rows["core"]):
            missing.append(f"core: {name}")
    assert not missing, "docs/architecture.md, 'What each floor owns', leaves out:\n" + "\n".join(missing)
