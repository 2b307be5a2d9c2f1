"""Picture names with characters that show as nothing."""

from __future__ import annotations

from annotations.ingest import ingest_image
from tests.conftest import png_bytes


def test_a_picture_name_with_a_zero_width_space_is_stored_as_it_reads(db) -> None:  # type: ignore[no-untyped-def]
    """'w\u200b7_TOP.png' showed as 'w7_TOP.png' but was not wire 7 (its partner 'w7_SIDE.png' was never found)."""
    image = ingest_image(png_bytes(), "w\u200b7_\ufeffTOP.png").image
    assert image.original_name == "w7_TOP.png"
