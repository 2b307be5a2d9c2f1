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


def _configuration_rows() -> dict[str, str]:
    """``WIRESAG_X -> its row`` from the tables of docs/configuration.md (a row may name several)."""
    rows: dict[str, str] = {}
    for line in (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3:
            for name in re.findall(r"`(WIRESAG_\w+)`", cells[0]):
                rows[name] = line
    return rows


def _setting_of_variable() -> dict[str, str]:
    """``settings.NAME -> WIRESAG_X`` for every ``NAME = env_*("WIRESAG_X", ...)`` in settings.py."""
    source = (ROOT / "wiresag_web" / "settings.py").read_text(encoding="utf-8")
    return dict(re.findall(r'^([A-Z_]+) = env_\w+\("(WIRESAG_\w+)"', source, flags=re.MULTILINE))


def test_every_variable_configuration_md_documents_is_read_by_the_app_or_the_scripts() -> None:
    """A variable dropped from the code but left in the guide is set by operators and silently does nothing."""
    read = set()
    for path in [*ROOT.glob("*/**/*.py"), *(ROOT / "scripts").iterdir()]:
        if path.is_file() and "tests" not in path.relative_to(ROOT).parts[:1] and ".venv" not in str(path.relative_to(ROOT)):
            text = path.read_text(encoding="utf-8", errors="replace")
            read |= set(re.findall(r'env_\w+\("(WIRESAG_\w+)"', text)) | set(re.findall(r"\$\{?(WIRESAG_\w+)", text))
    unread = sorted(set(_configuration_rows()) - read)
    assert not unread, f"documented in docs/configuration.md but read nowhere: {unread}"


def test_each_expiry_variable_names_the_schedule_that_applies_it(db) -> None:  # type: ignore[no-untyped-def]
    """configuration.md said "the maintenance schedule" (the every-minute ``training-maintenance``) removes unfinished
    imports and finished exports; each has its own schedule every 10 minutes, and the inspection zips' one was not
    named at all, so an operator looking in the admin's schedules for when a setting applies found the wrong one."""
    import inspect

    from django.utils.module_loading import import_string
    from django_q.models import Schedule

    rows = _configuration_rows()
    variables = _setting_of_variable()
    unnamed = []
    for schedule in Schedule.objects.all():
        source = inspect.getsource(import_string(schedule.func))
        for setting in sorted(set(re.findall(r"settings\.([A-Z_]+)", source)) & set(variables)):
            if "_EXPIRE_" in variables[setting] and schedule.name not in rows[variables[setting]]:
                unnamed.append(f"{variables[setting]}: {schedule.name} ({schedule.func})")
    assert not unnamed, "docs/configuration.md does not name the schedule that applies:\n" + "\n".join(unnamed)


def test_every_command_and_option_the_guide_shows_exists() -> None:
    """Each ``manage.py <command> --option`` of the README, docs/ and the pages' own hints, as a newcomer types it."""
    from django.core.management import load_command_class

    commands = get_commands()
    wrong = []
    for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "templates").rglob("*.html")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            for shown in re.finditer(r"manage\.py ([a-z_]+)([^`\n|]*)", line):
                name = shown[1]
                if name not in commands:
                    wrong.append(f"{path.name}: manage.py {name}")
                    continue
                parser = load_command_class(commands[name], name).create_parser("manage.py", name)
                options = {option for action in parser._actions for option in action.option_strings}
                given = re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", shown[2])
                wrong += [f"{path.name}: manage.py {name} {option}" for option in given if option not in options]
    assert not wrong, "\n".join(wrong)
