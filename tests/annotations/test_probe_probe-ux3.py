"""Follow-ups of earlier probes: files an unfinished import stored, and ``library_check --remove``."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db.models.signals import post_save

from annotations.models import Image
from annotations.storing import claims_dir, files_being_stored, note_stored, storing_library_files

LEGACY = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "legacy"


def run_check(*args: str) -> str:
    out = io.StringIO()
    call_command("library_check", *args, stdout=out)
    return out.getvalue()


def old_file_without_row(name: str) -> Path:
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"stored by an import two hours ago; its row comes when the import commits")
    two_hours_ago = time.time() - 7200
    os.utime(path, (two_hours_ago, two_hours_ago))
    return path


def test_library_check_remove_leaves_alone_the_files_an_import_still_running_has_stored(db) -> None:
    name = f"images/ab/{'ab' * 32}.png"
    stored = old_file_without_row(name)
    with storing_library_files():
        note_stored(name)
        report = run_check("--remove")
        assert stored.exists()
        assert f"file an import still running has stored (its picture is saved when the import ends): media/{name}; left alone" in report
        assert "removed" not in report
    # The import ended without saving its row (it failed, and its clean-up was cut short): now the file is an orphan.
    assert f"removed file no picture names: media/{name}" in run_check("--remove")
    assert not stored.exists()


def test_a_claim_left_by_an_import_whose_process_died_protects_nothing_and_is_removed(db) -> None:
    name = f"thumbs/cd/{'cd' * 32}.jpg"
    stored = old_file_without_row(name)
    claims_dir().mkdir(parents=True, exist_ok=True)
    dead = claims_dir() / "4242-dead.claim"  # nobody holds its lock
    dead.write_text(f"{name}\n", encoding="utf-8")
    assert files_being_stored() == set()
    assert not dead.exists()
    assert f"removed file no picture names: media/{name}" in run_check("--remove")
    assert not stored.exists()


def test_an_import_names_each_file_it_stores_in_its_claim_until_its_rows_are_committed(annotator) -> None:  # type: ignore[no-untyped-def]
    claimed_at_save: dict[str, bool] = {}

    def seen_by_the_check(sender: type[Image], instance: Image, created: bool, **kwargs: object) -> None:
        if created:
            being_stored = files_being_stored()
            for name in instance.stored_names():
                claimed_at_save[name] = name in being_stored

    post_save.connect(seen_by_the_check, sender=Image, dispatch_uid="probe-ux3")
    try:
        call_command("import_annotations", str(LEGACY), "--user", annotator.username, stdout=io.StringIO())
    finally:
        post_save.disconnect(dispatch_uid="probe-ux3", sender=Image)
    assert len(claimed_at_save) == 3 * Image.objects.count() > 0
    assert all(claimed_at_save.values())
    assert files_being_stored() == set() and not list(claims_dir().iterdir())  # the claim goes with the import
