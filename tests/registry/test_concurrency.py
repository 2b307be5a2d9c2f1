"""Activations racing from several threads leave exactly one active version per type."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connections

from registry import versions as registry
from registry.models import ActivationEvent, ModelVersion

THREADS = 6
ROUNDS = 3


def _at_once(job, items: list) -> list[BaseException]:  # type: ignore[no-untyped-def]
    """Run ``job(item)`` for every item in its own thread, all released at the same instant, each on its own connection."""
    barrier = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def work(item) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            job(item)
        except BaseException as error:  # collected and asserted on in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _race(targets: list, user) -> list[BaseException]:  # type: ignore[no-untyped-def]
    """Start every activation at the same instant."""

    def activate(version: ModelVersion) -> None:
        try:
            registry.activate(version, user, f"race {version.pk}")
        except registry.AlreadyActive:
            pass  # a later round races for the version already live: "nothing changed" is the right answer

    return _at_once(activate, targets)


@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_leave_exactly_one_active(engineer, tmp_path):
    source = tmp_path / "best.pt"
    source.write_bytes(b"weights")
    versions = [
        registry.register_version("detection", source, metrics={"mAP50": 0.5 + index / 100}, dataset_size=10) for index in range(THREADS)
    ]
    for _ in range(ROUNDS):
        errors = _race(versions, engineer)
        assert errors == []
        active = list(ModelVersion.objects.filter(model_type="detection", is_active=True))
        assert len(active) == 1
        # The history is a consistent chain: each activation replaced the one live just before it.
        events = list(ActivationEvent.objects.order_by("id"))
        for before, after in zip(events, events[1:], strict=False):
            if after.previous_id is not None:
                assert after.previous_id == before.version_id
        assert events[-1].version_id == active[0].pk
    # Activating the version that is already live records nothing, and each round's first activation may be
    # of the version the previous round left live: at most one no-op per round after the first.
    chain = list(ActivationEvent.objects.order_by("id").values_list("version_id", flat=True))
    assert THREADS * ROUNDS - (ROUNDS - 1) <= len(chain) <= THREADS * ROUNDS
    assert all(before != after for before, after in zip(chain, chain[1:], strict=False))  # never the same one twice in a row
    assert Path(registry.file_of(versions[0])).is_file()


@pytest.mark.django_db(transaction=True)
def test_versions_registered_at_once_in_the_same_second_keep_their_own_names_and_files(tmp_path, monkeypatch, settings):  # type: ignore[no-untyped-def]
    """Two workers finishing together with the same score used to clash on the name (one run failed)."""
    import hashlib
    from datetime import datetime

    from django.utils import timezone

    settings.MODELS_DIR = tmp_path / "models"
    frozen = timezone.make_aware(datetime(2026, 12, 6, 7, 47, 34))
    monkeypatch.setattr(registry.timezone, "localtime", lambda *args: frozen)
    sources = []
    for index in range(THREADS):
        source = tmp_path / f"best-{index}.pt"
        source.write_bytes(f"weights of run {index}".encode() * 1000)
        sources.append(source)
    errors = _at_once(lambda source: registry.register_version("view", source, metrics={"accuracy": 1.0}), sources)
    assert errors == []
    names = sorted(ModelVersion.objects.values_list("name", flat=True))
    stem = "view_20261206_074734_acc-1.00"
    assert names == sorted([stem, *(f"{stem}_{n}" for n in range(2, THREADS + 1))])
    contents = set()
    for version in ModelVersion.objects.all():
        data = Path(registry.file_of(version)).read_bytes()
        assert hashlib.sha256(data).hexdigest() == version.sha256  # every file is its own run's, whole
        contents.add(data)
    assert len(contents) == THREADS
