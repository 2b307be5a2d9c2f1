"""'Run it again' (``review:job_again``) probed as a hostile logged-in user would.

Jobs are made as folders directly (no models needed): ``"versions": {}`` names no model version,
so the deleted-version check passes and the job is queued again (``transaction.on_commit`` never
fires inside a test transaction, so no worker is asked).

A job folder damaged or tampered with (job.json or status.json of the wrong shape, upload.zip a link)
gives a sentence or a 404, never a 500, and a link is never followed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from core import filejobs
from review.inspection import INSPECTION, PREANNOTATION, read_job, read_status, root


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"


def _failed(kind: str, spec: Any, total: int = 0) -> filejobs.JobStatus:
    """A failed job of ``kind`` whose job.json is ``spec`` (any JSON, tampered or not)."""
    status = filejobs.new_job(root(kind), kind, spec, total=total)
    status.state, status.message = "failed", "The worker was stopped. Start it again."
    filejobs.write_status(root(kind), status)
    return status


def _jobs(kind: str) -> set[str]:
    folder = root(kind)
    return {path.name for path in folder.iterdir()} if folder.is_dir() else set()


def _again(kind: str, job_id: str) -> str:
    return reverse("review:job_again", args=[kind, job_id])


def _lenient(user) -> Client:  # type: ignore[no-untyped-def]
    """A client that returns the 500 page instead of raising, as a browser would see it."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# --- protections ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["inspections", "export", "INSPECTION", "..", "...", "inspection.", "%2e%2e"])
def test_a_kind_that_is_not_inspection_or_preannotation_is_404(client, engineer, kind: str) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]}, total=1)
    client.force_login(engineer)
    before = _jobs(INSPECTION)
    assert client.post(f"/jobs/{kind}/{job.id}/again").status_code == 404
    assert _jobs(INSPECTION) == before
    assert client.post(f"/jobs/inspection/{job.id}/again").status_code == 302  # the same path with a real kind works


@pytest.mark.parametrize(
    "job_id",
    [
        "..",
        ".",
        "...",
        "20260101-000000-ABCDEF",
        "20260101-000000-abcdef ",
        "x20260101-000000-abcdef",
        "%2e%2e",
        "20260101-000000-abcdef\n",
    ],
)
def test_a_job_id_that_is_not_an_id_is_404(client, engineer, job_id: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(engineer)
    assert client.post(f"/jobs/inspection/{job_id}/again").status_code == 404


@pytest.mark.parametrize("raw", ["..%2F..%2Fetc", "..%2f", "%2E%2E%2F%2E%2E", "..%5C..%5C", "....//....//"])
def test_encoded_slashes_in_the_path_never_reach_the_view(client, engineer, raw: str) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]}, total=1)
    client.force_login(engineer)
    before = _jobs(INSPECTION)
    for url in (f"/jobs/inspection/{raw}/again", f"/jobs/{raw}/{job.id}/again"):
        assert client.post(url).status_code == 404, url
    assert _jobs(INSPECTION) == before


def test_the_url_is_where_the_tests_expect_it() -> None:
    assert _again(INSPECTION, "20260101-000000-abcdef") == "/jobs/inspection/20260101-000000-abcdef/again"


def test_a_well_formed_id_with_no_folder_is_404(client, engineer) -> None:  # type: ignore[no-untyped-def]
    client.force_login(engineer)
    assert client.post(_again(INSPECTION, "20260101-000000-abcdef")).status_code == 404
    # An inspection's id asked for as a pre-annotation (or the other way round) is not found either.
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]}, total=1)
    assert client.post(_again(PREANNOTATION, job.id)).status_code == 404


def test_get_is_refused_and_makes_no_job(client, engineer, annotator) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]}, total=1)
    before = _jobs(INSPECTION)
    client.force_login(engineer)
    assert client.get(_again(INSPECTION, job.id)).status_code == 405
    assert client.head(_again(INSPECTION, job.id)).status_code == 405
    client.force_login(annotator)
    assert client.get(_again(INSPECTION, job.id)).status_code == 403
    assert _jobs(INSPECTION) == before


def test_an_annotator_or_a_visitor_cannot_run_a_job_again(client, annotator) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]}, total=1)
    before = _jobs(INSPECTION)
    anonymous = client.post(_again(INSPECTION, job.id))
    assert anonymous.status_code == 302 and "login" in anonymous.url
    client.force_login(annotator)
    assert client.post(_again(INSPECTION, job.id)).status_code == 403
    page = client.get(reverse("review:job", args=[INSPECTION, job.id])).content.decode()
    assert 'id="run-again"' not in page  # nor is the button shown
    assert _jobs(INSPECTION) == before


def test_a_post_without_the_csrf_token_is_refused(engineer) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]}, total=1)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(engineer)
    before = _jobs(INSPECTION)
    assert browser.post(_again(INSPECTION, job.id)).status_code == 403
    assert browser.post(_again(INSPECTION, job.id), {"csrfmiddlewaretoken": "x" * 64}).status_code == 403
    assert _jobs(INSPECTION) == before
    # The button's own form carries the token, and that works.
    page = browser.get(reverse("review:job", args=[INSPECTION, job.id])).content.decode()
    assert 'id="run-again"' in page and "csrfmiddlewaretoken" in page
    token = browser.cookies["csrftoken"].value
    response = browser.post(_again(INSPECTION, job.id), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and len(_jobs(INSPECTION)) == len(before) + 1


@pytest.mark.parametrize("state", ["queued", "running", "done"])
def test_a_job_that_did_not_fail_is_refused_with_a_sentence(client, engineer, state: str) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]}, total=1)
    job.state = state
    filejobs.write_status(root(INSPECTION), job)
    client.force_login(engineer)
    before = _jobs(INSPECTION)
    response = client.post(_again(INSPECTION, job.id))  # not followed: a fake done job has no report to show
    assert response.status_code == 302 and response.url == reverse("review:job", args=[INSPECTION, job.id])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Only a job that failed or stopped can be run again; this one is {state}."
    ]
    assert _jobs(INSPECTION) == before


def test_a_preannotation_runs_again_as_a_new_preannotation(client, engineer) -> None:  # type: ignore[no-untyped-def]
    spec = {"versions": {}, "conf_threshold": 0.3, "image_ids": [4, 5, 6]}
    job = _failed(PREANNOTATION, spec, total=3)
    client.force_login(engineer)
    response = client.post(_again(PREANNOTATION, job.id))
    new_id = response.url.rstrip("/").split("/")[-1]
    assert response.url == reverse("review:job", args=[PREANNOTATION, new_id]) and new_id != job.id
    assert read_job(PREANNOTATION, new_id) == {**spec, "again_of": job.id}
    new = read_status(PREANNOTATION, new_id)
    assert (new.kind, new.state, new.total, new.user) == (PREANNOTATION, "queued", 3, engineer.username)
    assert _jobs(INSPECTION) == set()  # nothing leaked into the other kind's folder


def test_a_zip_job_whose_zip_is_gone_or_a_folder_is_refused_with_a_sentence(client, engineer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client.force_login(engineer)
    gone = _failed(INSPECTION, {"versions": {}, "archive": "batch.zip"})
    folder = _failed(INSPECTION, {"versions": {}, "archive": "batch.zip"})
    (root(INSPECTION) / folder.id / "upload.zip").mkdir()
    dangling = _failed(INSPECTION, {"versions": {}, "archive": "batch.zip"})
    os.symlink(tmp_path / "nowhere.zip", root(INSPECTION) / dangling.id / "upload.zip")
    before = _jobs(INSPECTION)
    for job in (gone, folder, dangling):
        response = client.post(_again(INSPECTION, job.id), follow=True)
        assert "This job&#x27;s zip is gone" in response.content.decode()
    assert _jobs(INSPECTION) == before


def test_a_tampered_slot_name_is_escaped_in_the_sentence(client, engineer) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {"<script>alert(1)</script>": 999999}, "image_ids": [1]})
    client.force_login(engineer)
    page = client.post(_again(INSPECTION, job.id), follow=True).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; version chosen" in page


def test_a_double_click_runs_the_job_again_once_and_says_where(client, engineer) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1, 2]}, total=2)
    client.force_login(engineer)
    before = _jobs(INSPECTION)
    first, second = (client.post(_again(INSPECTION, job.id)) for _ in range(2))
    again_id = first.url.rstrip("/").split("/")[-1]
    assert first.status_code == 302 and again_id not in before
    assert second.status_code == 302 and second.url == reverse("review:job", args=[INSPECTION, job.id])
    said = [str(m) for m in get_messages(second.wsgi_request)]
    assert said[-1] == f"This job was already run again as {again_id}; see the job list.", said
    assert _jobs(INSPECTION) == before | {again_id}


def test_a_run_again_that_fails_half_way_can_be_tried_once_more(client, engineer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The once-only marker is kept only when the new job was made: a disk that fails while the zip is copied
    leaves the old job as it was, to be run again later."""
    import shutil

    job = _failed(INSPECTION, {"versions": {}, "archive": "batch.zip"})
    (root(INSPECTION) / job.id / "upload.zip").write_bytes(b"PK")
    real_copy = shutil.copyfile

    def full_disk(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full_disk)
    client.force_login(engineer)
    with pytest.raises(OSError, match="No space left"):
        client.post(_again(INSPECTION, job.id))
    assert not (root(INSPECTION) / job.id / "run-again").exists()
    monkeypatch.setattr(shutil, "copyfile", real_copy)
    assert client.post(_again(INSPECTION, job.id)).status_code == 302
    assert (root(INSPECTION) / job.id / "run-again").read_text().strip() in _jobs(INSPECTION)


# --- a tampered or damaged job folder gives a sentence, not a 500 ---------------------------------------


DAMAGED = "This job's files are damaged, so it cannot run again; start it anew on the Inspect page."


def _no_500_and_no_job(client: Client, kind: str, job_id: str, sentence: str = "") -> None:
    before = _jobs(kind)
    response = client.post(_again(kind, job_id))
    assert response.status_code != 500, "an unhandled exception: the user sees the server error page, not a sentence"
    assert response.status_code in (302, 404)
    assert _jobs(kind) == before
    if sentence:
        assert [str(m) for m in get_messages(response.wsgi_request)] == [sentence]


def test_a_job_json_that_is_missing_gives_a_sentence_not_a_500(engineer) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]})
    (root(INSPECTION) / job.id / "job.json").unlink()
    _no_500_and_no_job(_lenient(engineer), INSPECTION, job.id, DAMAGED)


def test_a_job_json_that_is_not_json_gives_a_sentence_not_a_500(engineer) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]})
    (root(INSPECTION) / job.id / "job.json").write_text("{not json", encoding="utf-8")
    _no_500_and_no_job(_lenient(engineer), INSPECTION, job.id, DAMAGED)


@pytest.mark.parametrize(
    "spec",
    [
        [],  # not an object
        {"image_ids": [1]},  # no versions
        {"versions": ["defect"], "image_ids": [1]},  # versions not an object
        {"versions": {"defect": "not-a-pk"}, "image_ids": [1]},  # a pk that is not a number
        {"versions": {}, "image_ids": 7},  # image_ids not a list
    ],
    ids=["list", "no-versions", "versions-list", "pk-text", "ids-int"],
)
def test_a_job_json_of_the_wrong_shape_gives_a_sentence_not_a_500(engineer, spec: Any) -> None:  # type: ignore[no-untyped-def]
    job = _failed(PREANNOTATION, spec)
    _no_500_and_no_job(_lenient(engineer), PREANNOTATION, job.id, DAMAGED)


def test_a_status_json_of_the_wrong_shape_gives_a_404_not_a_500(engineer) -> None:  # type: ignore[no-untyped-def]
    """Not new with 'Run it again' (``filejobs.read_status`` is shared with the job page), but reachable from it."""
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]})
    (root(INSPECTION) / job.id / "status.json").write_text('{"state": "failed"}', encoding="utf-8")
    _no_500_and_no_job(_lenient(engineer), INSPECTION, job.id)


# --- a symlinked upload.zip is not followed: what it points to is never copied into a new job -------------


def test_an_upload_zip_symlinked_outside_the_folder_is_not_copied(client, engineer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The app writes upload.zip itself, never as a link: a link is a tampered job and is refused, not followed."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_bytes(b"SECRET-OUTSIDE-DATA-DIR")
    job = _failed(INSPECTION, {"versions": {}, "archive": "batch.zip"})
    os.symlink(secret, root(INSPECTION) / job.id / "upload.zip")
    client.force_login(engineer)
    client.post(_again(INSPECTION, job.id))
    copied = [
        path for path in root(INSPECTION).glob("*/upload.zip") if not path.is_symlink() and path.read_bytes() == b"SECRET-OUTSIDE-DATA-DIR"
    ]
    assert copied == [], f"the file outside the job folder was copied into {copied}"
    assert len(_jobs(INSPECTION)) == 1


def test_a_real_id_with_a_trailing_newline_is_404(client, engineer) -> None:  # type: ignore[no-untyped-def]
    """A job id is matched whole (``fullmatch``): ``$`` alone would also accept it before a final newline."""
    with pytest.raises(filejobs.JobNotFound):
        filejobs.job_dir(root(INSPECTION), "20261206-120000-abcdef\n")
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]}, total=1)
    client.force_login(engineer)
    before = _jobs(INSPECTION)
    assert client.post(f"/jobs/inspection/{job.id}%0A/again").status_code == 404
    assert _jobs(INSPECTION) == before


@pytest.mark.parametrize("damage", ["gone", "not-json", "wrong-shape"])
def test_a_done_inspection_whose_report_is_gone_or_damaged_says_so_instead_of_a_500(engineer, damage: str) -> None:  # type: ignore[no-untyped-def]
    job = filejobs.new_job(root(INSPECTION), INSPECTION, {"versions": {}, "image_ids": [1]}, total=1)
    job.state, job.done, job.message = "done", 1, "Inspected 1 pictures."
    filejobs.write_status(root(INSPECTION), job)
    report = root(INSPECTION) / job.id / "report.json"
    if damage == "not-json":
        report.write_text("{half a file", encoding="utf-8")
    elif damage == "wrong-shape":
        report.write_text('{"pictures": 3}', encoding="utf-8")
    response = _lenient(engineer).get(reverse("review:job", args=[INSPECTION, job.id]))
    assert response.status_code == 200
    assert "This inspection&#x27;s report is gone or damaged; run the inspection again on the Inspect page." in response.content.decode()


def test_a_job_run_again_links_to_its_new_job_and_a_tampered_marker_is_ignored(client, engineer) -> None:  # type: ignore[no-untyped-def]
    job = _failed(INSPECTION, {"versions": {}, "image_ids": [1]}, total=1)
    client.force_login(engineer)
    page = reverse("review:job", args=[INSPECTION, job.id])
    assert 'id="run-again"' in client.get(page).content.decode()
    again_id = client.post(_again(INSPECTION, job.id)).url.rstrip("/").split("/")[-1]
    shown = client.get(page).content.decode()
    assert f'Run again as <a href="{reverse("review:job", args=[INSPECTION, again_id])}">{again_id}</a>' in shown
    assert 'id="run-again"' not in shown
    (root(INSPECTION) / job.id / "run-again").write_text('../x"><script>', encoding="utf-8")
    tampered = _lenient(engineer).get(page)
    assert tampered.status_code == 200 and "<script>" not in tampered.content.decode()
