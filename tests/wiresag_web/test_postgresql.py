"""WIRESAG_DATABASE_URL switches to PostgreSQL: migrations apply and the constraints hold there too."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def postgres_url():
    if not (PG_BIN / "initdb").exists() or os.geteuid() != 0:
        pytest.fail("PostgreSQL 15 binaries and root (to run them as the postgres user) are needed for this test.")
    # initdb refuses root, and pytest's tmp folders are private to root: a folder the postgres user owns.
    cluster = Path(tempfile.mkdtemp(prefix="wiresag-pg-"))
    shutil.chown(cluster, user="postgres", group="postgres")
    port = free_port()

    def as_postgres(*args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=60)

    as_postgres(str(PG_BIN / "initdb"), "-D", str(cluster), "-U", "postgres", "-A", "trust", "--no-sync")
    options = f"-p {port} -k {cluster} -c listen_addresses=127.0.0.1 -c fsync=off"
    as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(cluster), "-l", str(cluster / "server.log"), "-o", options, "-w", "start")
    try:
        as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "wiresag")
        yield f"postgres://postgres@127.0.0.1:{port}/wiresag"
    finally:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(cluster), "-m", "immediate", "stop")
        shutil.rmtree(cluster, ignore_errors=True)


def migrate_and_run_on_postgresql(postgres_url: str, data_dir: Path, script: str) -> str:
    """Migrate a fresh database at ``postgres_url`` and run ``script`` in ``manage.py shell`` against it; its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESAG_")}
    env.update(WIRESAG_DEBUG="1", WIRESAG_DATA_DIR=str(data_dir), WIRESAG_DATABASE_URL=postgres_url)
    for command in (["migrate", "--noinput"], ["shell", "-c", script]):
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    return done.stdout


CHECK_CONSTRAINT = """
from django.db import IntegrityError, connection, transaction
from registry.models import ModelVersion
assert connection.vendor == "postgresql", connection.vendor
ModelVersion.objects.create(name="a", model_type="defect", file_path="a", sha256="0", is_active=True)
try:
    with transaction.atomic():
        ModelVersion.objects.create(name="b", model_type="defect", file_path="b", sha256="0", is_active=True)
except IntegrityError:
    print("refused")
"""


@pytest.mark.slow
def test_migrations_and_constraints_on_postgresql(postgres_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESAG_")}
    env.update(WIRESAG_DEBUG="1", WIRESAG_DATA_DIR=str(tmp_path), WIRESAG_DATABASE_URL=postgres_url)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stderr
    shell = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", CHECK_CONSTRAINT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert shell.returncode == 0, shell.stderr
    assert "refused" in shell.stdout


# The statistics page's size histogram is grouped in SQL, where SQLite and PostgreSQL round differently.
SIZE_BINS = """
import io
from PIL import Image as PILImage
from django.db import connection
from annotations.ingest import ingest_image
from annotations.models import Annotation
from annotations.stats import dataset_stats
assert connection.vendor == "postgresql", connection.vendor
buffer = io.BytesIO()
PILImage.new("RGB", (400, 300), (90, 90, 90)).save(buffer, format="PNG")
image = ingest_image(buffer.getvalue(), "w1_SIDE.png").image
for width in (160, 199, 240):
    Annotation.objects.create(image=image, x=0, y=0, width=width, height=49.9, view="SIDE", defect="TOUCH")
histogram = {edge: (widths, heights) for edge, widths, heights in dataset_stats().size_histogram}
print("bins", histogram[0], histogram[150], histogram[200])
"""


@pytest.mark.slow
def test_the_size_histogram_bins_boxes_on_postgresql_as_on_sqlite(postgres_url, tmp_path):
    stdout = migrate_and_run_on_postgresql(postgres_url, tmp_path, SIZE_BINS)
    # 160 and 199 px wide fall in the 150-199 bin, 240 in 200-249; three 49.9 px heights in 0-49 (PostgreSQL's CAST rounds).
    assert "bins (0, 3) (2, 0) (1, 0)" in stdout
