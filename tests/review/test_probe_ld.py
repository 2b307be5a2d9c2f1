"""A sent-form claim that is not a plain file of its own (a link, a folder): the form is refused with a sentence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from review.inspection import INSPECTION, PREANNOTATION, SENT_FORMS, list_jobs, new_form_token, root
from tests.review.test_probe_leftovers import active_models  # noqa: F401

REFUSED = "The server could not record this form as sent, so nothing was queued"


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"


def _outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("KEEP", encoding="utf-8")
    return secret


def _plant(kind: str, token: str, what: str, target: Path) -> None:
    claim = root(kind) / SENT_FORMS / token
    claim.parent.mkdir(parents=True)
    if what == "link":
        os.symlink(target, claim)
    else:
        claim.mkdir()


@pytest.mark.usefixtures("active_models")
@pytest.mark.parametrize("what", ["link", "folder"])
def test_a_preannotation_form_whose_claim_is_a_link_or_a_folder_is_refused_with_a_sentence(  # type: ignore[no-untyped-def]
    client, engineer, make_image, tmp_path, what, django_capture_on_commit_callbacks
) -> None:
    make_image("001_TOP.png")
    secret = _outside(tmp_path)
    token = new_form_token()
    _plant(PREANNOTATION, token, what, secret)
    client.force_login(engineer)
    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post("/review/preannotate", {"conf": "0.25", "form_token": token}, follow=True)
    assert answer.status_code == 200
    assert REFUSED in answer.content.decode()
    assert list_jobs(PREANNOTATION) == []
    assert secret.read_text(encoding="utf-8") == "KEEP"


@pytest.mark.usefixtures("active_models")
def test_an_inspect_form_whose_claim_is_a_link_is_refused_on_its_page(  # type: ignore[no-untyped-def]
    client, engineer, make_image, tmp_path, django_capture_on_commit_callbacks
) -> None:
    make_image("001_TOP.png")
    token = new_form_token()
    _plant(INSPECTION, token, "link", _outside(tmp_path))
    client.force_login(engineer)
    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post("/inspect/", {"conf": "0.25", "rule": "evidence", "form_token": token})
    assert answer.status_code == 400
    assert REFUSED in answer.content.decode()


@pytest.mark.usefixtures("active_models")
def test_a_sent_forms_folder_linked_outside_the_jobs_folder_is_not_written_into(  # type: ignore[no-untyped-def]
    client, engineer, make_image, tmp_path, django_capture_on_commit_callbacks
) -> None:
    make_image("001_TOP.png")
    outside = _outside(tmp_path).parent
    root(PREANNOTATION).mkdir(parents=True)
    os.symlink(outside, root(PREANNOTATION) / SENT_FORMS)
    client.force_login(engineer)
    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post("/review/preannotate", {"conf": "0.25", "form_token": new_form_token()}, follow=True)
    assert REFUSED in answer.content.decode()
    assert sorted(path.name for path in outside.iterdir()) == ["secret.txt"]
    assert list_jobs(PREANNOTATION) == []
