"""What exports may cost the web process: one unfinished export per user, a few in all, and room on the disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.users import create_user_with_role
from annotations.models import Annotation
from interop.exports import root, run_export
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_box(make_image, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    Annotation.objects.create(image=make_image("5_SIDE.png", 40, 30), x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")


def job_ids() -> list[str]:
    return sorted(path.name for path in root().iterdir()) if root().exists() else []


def test_a_user_has_one_unfinished_export_at_a_time(client, annotator, one_box, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    client.force_login(annotator)
    with django_capture_on_commit_callbacks(execute=False) as threads:  # the threads are not started: the exports stay unfinished
        first = client.post("/export/", {"format": "yolo"})
        again = [client.post("/export/", {"format": "coco"}) for _ in range(10)]
    assert first.status_code == 302 and len(threads) == 1 and len(job_ids()) == 1
    (job_id,) = job_ids()
    assert {response.status_code for response in again} == {400}
    assert f"Your export {job_id} is still being written; wait until it is ready" in again[0].content.decode()
    run_export(job_id)  # what the thread does: now it is ready
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post("/export/", {"format": "coco"}).status_code == 302
    assert len(job_ids()) == 2


def test_exports_being_written_are_limited_for_everyone(client, annotator, one_box, settings, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    settings.EXPORT_MAX_RUNNING = 2
    users = [annotator, *(create_user_with_role(f"shift{n}", PASSWORD, "annotator") for n in range(2))]
    answers = []
    with django_capture_on_commit_callbacks(execute=False) as threads:
        for user in users:
            client.force_login(user)
            answers.append(client.post("/export/", {"format": "yolo"}))
    assert [answer.status_code for answer in answers] == [302, 302, 400] and len(threads) == 2
    assert "2 exports are being written already (WIRESAG_EXPORT_MAX_RUNNING allows 2 at a time)" in answers[2].content.decode()


def test_an_export_without_room_on_the_disk_is_refused_before_it_starts(client, annotator, one_box, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MIN_FREE_BYTES = 10**18  # more than any disk has free
    client.force_login(annotator)
    response = client.post("/export/", {"format": "yolo"})
    assert response.status_code == 400
    assert "The server has no room for this export" in response.content.decode()
    assert job_ids() == [] and not any(Path(settings.DATA_DIR, "exports").glob("*/export.zip"))


def test_exports_accepted_but_not_yet_written_keep_their_room(  # type: ignore[no-untyped-def]
    client, annotator, one_box, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    import shutil
    from collections import namedtuple

    from interop import exports

    settings.IMPORT_MIN_FREE_BYTES = 0
    picture = sum((Path(settings.MEDIA_ROOT) / name).stat().st_size for name in Annotation.objects.values_list("image__file", flat=True))
    one_export = exports.LABELS_ALLOWANCE + picture
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 * one_export, 8 * one_export, int(1.5 * one_export)))
    answers = []
    with django_capture_on_commit_callbacks(execute=False):  # accepted, not yet written
        for user in (annotator, create_user_with_role("shift1", PASSWORD, "annotator")):
            client.force_login(user)
            answers.append(client.post("/export/", {"format": "yolo"}))
    assert [answer.status_code for answer in answers] == [302, 400]
    assert "besides the exports still being written" in answers[1].content.decode()
