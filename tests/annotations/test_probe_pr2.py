"""Picture names with characters that show as nothing."""

from __future__ import annotations

from annotations.ingest import ingest_image
from tests.conftest import png_bytes


def test_a_picture_name_with_a_zero_width_space_is_stored_as_it_reads(db) -> None:  # type: ignore[no-untyped-def]
    """'w\u200b7_TOP.png' showed as 'w7_TOP.png' but was not wire 7 (its partner 'w7_SIDE.png' was never found)."""
    image = ingest_image(png_bytes(), "w\u200b7_\ufeffTOP.png").image
    assert image.original_name == "w7_TOP.png"


def test_a_target_in_a_data_sub_folder_linked_to_another_disk_is_refused(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The pictures on a bigger disk (data/media a link to /mnt/big/pictures): 'export_annotations
    /mnt/big/pictures/images/ab/<sha>.png' (or infer --output there) wrote over a stored picture, as the check compared
    the target with the data folder only, not with where its folders lead."""
    from pathlib import Path

    from annotations.datafolder import inside_data_folder_problem

    data, pictures = tmp_path / "data", tmp_path / "big" / "pictures"
    (pictures / "images" / "ab").mkdir(parents=True)
    data.mkdir()
    (data / "media").symlink_to(pictures)
    settings.DATA_DIR, settings.MEDIA_ROOT = data, data / "media"
    stored = pictures / "images" / "ab" / "ab12.png"
    problem = inside_data_folder_problem(Path(stored), "The zip")
    assert "The zip" in problem and "data folder" in problem
    assert inside_data_folder_problem(tmp_path / "big" / "report.csv", "--output") == ""
