"""An inspection or pre-annotation the database queue could not take for another reason than a full disk.

SQLite busy past its 30 s timeout ("database is locked", a long training write beside it) or PostgreSQL restarted
("server closed the connection unexpectedly"): the page was a 500, and the job said "Waiting for a worker." for
ever, with no "Run it again" (only a failed job runs again, and the stopped-half-way cut-off reads running jobs only).
"""

from __future__ import annotations

import pytest

from review.inspection import INSPECTION, PREANNOTATION
from tests.review.test_probe_pf2 import refused_by_the_queue


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"


@pytest.mark.parametrize(
    ("kind", "url"), [(INSPECTION, "/inspect/"), (PREANNOTATION, "/review/preannotate")], ids=["inspection", "preannotation"]
)
def test_a_job_the_busy_database_could_not_queue_fails_with_a_sentence_and_may_be_run_again(  # type: ignore[no-untyped-def]
    client, engineer, make_image, transactional_db, monkeypatch, kind, url
) -> None:
    job, page = refused_by_the_queue(monkeypatch, engineer, make_image, kind, url, "database is locked")
    assert "database is locked" not in job.message and "run it again" in job.message.lower()
    assert 'id="run-again"' in page
