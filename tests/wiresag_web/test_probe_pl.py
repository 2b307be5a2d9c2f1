"""docs/operations.md carried out by an operator: health, backups, lockouts, as the doc says they work."""

from __future__ import annotations

import html
import os

from django.db import OperationalError

from tests.conftest import PASSWORD


def health_with_a_silent_database(client, monkeypatch, error: str):  # type: ignore[no-untyped-def]
    """``/health/``'s answer while every database cursor fails with ``error``."""
    from wiresag_web import views

    class Refusing:
        def __enter__(self):  # type: ignore[no-untyped-def]
            raise OperationalError(error)

        def __exit__(self, *args):  # type: ignore[no-untyped-def]
            return False

    with monkeypatch.context() as patched:  # undone before the test database is torn down, which needs a cursor
        patched.setattr(views.connection, "cursor", Refusing)
        return client.get("/health/")


def _statvfs_with(monkeypatch, *, free_blocks: int, read_only: bool = False) -> None:  # type: ignore[no-untyped-def]
    """The data folder's file system as ``os.statvfs`` reports it: 4 KiB blocks, ``free_blocks`` of them free."""
    real = os.statvfs

    def fake(path):  # type: ignore[no-untyped-def]
        stats = real(path)
        flags = stats.f_flag | os.ST_RDONLY if read_only else stats.f_flag & ~os.ST_RDONLY
        return os.statvfs_result((4096, 4096, 1 << 20, free_blocks, free_blocks, 1000, 10, 10, flags, 255))

    monkeypatch.setattr(os, "statvfs", fake)


def test_health_is_not_ok_when_the_data_folders_disk_is_full(client, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With the data folder's disk full every login failed with a bare "Server Error (500)" (the session cannot be
    saved), yet ``/health/`` went on answering ``{"status": "ok"}``: the SQLite ``SELECT 1`` it asked needs no space,
    so no monitor ever heard of it."""
    _statvfs_with(monkeypatch, free_blocks=0)
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert "full" in body["problem"] and "Free space" in body["problem"]


def test_health_is_not_ok_when_the_data_folder_is_read_only(client, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _statvfs_with(monkeypatch, free_blocks=1 << 18, read_only=True)
    response = client.get("/health/")
    assert response.status_code == 503
    assert "read-only" in response.json()["problem"]


def test_health_says_when_the_database_does_not_answer(client, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The doc promises an answer "when the database answers"; when it did not, a load balancer got Django's bare
    HTML "Server Error (500)" and the log a traceback, not a sentence saying what is down."""
    response = health_with_a_silent_database(client, monkeypatch, "unable to open database file")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "problem": "The database does not answer; the server's log (wiresag.log in the data folder) says why.",
    }


def test_health_is_ok_with_room_on_a_writable_data_folder(client, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _statvfs_with(monkeypatch, free_blocks=1 << 18)  # 1 GiB free
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def _login(client, username: str, password: str, address: str):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_lockout_page_names_the_command_that_unlocks_a_locked_address(client, admin_user, settings) -> None:  # type: ignore[no-untyped-def]
    """Five wrong guesses at made-up names from a shift's PC locked its address; the admin, locked out there too, ran
    what the page and docs/operations.md said (``manage.py axes_reset_username NAME``) and was still locked out: that
    command forgets only one name's failures, and the address counts the others' (``axes_reset_ip`` ends it)."""
    from django.core.management import call_command

    settings.AXES_ENABLED = True
    address = "10.20.30.40"
    for index in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"guess{index}", "wrong", address)
    locked = _login(client, admin_user.username, PASSWORD, address)
    assert locked.status_code == 429
    call_command("axes_reset_username", admin_user.username)
    assert _login(client, admin_user.username, PASSWORD, address).status_code == 429  # the page's one command is not enough
    page = locked.content.decode()
    assert f"manage.py axes_reset_ip {address}" in page
    call_command("axes_reset_ip", address)  # what the page says now
    assert _login(client, admin_user.username, PASSWORD, address).status_code == 302


def test_a_login_on_a_full_disk_says_the_disk_is_full_instead_of_a_bare_server_error(admin_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With the data folder's disk full, logging in (its session cannot be saved) answered Django's bare
    "Server Error (500)" page, with no word of what happened or whom to tell."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    def full(self, must_create=False):  # type: ignore[no-untyped-def]
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(SessionStore, "save", full)
    client = Client(raise_request_exception=False)
    response = client.post("/login/", {"username": admin_user.username, "password": PASSWORD})
    assert response.status_code == 500
    page = html.unescape(response.content.decode())
    assert "The server's disk is full" in page and "admin" in page


def test_any_other_server_error_says_what_to_do(annotator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    from wiresag_web import views

    monkeypatch.setattr(views, "Image", None)  # the home page counts pictures through it
    client = Client(raise_request_exception=False)
    client.force_login(annotator)
    response = client.get("/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on the server" in page and "wiresag.log" in page
