"""An export that fills the disk says so in a sentence and leaves no half zip."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from annotations.models import Annotation
from interop import exports
from interop.exports import run_export, start_export

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_box(settings, tmp_path, make_image) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    Annotation.objects.create(image=make_image("5_SIDE.png", 40, 30), x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")


def test_an_export_that_fills_the_disk_says_the_disk_is_full(annotator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def full_disk(images, format_name, target: Path, **kwargs):  # type: ignore[no-untyped-def]
        target.write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(exports, "export_zip", full_disk)
    status = start_export({}, "csv", include_pictures=False, for_training=True, user=annotator)

    with pytest.raises(OSError):  # raised again for the server's log
        run_export(status.id)

    after = exports.status_of(status.id)
    assert after.state == "failed"
    assert after.message == (
        "The server's disk is full, so this export stopped half way. Free disk space (or ask an administrator to), then start it again."
    )
    assert sorted(path.name for path in (exports.root() / status.id).iterdir()) == ["job.json", "status.json"]
