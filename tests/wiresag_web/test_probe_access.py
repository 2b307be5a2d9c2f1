"""Refused, missing and wrong-method pages say a sentence, not a bare "403 Forbidden", "Not Found" or an empty page."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.parametrize("path", ["/training/", "/registry/", "/inspect/", "/registry/weights/"])
def test_an_annotator_on_an_engineers_page_is_told_which_role_it_needs(client, annotator, path):
    client.force_login(annotator)
    response = client.get(path)
    assert response.status_code == 403
    assert b"This page needs the engineer role; ask an admin to grant it." in response.content


@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        ("/export/20240101-000000-abcdef/", b"This export does not exist (any more): exports are kept for a day. Start it again."),
        ("/help/no-such-page/", b"There is no guide page of this name."),
        ("/inspect/20240101-000000-abcdef/download.pdf", b"Download CSV, JSON or xlsx."),
    ],
)
def test_a_missing_thing_is_named_in_the_views_own_words(client, engineer, path, sentence):
    client.force_login(engineer)
    response = client.get(path)
    assert response.status_code == 404
    assert sentence in response.content


def test_an_address_that_is_no_page_says_so_in_a_sentence(client, engineer):
    client.force_login(engineer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"There is no page at this address" in response.content
    assert b"Resolver404" not in response.content


def test_opening_the_logout_address_says_one_is_still_logged_in(client, annotator):
    """Django's answer to a GET of /logout/ (a bookmark, a typed address) was an empty page; the user stayed logged in."""
    client.force_login(annotator)
    response = client.get("/logout/")
    assert response.status_code == 405 and response["Allow"]
    assert b"You are still logged in" in response.content
    assert b"Log out</button>" in response.content


@pytest.mark.parametrize("path", ["/registry/1/activate/", "/training/runs/1/cancel/", "/import/x/apply/"])
def test_opening_a_buttons_address_says_what_to_do(client, engineer, path):
    client.force_login(engineer)
    response = client.get(path)
    assert response.status_code == 405
    assert b"press its button" in response.content


def test_an_api_called_with_the_wrong_method_answers_json(client, annotator):
    client.force_login(annotator)
    response = client.get("/api/images/upload")
    assert response.status_code == 405
    assert "POST" in response.json()["error"]


@pytest.fixture
def strict_client(engineer):  # type: ignore[no-untyped-def]
    """A browser whose page is older than its login: the CSRF token it sends is no longer the session's."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(engineer)
    browser.get("/training/")
    return browser


def test_a_form_sent_from_a_page_older_than_the_login_says_to_reload(strict_client):
    response = strict_client.post("/training/runs/1/cancel/", {"csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    assert b"Reload the page" in response.content
    assert b"DEBUG=True" not in response.content


def test_a_save_sent_from_a_page_older_than_the_login_answers_json(strict_client, make_image):
    image = make_image()
    response = strict_client.put(f"/api/images/{image.pk}/annotations", "{}", content_type="application/json", HTTP_X_CSRFTOKEN="x" * 64)
    assert response.status_code == 403
    assert "Reload the page" in response.json()["error"]
