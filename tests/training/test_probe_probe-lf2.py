"""The launch form's refusal of pictures whose files are missing leads to the library's filter that lists them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Image
from training.models import TrainingRun

pytestmark = pytest.mark.django_db


def test_the_missing_files_refusal_links_to_the_library_filtered_on_files_missing(engineer_client, tiny_library) -> None:  # type: ignore[no-untyped-def]
    lost = Image.objects.order_by("pk").first()
    lost.file.storage.delete(lost.file.name)
    # An annotator names the pictures: the name stays text in the refusal, only the link is the page's own.
    Image.objects.filter(pk=lost.pk).update(original_name='<a href="https://evil.example/">x</a>_TOP.png')

    page = engineer_client.post(reverse("training:launch"), {"model_type": "all", "preset": "cpu-quick", "device": "cpu"}).content.decode()

    assert "1 picture has no file in the data folder" in page
    link = f'<a href="{reverse("annotations:library")}?missing=on">'
    assert link in page and page.count(link) == 1
    assert 'href="https://evil.example/"' not in page
    assert "&lt;a href=&quot;https://evil.example/&quot;&gt;x&lt;/a&gt;_TOP.png" in page
    assert not TrainingRun.objects.exists()


def test_other_refusals_of_the_launch_form_carry_no_library_link(engineer_client, tiny_library) -> None:  # type: ignore[no-untyped-def]
    page = engineer_client.post(
        reverse("training:launch"), {"model_type": "all", "preset": "cpu-quick", "device": "cpu", "wire_group": "no-such-group"}
    ).content.decode()
    assert "no-such-group" in page
    assert "?missing=on" not in page
