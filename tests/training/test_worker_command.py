"""``manage.py worker`` starts the training cluster and the quick one, or only the one ``--queue`` names."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from training.management.commands import worker

pytestmark = pytest.mark.django_db


class Started(Exception):
    """What the patched exec raises instead of replacing the test process."""


@pytest.fixture
def recorded(monkeypatch) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Nothing really starts and the test process keeps its priority; what would have started is recorded."""
    seen: dict[str, Any] = {"clusters": 0, "children": []}
    monkeypatch.setattr(worker, "yield_to_the_web", lambda nice, threads: None)
    monkeypatch.setattr(worker, "tie_children_to_parents", lambda: None)
    monkeypatch.setattr(worker, "call_command", lambda name: seen.__setitem__("clusters", seen["clusters"] + 1))
    monkeypatch.setattr(worker.subprocess, "Popen", lambda command, env, preexec_fn: seen["children"].append((command, env)))

    def execve(path: str, command: list[str], env: dict[str, str]) -> None:
        seen["exec"] = (command, env)
        raise Started

    monkeypatch.setattr(worker.os, "execve", execve)
    monkeypatch.delenv(worker.CLUSTER_VARIABLE, raising=False)
    return seen


def test_the_worker_runs_the_training_cluster_and_starts_the_quick_one_beside_it(recorded) -> None:  # type: ignore[no-untyped-def]
    call_command("worker")
    assert recorded["clusters"] == 1
    [(command, env)] = recorded["children"]
    assert command[-3:] == ["worker", "--queue", "quick"] and env[worker.CLUSTER_VARIABLE] == settings.QUICK_QUEUE


def test_queue_training_starts_no_quick_cluster(recorded) -> None:  # type: ignore[no-untyped-def]
    call_command("worker", queue="training")
    assert recorded["clusters"] == 1 and recorded["children"] == []


def test_queue_quick_starts_again_under_the_quick_cluster_name(recorded, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Started):
        call_command("worker", queue="quick")
    command, env = recorded["exec"]
    assert command[-3:] == ["worker", "--queue", "quick"] and env[worker.CLUSTER_VARIABLE] == settings.QUICK_QUEUE
    assert recorded["clusters"] == 0  # django-q2 read its name at import: only the new process may run the cluster
    # Started again with the name set, it runs the quick cluster itself and nothing beside it.
    monkeypatch.setenv(worker.CLUSTER_VARIABLE, settings.QUICK_QUEUE)
    call_command("worker", queue="quick")
    assert recorded["clusters"] == 1 and recorded["children"] == []
