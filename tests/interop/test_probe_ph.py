"""Leftovers P-H: the export download answers HEAD as the other downloads do."""

from __future__ import annotations

from pathlib import Path

from annotations.models import Annotation
from interop.exports import run_export, start_export, zip_of


def test_the_export_download_answers_head_with_its_headers_and_no_body(client, annotator, make_image, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A download manager (or curl -I) asks HEAD first for the size and the name: it got 405, where a picture or an
    inspection report answers with the headers."""
    settings.DATA_DIR = tmp_path / "data"
    image = make_image("5_SIDE.png", 40, 30)
    Annotation.objects.create(image=image, x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")
    status = start_export({}, "csv", include_pictures=True, for_training=True)
    run_export(status.id)  # what its thread does
    client.force_login(annotator)
    head = client.head(f"/export/{status.id}/download")
    assert head.status_code == 200, head.status_code
    assert head["Content-Length"] == str(Path(zip_of(status.id)).stat().st_size)
    assert head["Content-Disposition"].startswith('attachment; filename="wiresag-csv-')
    assert b"".join(head.streaming_content) == b""
    assert client.post(f"/export/{status.id}/download").status_code == 405  # still no other method
