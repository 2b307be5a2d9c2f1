"""Probing manage.py train as an engineer at a terminal runs it."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from training.models import RunLogLine, RunStatus, TrainingRun

from .test_train_command import SMALL, annotate_synthetic

# --- 1. Ctrl+C during manage.py train printed a KeyboardInterrupt traceback and left the run "running" -----------------


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_during_training_leaves_the_run_interrupted_and_says_how_to_go_on(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without a worker's maintenance schedule (a command-line-only install) the run stayed "running" for good, and the
    reaper's later sentence blamed a worker that "stopped answering"."""
    annotate_synthetic(tmp_path / "synthetic")

    def pressed_ctrl_c(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr("core.training.runner.train", pressed_ctrl_c)
    try:
        with pytest.raises(CommandError, match=r"Run #\d+ was stopped \(Ctrl\+C\) and is interrupted: resume it on its page") as refused:
            call_command("train", "view", "--preset", "cpu-quick", "--epochs", "1", *SMALL["view"])
    except KeyboardInterrupt:
        pytest.fail("Ctrl+C ended manage.py train in a KeyboardInterrupt traceback")
    assert refused.value.returncode == 130
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.INTERRUPTED
    assert run.lease_expires_at is None
    assert RunLogLine.objects.filter(run=run, message__contains="Stopped with Ctrl+C").exists()
