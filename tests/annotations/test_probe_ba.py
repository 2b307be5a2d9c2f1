"""A restore whose database is newer than its media folder: the annotation page says which picture file is missing."""

from __future__ import annotations

from django.urls import reverse


def test_the_annotation_data_of_a_picture_whose_file_was_not_restored_names_the_missing_file(client, annotator, make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image("7_TOP.png")
    shown = image.display_file or image.file
    shown.storage.delete(shown.name)  # media/ restored from an older backup than the database
    client.force_login(annotator)
    data = client.get(reverse("annotations:api-annotations", args=[image.pk])).json()
    problem = data["image"]["missing_file"]
    assert f"media/{shown.name}" in problem and "backup" in problem, problem


def test_the_annotation_data_of_a_picture_with_its_files_has_no_missing_file(client, annotator, make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image("8_TOP.png")
    client.force_login(annotator)
    assert client.get(reverse("annotations:api-annotations", args=[image.pk])).json()["image"]["missing_file"] == ""
