"""Issue 13: stored script through media, page policies, roles, deleted files, login lockout, weak keys."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import transaction

from annotations.ingest import ingest_image
from annotations.models import Image
from tests.conftest import PASSWORD, png_bytes
from tests.wiresag_web.test_login_required import ROUTES

ROOT = Path(__file__).resolve().parents[2]
# A valid PNG that also carries markup: served as HTML, a browser would run it.
HOSTILE_PNG = png_bytes(seed=7) + b"<script>document.title='PWNED'</script>"


def test_a_picture_named_html_is_stored_and_served_as_png(client, annotator):
    image = ingest_image(HOSTILE_PNG, "report_TOP.html").image
    assert image.file.name.endswith(".png"), image.file.name
    assert image.original_name == "report_TOP.html"
    client.force_login(annotator)
    response = client.get(f"/media/{image.file.name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_media_type_comes_from_the_bytes_not_the_stored_name(client, annotator, settings):
    # A file stored under an .html name by an older version is still served as the picture it is.
    old = Path(settings.MEDIA_ROOT) / "images" / "ab" / "old.html"
    old.parent.mkdir(parents=True)
    old.write_bytes(HOSTILE_PNG)
    other = old.with_name("notes.html")
    other.write_bytes(b"<html><script>alert(1)</script></html>")
    client.force_login(annotator)
    response = client.get("/media/images/ab/old.html")
    assert response["Content-Type"] == "image/png"
    response = client.get("/media/images/ab/notes.html")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_every_page_forbids_inline_script_without_its_nonce(client, engineer):
    client.force_login(engineer)
    for path in ("/", "/library/", "/training/new/", "/login/"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        script = re.search(r"script-src ([^;]*)", policy)
        assert script is not None, policy
        assert "'unsafe-inline'" not in script.group(1) and "'self'" in script.group(1), policy
        assert "object-src 'none'" in policy and "base-uri 'none'" in policy, policy


def test_templates_hold_no_inline_script():
    """The policy would block an inline script: pages load theirs from static files."""
    for template in (ROOT / "templates").rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", template.read_text()):
            assert "src=" in tag or "application/json" in tag, (template, tag)


@pytest.fixture
def roleless(db):  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_user("nobody", password=PASSWORD)


@pytest.mark.parametrize(("path", "name"), ROUTES)
def test_a_user_without_a_role_sees_only_the_ask_for_a_role_page(client, roleless, path, name):
    client.force_login(roleless)
    if name in ("logout", "password_change", "password_change_done"):  # to leave, and to keep the account safe
        return
    response = client.get(path)
    assert response.status_code == 403, (path, name, response.status_code)
    assert b"Ask an admin to give you a role" in response.content, (path, name)


@pytest.mark.parametrize("path", ["%00", "images/a%00.png", "x" * 300 + ".png", "images/" + "y" * 5000])
def test_odd_media_paths_are_a_404(client, annotator, path):
    client.force_login(annotator)
    assert client.get(f"/media/{path}").status_code == 404


def test_a_user_without_a_role_cannot_read_media(client, roleless, make_image):
    image = make_image()
    client.force_login(roleless)
    response = client.get(f"/media/{image.file.name}")
    assert response.status_code == 403
    assert not hasattr(response, "streaming_content")


def test_deleting_a_picture_removes_its_files_after_commit(make_image, django_capture_on_commit_callbacks):
    image = make_image()
    names = image.stored_names()
    assert len(names) == 3 and all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        Image.objects.filter(pk=image.pk).delete()
    assert not any(default_storage.exists(name) for name in names)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_deletion_keeps_the_files(make_image):
    image = make_image()
    pk, names = image.pk, image.stored_names()
    with pytest.raises(RuntimeError), transaction.atomic():
        image.delete()
        raise RuntimeError("the admin's request failed")
    assert Image.objects.filter(pk=pk).exists()
    assert all(default_storage.exists(name) for name in names)


def test_deleting_a_picture_in_the_admin_removes_its_files(client, admin_user, make_image, django_capture_on_commit_callbacks):
    image = make_image()
    names = image.stored_names()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/annotations/image/{image.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    client.force_login(admin_user)
    assert client.get(f"/media/{names[0]}").status_code == 404


def _wrong_login(client, username: str, address: str = "10.9.8.7"):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": "wrong"}, REMOTE_ADDR=address)


def test_an_account_is_locked_after_a_few_wrong_passwords(client, annotator, settings, caplog):
    settings.AXES_ENABLED = True
    caplog.set_level(logging.INFO)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _wrong_login(client, annotator.username).status_code == 200
    locked = _wrong_login(client, annotator.username)
    assert locked.status_code == 429
    assert b"Too many wrong passwords" in locked.content and b"Try again in 0:15:00" in locked.content
    # Even the right password is refused now, from another address too (the account is locked).
    right = client.post("/login/", {"username": annotator.username, "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "AXES: New login failure" in messages and "AXES: Locking out" in messages


def test_an_address_is_locked_whatever_account_it_guesses(client, annotator, engineer, settings):
    settings.AXES_ENABLED = True
    for index in range(settings.AXES_FAILURE_LIMIT):
        _wrong_login(client, f"guess{index}", address="10.2.2.2")
    response = client.post("/login/", {"username": engineer.username, "password": PASSWORD}, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 429
    # A forged X-Forwarded-For does not give the guesser a fresh address.
    response = client.post(
        "/login/", {"username": engineer.username, "password": PASSWORD}, REMOTE_ADDR="10.2.2.2", HTTP_X_FORWARDED_FOR="10.3.3.3"
    )
    assert response.status_code == 429
    # Another address with the right password still gets in.
    response = client.post("/login/", {"username": engineer.username, "password": PASSWORD}, REMOTE_ADDR="10.4.4.4")
    assert response.status_code == 302


def test_a_picture_name_with_a_text_direction_override_is_stored_as_it_reads(db) -> None:  # type: ignore[no-untyped-def]
    """'lot\u202egnp.POT_100' showed as 'lot001_TOP.png' on its card, in the library and in reports: a name reading
    differently than it is. The direction controls are dropped when the picture is taken in."""
    image = ingest_image(png_bytes(), "w7\u202egnp.POT_\u2066x.png").image
    assert image.original_name == "w7gnp.POT_x.png"
