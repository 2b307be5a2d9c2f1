"""Fresh hostile eyes on the review pages' last changes: job times read from status files, answers to the queue's keys."""

from __future__ import annotations

import json

from django.urls import reverse


def test_a_job_whose_status_file_lost_its_creation_time_leaves_the_inspections_list_readable(client, engineer, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The list now shows each job's ``created_at`` as a local time (``JobStatus.created``); a status file whose
    ``created_at`` is null (damaged by hand, written by another tool) made that a TypeError, and the whole
    Inspect page a 500 for everyone, where it used to show the stored text."""
    from core import filejobs
    from review.inspection import INSPECTION, root

    settings.DATA_DIR = tmp_path / "data"
    damaged = filejobs.new_job(root(INSPECTION), INSPECTION, {}, total=1, label="night shift")
    path = root(INSPECTION) / damaged.id / "status.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "created_at": None}))
    client.force_login(engineer)
    response = client.get(reverse("review:inspect"))
    assert response.status_code == 200
    assert "night shift" in response.content.decode()


def test_a_review_decision_the_full_disk_refused_says_so_instead_of_you_are_logged_out(annotator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The queue's A and R keys post to /review/<id>/decide asking for JSON (queue.js). A server error there answered
    the 500 page in HTML, which queue.js takes for a login page: with the disk full it said "you are logged out. Log
    in again in another tab", and that login then failed too. The error's sentence now comes as JSON to a fetch that
    asks for JSON, as it does under /api/."""
    from django.db import OperationalError
    from django.test import Client

    from review import views

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(views, "review", full)
    client = Client(raise_request_exception=False)
    client.force_login(annotator)
    response = client.post(reverse("review:decide", args=[1]), {"decision": "accept"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "The server's disk is full" in response.json()["error"]


def test_a_page_opened_in_the_browser_still_gets_the_html_server_error_page(annotator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    from wiresag_web import views

    monkeypatch.setattr(views, "Image", None)  # the home page counts pictures through it
    client = Client(raise_request_exception=False)
    client.force_login(annotator)
    response = client.get("/", HTTP_ACCEPT="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html") and "Something went wrong on the server" in response.content.decode()
