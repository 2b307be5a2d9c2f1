"""Start-up refuses wrong or missing settings with a sentence naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WIRESAG_")}
    clean.update({"WIRESAG_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_production_without_secret_refuses_to_start(tmp_path):
    result = run_manage(["check"], tmp_path, WIRESAG_DEBUG="0")
    assert result.returncode != 0
    assert "WIRESAG_SECRET_KEY is not set" in result.stderr


def test_bad_boolean_names_the_variable(tmp_path):
    result = run_manage(["check"], tmp_path, WIRESAG_DEBUG="maybe")
    assert result.returncode != 0
    assert "WIRESAG_DEBUG='maybe' is not a yes/no value" in result.stderr


def test_bad_database_url_names_the_variable(tmp_path):
    result = run_manage(["check"], tmp_path, WIRESAG_DEBUG="1", WIRESAG_DATABASE_URL="nonsense://")
    assert result.returncode != 0
    assert "WIRESAG_DATABASE_URL" in result.stderr


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    result = run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        WIRESAG_DEBUG="0",
        WIRESAG_SECRET_KEY="k" * 20 + "Qz8!vR2#pL9@wX4$" * 3,
        WIRESAG_ALLOWED_HOSTS="wiresag.example",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_no_fixed_secret_in_the_source():
    for path in ROOT.glob("wiresag_web/*.py"):
        assert 'SECRET_KEY = "' not in path.read_text(), path


def test_sqlite_runs_in_wal_mode(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the suite runs on WIRESAG_DATABASE_URL's PostgreSQL here; WAL is SQLite's")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        (mode,) = cursor.fetchone()
    # The test database is in memory (mode "memory"); on disk the init command sets WAL.
    assert mode in {"wal", "memory"}
    assert "journal_mode=WAL" in connection.settings_dict["OPTIONS"]["init_command"]


def test_weak_secret_key_refuses_to_start(tmp_path):
    for weak in ("x", "a" * 80, "abcd" * 20, "short-but-varied-key-0123456789"):
        result = run_manage(["check"], tmp_path, WIRESAG_DEBUG="0", WIRESAG_SECRET_KEY=weak)
        assert result.returncode != 0, weak
        assert "WIRESAG_SECRET_KEY is too weak" in result.stderr, weak


def test_the_queue_setting_is_checked(tmp_path):
    unknown = run_manage(["check"], tmp_path, WIRESAG_DEBUG="1", WIRESAG_QUEUE="rabbit")
    assert unknown.returncode != 0 and "WIRESAG_QUEUE must be 'orm' or 'redis', not 'rabbit'." in unknown.stderr
    no_server = run_manage(["check"], tmp_path, WIRESAG_DEBUG="1", WIRESAG_QUEUE="redis")
    assert no_server.returncode != 0 and "WIRESAG_QUEUE=redis needs WIRESAG_REDIS_URL" in no_server.stderr
    script = "from django.conf import settings as s; print(sorted(k for k in ('orm', 'redis') if k in s.Q_CLUSTER), s.Q_CLUSTER['redis'])"
    chosen = run_manage(["shell", "-c", script], tmp_path, WIRESAG_DEBUG="1", WIRESAG_QUEUE="redis", WIRESAG_REDIS_URL="redis://q:6379/2")
    assert chosen.stdout.strip().splitlines()[-1] == "['redis'] redis://q:6379/2", chosen.stderr


def test_postgresql_connections_are_not_kept_per_thread_under_asgi(tmp_path):
    """A connection kept by every pool thread piled up until PostgreSQL said "too many clients" (bench_annotations)."""
    script = "from django.conf import settings as s; print(s.DATABASES['default']['CONN_MAX_AGE'], s.DATABASES['default']['ENGINE'])"
    shown = run_manage(["shell", "-c", script], tmp_path, WIRESAG_DEBUG="1", WIRESAG_DATABASE_URL="postgres://u:p@db-host:5432/wiresag")
    assert shown.stdout.strip().splitlines()[-1] == "0 django.db.backends.postgresql", shown.stderr


def test_old_secret_keys_keep_logins_while_the_key_is_changed(tmp_path):
    """WIRESAG_SECRET_KEY_FALLBACKS: a session signed with the old key stays valid after a change of key."""
    old, new = "old-" + "Qz8!vR2#pL9@wX4$" * 4, "new-" + "Hq3%tM7&bN1*yK6^" * 4
    script = (
        "from django.conf import settings as s; from django.core import signing;import sys; print(signing.loads(sys.argv[1], salt='check'))"
    )
    signed = run_manage(
        ["shell", "-c", "from django.core import signing; print(signing.dumps('still here', salt='check'))"],
        tmp_path,
        WIRESAG_DEBUG="0",
        WIRESAG_SECRET_KEY=old,
    )
    assert signed.returncode == 0, signed.stderr
    token = signed.stdout.strip().splitlines()[-1]  # the shell prints a banner first
    check = ["shell", "-c", script.replace("sys.argv[1]", repr(token))]
    rotated = run_manage(check, tmp_path, WIRESAG_DEBUG="0", WIRESAG_SECRET_KEY=new, WIRESAG_SECRET_KEY_FALLBACKS=old)
    assert rotated.returncode == 0 and rotated.stdout.strip().endswith("still here"), rotated.stderr
    without = run_manage(check, tmp_path, WIRESAG_DEBUG="0", WIRESAG_SECRET_KEY=new)
    assert without.returncode != 0 and "BadSignature" in without.stderr


def test_a_weak_old_secret_key_refuses_to_start(tmp_path):
    strong = "Qz8!vR2#pL9@wX4$" * 4
    result = run_manage(["check"], tmp_path, WIRESAG_DEBUG="0", WIRESAG_SECRET_KEY=strong, WIRESAG_SECRET_KEY_FALLBACKS=f"{strong}x, short")
    assert result.returncode != 0
    assert "WIRESAG_SECRET_KEY_FALLBACKS holds a key that is too weak (the 2nd)" in result.stderr
