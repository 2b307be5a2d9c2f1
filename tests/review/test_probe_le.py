"""The review-expire-files schedule and folders linked elsewhere: it removes nothing outside its jobs folders."""

from __future__ import annotations

import os
import time
from pathlib import Path

from core import filejobs
from review import inspection
from review.inspection import INSPECTION, PREANNOTATION, SENT_FORMS, expire_files, new_form_token, root

A_DAY_LATER = 25 * 3600


def _outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def test_expiry_leaves_the_files_of_a_sent_forms_folder_linked_outside_alone(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    outside = _outside(tmp_path)
    # Someone else's files that happen to be named like form tokens (32 hex digits), old enough to expire.
    victims = [outside / new_form_token() for _ in range(2)]
    for victim in victims:
        victim.write_text("KEEP", encoding="utf-8")
    for kind in (INSPECTION, PREANNOTATION):
        root(kind).mkdir(parents=True)
        os.symlink(outside, root(kind) / SENT_FORMS)

    removed = expire_files(now=time.time() + A_DAY_LATER)

    assert removed == []
    assert all(victim.read_text(encoding="utf-8") == "KEEP" for victim in victims)


def test_expiry_still_forgets_old_sent_forms_in_its_own_folder(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    token = root(PREANNOTATION) / SENT_FORMS / new_form_token()
    token.parent.mkdir(parents=True)
    token.write_text("20240101-000000-000000", encoding="utf-8")

    assert expire_files(now=time.time() + A_DAY_LATER) == [f"preannotations/{SENT_FORMS}/{token.name}"]
    assert not token.exists()


def test_expiry_leaves_the_zip_of_an_inspection_folder_linked_outside_alone(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    elsewhere = _outside(tmp_path)
    job = filejobs.new_job(elsewhere, INSPECTION, {"versions": {}, "archive": "lot.zip"})
    job.state = "done"
    filejobs.write_status(elsewhere, job)
    upload = elsewhere / job.id / "upload.zip"
    upload.write_bytes(b"someone else's zip")
    root(INSPECTION).mkdir(parents=True)
    os.symlink(elsewhere / job.id, inspection.job_dir(INSPECTION, job.id))

    removed = expire_files(now=time.time() + A_DAY_LATER)

    assert removed == []
    assert upload.read_bytes() == b"someone else's zip"
