"""Malformed WIRESAG_* values stop start-up with a sentence naming the variable, not a traceback deep inside Django."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings


def check_with(tmp_path, name: str, value: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESAG_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"WIRESAG_DEBUG": "1", "WIRESAG_DATA_DIR": str(tmp_path), name: value})
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("name", "value", "sentence"),
    [
        ("WIRESAG_LOGIN_LOCKOUT_MINUTES", "99999999999999", "WIRESAG_LOGIN_LOCKOUT_MINUTES=99999999999999 is too large"),
        ("WIRESAG_TIME_ZONE", "Mars/Olympus", "WIRESAG_TIME_ZONE='Mars/Olympus' is not a time zone"),
        ("WIRESAG_LOG_LEVEL", "LOUD", "WIRESAG_LOG_LEVEL='LOUD' is not a log level"),
    ],
)
def test_a_bad_value_is_refused_with_a_sentence_naming_the_variable(tmp_path, name: str, value: str, sentence: str) -> None:  # type: ignore[no-untyped-def]
    result = check_with(tmp_path, name, value)
    assert result.returncode != 0
    assert sentence in (result.stdout + result.stderr).strip().splitlines()[-1]


def test_good_values_of_the_same_variables_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name, value in [("WIRESAG_TIME_ZONE", "Asia/Taipei"), ("WIRESAG_LOG_LEVEL", "warning"), ("WIRESAG_LOGIN_LOCKOUT_MINUTES", "30")]:
        result = check_with(tmp_path, name, value)
        assert result.returncode == 0, result.stderr[-500:]
