"""The guide as a newcomer follows it, checked against the code: settings' defaults, and the functions it names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
GUIDES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
APPS = ("accounts", "annotations", "core", "interop", "registry", "review", "training", "wiresag_web", "bench")
#: Names the guide calls that live outside this project (Python, torch, TensorBoard, Ultralytics) or in a formula.
OUTSIDE = {"YOLO", "add_image", "asdict", "freeze", "len", "round", "save", "sha256", "sin", "softmax"}
SIZE_UNITS = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}


def _settings_defaults() -> dict[str, object]:
    """``WIRESAG_X -> default`` for every ``env_*("WIRESAG_X", <literal default>)`` in settings.py."""
    tree = ast.parse((ROOT / "wiresag_web" / "settings.py").read_text(encoding="utf-8"))
    defaults: dict[str, object] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("env_")):
            continue
        if not (node.args and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("WIRESAG_")):
            continue
        name = str(node.args[0].value)
        try:
            # A literal or arithmetic on literals (50 * 1024 * 1024); a default computed from the machine is skipped.
            defaults[name] = eval(compile(ast.Expression(node.args[1]), "settings", "eval"), {"__builtins__": {}})
        except (IndexError, NameError):
            defaults[name] = None
    return defaults


def _configuration_rows() -> dict[str, str]:
    """``WIRESAG_X -> its default cell`` from the tables of docs/configuration.md (a row may name several)."""
    rows: dict[str, str] = {}
    for line in (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3:
            for name in re.findall(r"`(WIRESAG_\w+)`", cells[0]):
                rows[name] = cells[1]
    return rows


def _values_in(cell: str, name: str) -> set[float]:
    """The numbers a default cell states: ``7 days (604,800 seconds)``, ``50 MiB`` (for a ``_BYTES`` variable), ``0.70``."""
    values = {float(number.replace(",", "")) for number in re.findall(r"\d[\d,]*(?:\.\d+)?", cell)}
    if name.endswith("_BYTES"):
        for number, unit in re.findall(r"(\d+(?:\.\d+)?) ([KMG]iB)", cell):
            values.add(float(number) * SIZE_UNITS[unit])
    return values


def test_every_setting_in_configuration_md_states_the_codes_default_in_the_unit_the_variable_takes() -> None:
    """``WIRESAG_JOB_TIMEOUT`` read "7 days" with no unit, and the variable takes seconds: an operator who set
    ``WIRESAG_JOB_TIMEOUT=14`` (days) was refused, and one who set ``72`` (hours) had every training run killed
    after 72 seconds."""
    rows = _configuration_rows()
    defaults = _settings_defaults()
    assert defaults, "no WIRESAG_ setting found in settings.py"
    missing = sorted(set(defaults) - set(rows))
    assert not missing, f"read by settings.py, missing from docs/configuration.md: {missing}"
    wrong = []
    for name, default in defaults.items():
        cell = rows[name]
        if default is None or isinstance(default, list):
            continue
        if isinstance(default, bool):
            shown = "1" if default else "0"
            if f"`{shown}`" not in cell:
                wrong.append(f"{name}: code {shown}, docs {cell!r}")
        elif isinstance(default, int | float):
            if float(default) not in _values_in(cell, name):
                wrong.append(f"{name}: code {default}, docs {cell!r}")
        elif default and f"`{default}`" not in cell:
            wrong.append(f"{name}: code {default!r}, docs {cell!r}")
    assert not wrong, "\n".join(wrong)


def _defined_names() -> set[str]:
    names: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(node.name)
    return names


def test_every_function_the_guide_names_exists() -> None:
    """docs/data.md still taught ``detection_transform``, ``default_oversampling``, ``statistics_text`` and a
    ``preview`` module that were deleted as dead code: a newcomer following it got an ImportError."""
    defined = _defined_names()
    unknown = []
    for guide in GUIDES:
        for span in re.findall(r"`([^`\n]+)`", guide.read_text(encoding="utf-8")):
            for called in re.findall(r"([A-Za-z_][\w.]*)\(", span):
                name = called.rsplit(".", 1)[-1]
                if name not in defined and name not in OUTSIDE:
                    unknown.append(f"{guide.name}: {called}()")
    assert not unknown, "\n".join(unknown)


def test_the_web_server_run_apart_on_a_host_without_the_shared_folder_does_not_start(transactional_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """docs/operations.md runs the web server apart (``python -m wiresag_web.server``) on bigger installs and says every
    process checks the shared data folder at start; only ``serve`` and ``worker`` did, so a web host with a local disk
    in place of the mount took uploads the workers could never read."""
    import socket
    import subprocess
    import sys

    from annotations.datafolder import check_data_folder
    from tests.live_fixtures import process_env

    check_data_folder(settings.DATA_DIR)  # the installation's folder, marked by its first process
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**process_env(settings), "WIRESAG_DATA_DIR": str(tmp_path / "not-shared")}
    command = [sys.executable, "-m", "wiresag_web.server", "-b", "127.0.0.1", "-p", str(port), "wiresag_web.asgi:application"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()
        raise AssertionError("the web server started on a data folder that is not the installation's") from None
    assert server.returncode != 0
    assert "is not the one this installation uses" in stderr and "Scaling out" in stderr
    assert "Traceback" not in stderr
