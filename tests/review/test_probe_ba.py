"""A restore whose database is newer than its media folder: a picture row without its file says what is missing."""

from __future__ import annotations

import pytest

from review import inspection, prediction
from review.inspection import read_status, report_of, run_inspection, run_preannotation, start_inspection, start_preannotation
from tests.review.test_probe_pw import ReadingPipeline, chosen  # noqa: F401


def lose_file(image) -> None:  # type: ignore[no-untyped-def]
    """The database row came back from a later backup than the media folder: its picture file is not there."""
    image.file.storage.delete(image.file.name)


@pytest.mark.django_db(transaction=True)
def test_an_inspected_picture_whose_file_was_not_restored_says_so_without_the_server_path(
    make_image,
    chosen,  # noqa: F811
    monkeypatch,
    settings,
) -> None:  # type: ignore[no-untyped-def]
    pictures = [make_image(f"{n}_TOP.png", wire_group="lot7") for n in range(2)]
    lose_file(pictures[1])
    monkeypatch.setattr(inspection, "build_pipeline", lambda *args, **kwargs: ReadingPipeline(lambda: None))
    status = start_inspection(image_ids=[p.pk for p in pictures], chosen=chosen, conf_threshold=0.25)
    run_inspection(status.id)
    status = read_status("inspection", status.id)
    assert status.state == "done", status.message
    row = next(row for row in report_of(status.id).rows() if row["image_name"] == pictures[1].original_name)
    error = row["error"]
    assert str(settings.MEDIA_ROOT) not in error and "check that it exists" not in error, error
    assert "missing from the data folder" in error and pictures[1].file.name in error and "backup" in error, error


@pytest.mark.django_db(transaction=True)
def test_a_preannotated_picture_whose_file_was_not_restored_says_so_without_the_server_path(
    make_image,
    chosen,  # noqa: F811
    monkeypatch,
    settings,
) -> None:  # type: ignore[no-untyped-def]
    picture = make_image("5_TOP.png")
    lose_file(picture)
    monkeypatch.setattr(prediction, "build_pipeline", lambda *args, **kwargs: ReadingPipeline(lambda: None))
    status = start_preannotation(image_ids=[picture.pk], chosen=chosen, conf_threshold=0.25)
    run_preannotation(status.id)
    status = read_status("preannotation", status.id)
    assert str(settings.MEDIA_ROOT) not in status.message, status.message
    assert "missing from the data folder" in status.message and picture.file.name in status.message, status.message
