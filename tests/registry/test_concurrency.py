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


def _race(targets: list, user) -> list[BaseException]:  # type: ignore[no-untyped-def]
    """Start every activation at the same instant, each thread on its own database connection."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def work(version: ModelVersion) -> None:
        try:
            barrier.wait()
            registry.activate(version, user, f"race {version.pk}")
        except registry.AlreadyActive:
            pass  # a later round races for the version already live: "nothing changed" is the right answer
        except BaseException as error:  # collected and asserted on in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(version,)) for version in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


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
