"""The house floors: core/ is plain Python, and the import contracts can fail.

``lint-imports`` (run by ``scripts/test``) checks the contracts in pyproject.toml on the
real code; the tests here prove that those contracts catch what they claim to catch.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "accounts", "annotations", "interop", "training", "registry", "review", "wiresag_web")


def test_every_core_module_imports_without_django() -> None:
    """Import each module of core/ in a fresh interpreter: none of them may pull Django in."""
    import core

    names = sorted(info.name for info in pkgutil.walk_packages(core.__path__, "core."))
    assert len(names) >= 25, names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'channels', 'django_q'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint_tree(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with this project's contracts (copied verbatim) on a small tree of empty packages."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "models.py").write_text("")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = pyproject[pyproject.index("[tool.importlinter]") :]
    (tmp_path / "pyproject.toml").write_text(section, encoding="utf-8")
    assert tomllib.loads(section)["tool"]["importlinter"]["contracts"]
    return subprocess.run([LINT_IMPORTS], cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_the_contracts_pass_on_a_tree_that_keeps_the_floors(tmp_path: Path) -> None:
    result = _lint_tree(tmp_path, {"review/models.py": "import registry.models\nimport core.models\n"})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("files", "broken"),
    [
        # an upward import, even a lazy one inside a function
        ({"annotations/models.py": "def f():\n    from registry.models import X\n"}, "Floors"),
        # two apps on the same floor
        ({"training/models.py": "import interop.models\n"}, "Floors"),
        # Django in core/, lazily
        ({"core/models.py": "def f():\n    import django.db\n"}, "core/ is plain Python"),
        # a loop between two modules of one package
        ({"training/a.py": "import training.b\n", "training/b.py": "def f():\n    import training.a\n"}, "No import loops"),
    ],
)
def test_each_contract_catches_what_it_claims(tmp_path: Path, files: dict[str, str], broken: str) -> None:
    result = _lint_tree(tmp_path, files)
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(line.startswith(broken) and line.endswith("BROKEN") for line in result.stdout.splitlines()), result.stdout
