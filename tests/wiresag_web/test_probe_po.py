"""Fresh hostile eyes on the last hour's wiresag_web changes: /health/ as an anonymous visitor sees it."""

from __future__ import annotations

import os

from tests.wiresag_web.test_probe_pl import health_with_a_silent_database

#: What psycopg says when PostgreSQL refuses the app's login: the server's address, port and database user.
POSTGRES_REFUSAL = (
    'connection failed: connection to server at "10.20.0.7", port 5432 failed: FATAL:  password authentication failed '
    'for user "wiresag_prod"'
)


def test_health_does_not_tell_an_anonymous_visitor_the_database_servers_address_or_user(client, db, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    """/health/ needs no login (load balancers poll it); when the database did not answer it put the driver's error
    into its answer word for word, so anyone who could reach the server read the database's address, port and user
    name. It now says the database does not answer and where to read why; the log keeps the error."""
    response = health_with_a_silent_database(client, monkeypatch, POSTGRES_REFUSAL)
    assert response.status_code == 503
    problem = response.json()["problem"]
    assert "database does not answer" in problem and "log" in problem
    assert "10.20.0.7" not in problem and "wiresag_prod" not in problem
    assert "10.20.0.7" in caplog.text  # the admin still reads why


def test_health_does_not_tell_an_anonymous_visitor_where_the_server_keeps_its_files(client, db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A full, read-only or missing data folder was named by its absolute path (``/srv/wiresag/var``) to anyone; the
    embedded TensorBoard already hides that path even from engineers."""
    real = os.statvfs

    def full(path):  # type: ignore[no-untyped-def]
        stats = real(path)
        return os.statvfs_result((4096, 4096, 1 << 20, 0, 0, 1000, 10, 10, stats.f_flag & ~os.ST_RDONLY, 255))

    monkeypatch.setattr(os, "statvfs", full)
    response = client.get("/health/")
    assert response.status_code == 503 and "full" in response.json()["problem"]
    assert str(settings.DATA_DIR) not in response.json()["problem"]
    settings.DATA_DIR = settings.DATA_DIR / "gone"
    monkeypatch.setattr(os, "statvfs", real)
    response = client.get("/health/")
    assert response.status_code == 503 and "mounted" in response.json()["problem"]
    assert str(settings.DATA_DIR) not in response.json()["problem"]
