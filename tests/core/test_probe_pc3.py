"""A job's error that only quotes a user's name (a picture, a lot, a wire) holding "disk is full" is not a full disk.

``run_job`` says "The server's disk is full ... Free disk space" for a full disk, matched by the error's text when it
has no errno (SQLite's "database or disk is full", PostgreSQL's "No space left on device"). The text was matched on
any error, so a picture uploaded as "disk is full_TOP.png" whose job failed for another reason (a missing file, a
bug) sent people to free disk space on a server with room, and hid the real error.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from core import filejobs


@pytest.mark.parametrize(
    "error",
    [
        FileNotFoundError(errno.ENOENT, "No such file or directory", "/srv/wiresag/media/wires/disk is full_TOP.png"),
        KeyError("No space left on device_SIDE.png"),
        ValueError("The lot 'disk is full' has no pictures"),
    ],
)
def test_a_name_saying_disk_is_full_does_not_make_another_error_a_full_disk(tmp_path: Path, error: Exception) -> None:
    status = filejobs.new_job(tmp_path, "inspection", {})

    def work(_status: filejobs.JobStatus) -> str:
        raise error

    with pytest.raises(type(error)):
        filejobs.run_job(tmp_path, status.id, work)

    message = filejobs.read_status(tmp_path, status.id).message
    assert message.startswith("The job failed ("), message
    assert not filejobs.disk_is_full(error)


def test_a_full_disk_is_still_said_for_a_file_and_for_the_database(tmp_path: Path) -> None:
    class OperationalError(Exception):  # as sqlite3's and Django's database errors are named
        pass

    assert filejobs.disk_is_full(OSError(errno.ENOSPC, "No space left on device"))
    assert filejobs.disk_is_full(OperationalError("database or disk is full"))
    assert filejobs.disk_is_full(OperationalError('could not extend file "base/1/2": No space left on device'))


def _record(wire: str, *defects: str):  # type: ignore[no-untyped-def]
    from core.data.dataset import BoxRecord, ImageRecord

    boxes = tuple(BoxRecord(0, 0, 1, 1, "TOP", defect) for defect in defects)
    return ImageRecord(path=f"/pictures/{wire}_TOP.png", width=10, height=10, wire_key=wire, view="TOP", boxes=boxes)


@pytest.mark.parametrize("seed", range(12))
def test_every_defect_keeps_a_training_wire_when_its_wires_are_labelled_by_other_defects(seed: int) -> None:
    """PASS loops only beside defective loops of their pictures: each wire is stratified by its other defect, and both
    PASS wires went to validation (seed 9), so the defect model trained without a single PASS box, and nothing said so."""
    from core.data.dataset import split_records

    records = [
        _record("w1", "PASS", "SWEEP"),
        _record("w2", "PASS", "WOBBLE"),
        _record("w3", "SWEEP"),
        _record("w4", "WOBBLE"),
        _record("w5", "TOUCH"),
        _record("w6", "TOUCH"),
    ]
    snapshot = split_records(records, val_fraction=0.2, seed=seed)

    trained = {box.defect for record in snapshot.train for box in record.boxes}
    assert trained == {"PASS", "SWEEP", "WOBBLE", "TOUCH"}, [record.wire_key for record in snapshot.val]
    assert snapshot.val  # still validated
