"""Leftovers P-F: activation hashed the model file while it held the database's write lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import transaction

from registry import versions as registry
from registry.models import ModelVersion
from tests.registry.test_pages import make, to_change_and_live

VIEW = {"accuracy": 0.9}


@pytest.fixture
def hashes(monkeypatch) -> list[Path]:  # type: ignore[no-untyped-def]
    """Every file activation hashes; each hash fails the test if a transaction (the write lock on SQLite) is open."""
    hashed: list[Path] = []
    original = registry.sha256_of

    def outside_any_lock(path: Path) -> str:
        assert not transaction.get_connection().in_atomic_block, "the file was hashed inside the activation's transaction"
        hashed.append(path)
        return original(path)

    monkeypatch.setattr(registry, "sha256_of", outside_any_lock)
    return hashed


@pytest.mark.django_db(transaction=True)
def test_activation_rollback_and_bundle_hash_the_model_file_before_taking_the_lock(engineer, tmp_path, hashes) -> None:  # type: ignore[no-untyped-def]
    """Hundreds of MB hashed inside ``select_for_update`` held every other save in the app (SQLite: one writer) for seconds."""
    old, new = make(tmp_path, "view", VIEW), make(tmp_path, "view", VIEW)
    detection = make(tmp_path, "detection", {"mAP50": 0.9})
    registry.activate(old, engineer, "first")
    registry.activate(new, engineer, "second")
    registry.rollback("view", engineer, "second misbehaves")
    assert ModelVersion.objects.get(model_type="view", is_active=True) == old
    registry.activate_bundle([detection, new], engineer, "release")
    assert set(ModelVersion.objects.active()) == {detection, new}
    assert registry.file_of(old) in hashes and registry.file_of(detection) in hashes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["activate", "rollback", "bundle"])
@pytest.mark.parametrize("change", ["rewritten", "replaced", "removed"])
def test_a_file_changed_between_its_hash_and_the_lock_is_not_made_live(engineer, tmp_path, monkeypatch, how, change) -> None:  # type: ignore[no-untyped-def]
    """The hash now happens before the lock: a restore writing the file just after it was hashed must still be refused."""
    changed, live = to_change_and_live(tmp_path, engineer, how, VIEW)
    original = registry.sha256_of

    def hash_then_change(path: Path) -> str:
        digest = original(path)
        if path == registry.file_of(changed):
            if change == "rewritten":
                path.write_bytes(b"half a restore")
            elif change == "replaced":
                swapped = path.with_suffix(".swap")
                swapped.write_bytes(path.read_bytes())  # the same bytes, another file: it is re-read, not trusted
                swapped.replace(path)
            else:
                path.unlink()
        return digest

    monkeypatch.setattr(registry, "sha256_of", hash_then_change)
    with pytest.raises(registry.RegistryError) as refusal:
        if how == "activate":
            registry.activate(changed, engineer, "try it")
        elif how == "rollback":
            registry.rollback("view", engineer, "new misbehaves")
        else:
            registry.activate_bundle([make(tmp_path, "detection", {"mAP50": 0.9}), changed], engineer, "set")
    message = str(refusal.value)
    assert f"The file of {changed.name}" in message and "so it was not made live" in message
    assert "The live model is unchanged." in message
    assert ModelVersion.objects.get(model_type="view", is_active=True) == live
    assert not ModelVersion.objects.filter(model_type="detection", is_active=True).exists()
