"""Every page names the app's own icon, and /favicon.ico answers without a login (issue 16 item 10)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_name_the_icon_and_the_icon_file_is_shipped(client: Client) -> None:
    page = client.get("/login/").content.decode()
    assert '<link rel="icon" type="image/svg+xml" href="/static/img/favicon.svg">' in page
    icon = finders.find("img/favicon.svg")
    assert icon is not None and "<svg" in open(icon, encoding="utf-8").read()


def test_favicon_ico_leads_to_the_icon_without_a_login(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"
