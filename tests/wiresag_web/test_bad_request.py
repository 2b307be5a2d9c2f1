"""A request Django refuses before any view runs got its bare "Bad Request (400)": the page now says what was wrong
and what to do, as the 403, 404 and 500 pages do."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer_client(engineer) -> Client:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(engineer)
    return client


def test_more_ticks_than_the_server_reads_say_so(engineer_client) -> None:  # type: ignore[no-untyped-def]
    """Over 1,000 `v` parameters on the compare page (only a forged or scripted address carries that many)."""
    response = engineer_client.get(reverse("registry:compare"), {"v": list(range(1, 1100))})
    page = response.content.decode()
    assert response.status_code == 400
    assert f"more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields" in page and "Send fewer at once" in page
    assert "Bad Request (400)" not in page


def test_a_host_name_the_server_does_not_answer_to_names_the_setting() -> None:
    response = Client(raise_request_exception=False).get("/login/", HTTP_HOST="wiresag.factory.example")
    page = response.content.decode()
    assert response.status_code == 400
    assert "WIRESAG_ALLOWED_HOSTS" in page and "wiresag.factory.example" in page


def test_too_many_files_in_one_upload_say_how_many_fit(engineer_client) -> None:  # type: ignore[no-untyped-def]
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    files = [SimpleUploadedFile(f"{n}_TOP.png", b"x") for n in range(limit + 1)]
    response = engineer_client.post(reverse("annotations:api-upload"), {"files": files}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert f"more than {limit} files" in response.json()["error"]


def test_an_api_caller_gets_the_sentence_as_json(engineer_client) -> None:  # type: ignore[no-untyped-def]
    response = engineer_client.post(reverse("annotations:api-upload"), {"x": list(range(1100))})
    assert response.status_code == 400 and "Send fewer at once" in response.json()["error"]


def test_a_hostile_host_name_is_shown_as_text_and_cut_short() -> None:
    """The refused host name is echoed back so a colleague can tell the admin what to add: never as markup, never whole."""
    hostile = "<script>alert(1)</script>" + "a" * 5000
    page = Client(raise_request_exception=False).get("/login/", HTTP_HOST=hostile).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a" * 200 not in page and "WIRESAG_ALLOWED_HOSTS" in page
