"""A hostile annotator's upload, opened by an admin in a real browser, runs nothing.

The attack this guards against: a valid PNG with an HTML page after its end, uploaded as
``report_TOP.html``. Served as ``text/html`` (what the app once did), its script ran in the
admin's session and created a superuser through the admin pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import expect

from annotations.models import Image
from tests.browser_fixtures import chromium, login  # noqa: F401
from tests.conftest import PASSWORD, png_bytes
from tests.live_fixtures import daphne_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def real_passwords(*users) -> None:  # type: ignore[no-untyped-def]
    """The test settings hash with MD5 for speed; the daphne process knows only the real hashers."""
    hasher = PBKDF2PasswordHasher()
    for user in users:
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])


# What the script would do in an admin's session: mark the page, then make a superuser.
PAYLOAD = b"""<html><body><script>
document.title = 'PWNED';
window.parent.postMessage('PWNED', '*');
fetch('/admin/auth/user/add/').then(r => r.text()).then(html => {
  const token = html.match(/name="csrfmiddlewaretoken" value="([^"]+)"/)[1];
  const body = new URLSearchParams({csrfmiddlewaretoken: token, username: 'evil',
    password1: 'Evil-password-123', password2: 'Evil-password-123', usable_password: 'true'});
  return fetch('/admin/auth/user/add/', {method: 'POST', body});
});
</script></body></html>"""


def test_a_png_with_a_script_named_html_runs_nothing_when_an_admin_opens_it(
    chromium,  # noqa: F811
    daphne_server,  # noqa: F811
    annotator,
    admin_user,
    tmp_path,
):
    # The real server (daphne and the app's own media view), not Django's test server,
    # which serves /media/ with its own handler.
    real_passwords(annotator, admin_user)
    hostile = tmp_path / "report_TOP.html"
    hostile.write_bytes(png_bytes(64, 48, seed=7) + PAYLOAD)

    annotator_page = chromium.new_context().new_page()
    login(annotator_page, daphne_server, annotator.username, PASSWORD)
    annotator_page.goto(f"{daphne_server}/library/")
    annotator_page.set_input_files("#upload-input", [str(hostile)])
    annotator_page.wait_for_selector("#upload-status[data-done='1']")
    expect(annotator_page.locator("#upload-results li.created")).to_have_count(1)
    image = Image.objects.get()
    assert image.file.name.endswith(".png"), image.file.name

    context = chromium.new_context()
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    login(page, daphne_server, admin_user.username, PASSWORD)
    response = page.goto(f"{daphne_server}{image.file.url}")
    assert response is not None and response.status == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    page.wait_for_timeout(1000)
    assert page.title() != "PWNED"

    # The pages that show the picture (library thumbnail, annotation canvas) run nothing either.
    for url in ("/library/", f"/images/{image.pk}/annotate/"):
        page.goto(f"{daphne_server}{url}")
        page.wait_for_load_state("networkidle")
        assert page.title() != "PWNED"
    assert not get_user_model().objects.filter(username="evil").exists()
    assert not any("PWNED" in text for text in messages)


def test_an_html_file_left_in_the_media_folder_is_downloaded_not_shown(chromium, daphne_server, admin_user):  # noqa: F811
    real_passwords(admin_user)
    stray = Path(settings.MEDIA_ROOT) / "imports" / "left" / "page.html"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(PAYLOAD)

    page = chromium.new_context(accept_downloads=True).new_page()
    login(page, daphne_server, admin_user.username, PASSWORD)
    with page.expect_download() as download:
        try:
            page.goto(f"{daphne_server}/media/imports/left/page.html")
        except Exception as error:  # Chromium aborts a navigation that turns into a download
            assert "Download is starting" in str(error) or "net::ERR_ABORTED" in str(error)
    assert download.value.suggested_filename == "page.html"
    assert page.title() != "PWNED"
    assert not get_user_model().objects.filter(username="evil").exists()
