"""An export whose web process ended (a restart, a crash) is cut off at once, not after ten minutes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from annotations.models import Annotation
from interop import exports
from interop.exports import start_export

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_box(settings, tmp_path, make_image) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    Annotation.objects.create(image=make_image("5_SIDE.png", 40, 30), x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")


def start_in(server: subprocess.Popen, user):  # type: ignore[no-untyped-def, type-arg]
    """Start an export as the web server process ``server`` does (its thread is not started: nothing commits here)."""
    real_getpid = os.getpid
    os.getpid = lambda: server.pid  # type: ignore[assignment]
    try:
        return start_export({}, "csv", include_pictures=False, for_training=True, user=user)
    finally:
        os.getpid = real_getpid


def test_an_export_whose_web_server_was_restarted_fails_at_once_and_frees_its_user(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """The web server restarted while it wrote the export: its page said "running" and each new export was refused
    ("Your export ... is still being written") for ten minutes, until the status file was old enough."""
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        status = start_in(server, annotator)
    finally:
        server.kill()
        server.wait()
    client.force_login(annotator)

    answer = client.get(f"/export/{status.id}/status").json()
    assert answer["state"] == "failed"
    assert answer["message"] == "This export stopped half way: the web server was restarted while it ran. Start it again."
    assert client.post("/export/", {"format": "yolo"}).status_code == 302


def test_an_export_of_a_web_server_still_running_keeps_running(client, annotator) -> None:  # type: ignore[no-untyped-def]
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        status = start_in(server, annotator)
        assert exports.status_of(status.id).state == "queued"
        client.force_login(annotator)
        assert client.post("/export/", {"format": "yolo"}).status_code == 400
    finally:
        server.kill()
        server.wait()


def test_an_export_whose_process_id_went_to_another_process_fails(annotator) -> None:  # type: ignore[no-untyped-def]
    """After a restart the new web server may get the old one's process id (a container starts the same way each time)."""
    status = start_export({}, "csv", include_pictures=False, for_training=True, user=annotator)
    data = (exports.root() / status.id / "status.json").read_text()
    host, namespace, pid, started = exports.filejobs.this_process().rsplit(":", 3)
    (exports.root() / status.id / "status.json").write_text(data.replace(f":{pid}:{started}", f":{pid}:{int(started) - 1}"))
    assert exports.status_of(status.id).state == "failed"
