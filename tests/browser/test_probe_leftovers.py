"""Leftovers other probes noticed, seen in Chromium: an open job page whose user lost the role."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core import filejobs
from review.inspection import INSPECTION, root
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_job_page_whose_user_lost_the_role_says_so_not_that_they_are_logged_out(
    chromium,  # noqa: F811
    live_server,
    engineer,
    settings,
    tmp_path,
) -> None:
    """An admin took the role away while the job page was open: the status URL answered 403 (the no-role page) and the
    page said "you are logged out. Log in again in another tab", which the user did, to no avail."""
    settings.DATA_DIR = tmp_path / "data"
    job = filejobs.new_job(root(INSPECTION), INSPECTION, {"image_ids": [1], "versions": {}}, user=engineer.username, total=1)
    context = chromium.new_context()
    page = context.new_page()
    login(page, live_server.url, engineer.username, PASSWORD)
    page.goto(f"{live_server.url}/jobs/{INSPECTION}/{job.id}/")
    expect(page.locator("#job-state")).to_have_text("queued")
    engineer.groups.clear()  # the admin takes the role away
    expect(page.locator("#job-message")).to_contain_text("no longer has a role", timeout=5000)
    expect(page.locator("#job-message")).not_to_contain_text("logged out")
    context.close()
