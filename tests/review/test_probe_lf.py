"""Small things users hit: ``manage.py infer`` over a report already there."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "w1_TOP.png").write_bytes(png_bytes())
    return folder


def test_infer_refuses_to_replace_a_report_already_there_before_inspecting(pictures: Path, tmp_path: Path) -> None:
    """An operator who typed the name of yesterday's report lost it without a word (after the whole inspection)."""
    report = tmp_path / "yesterday.csv"
    report.write_text("yesterday's verdicts")
    with pytest.raises(CommandError, match=r"yesterday\.csv is already there .*nothing was inspected.*--overwrite"):
        call_command("infer", str(pictures), "--output", str(report))
    assert report.read_text() == "yesterday's verdicts"


def test_infer_format_all_refuses_when_the_json_beside_the_csv_is_already_there(pictures: Path, tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("{}")
    with pytest.raises(CommandError, match=r"report\.json is already there"):
        call_command("infer", str(pictures), "--output", str(tmp_path / "report.csv"), "--format", "all")
    assert not (tmp_path / "report.csv").exists()


def test_infer_with_overwrite_goes_on_past_a_report_already_there(pictures: Path, tmp_path: Path) -> None:
    """With no model trained the next sentence is about the models: the report's name was accepted."""
    report = tmp_path / "yesterday.csv"
    report.write_text("yesterday's verdicts")
    with pytest.raises(CommandError) as refused:
        call_command("infer", str(pictures), "--output", str(report), "--overwrite")
    assert "already there" not in str(refused.value)


def test_the_review_queue_opens_a_box_to_correct_with_that_box_named(client, engineer, make_image) -> None:  # type: ignore[no-untyped-def]
    """ "Correct" opened the picture without selecting the box: the user hunted for it among the picture's boxes."""
    from django.conf import settings
    from django.urls import reverse

    from annotations.models import Annotation

    image = make_image("w1_TOP.png")
    Annotation.objects.create(image=image, x=1, y=1, width=10, height=10, view="TOP", defect="PASS")
    box = Annotation.objects.create(
        image=image, x=20, y=20, width=10, height=10, view="TOP", defect="SWEEP", source="model", review_state="pending"
    )
    client.force_login(engineer)
    page = client.get(reverse("review:queue")).content.decode()
    link = f"{reverse('annotations:annotate', args=[image.pk])}?box={box.pk}"
    assert f'data-annotate-url="{link}"' in page and f'href="{link}"' in page
    script = (Path(settings.BASE_DIR) / "static" / "annotations" / "annotate.js").read_text()
    assert 'new URLSearchParams(window.location.search).get("box")' in script
