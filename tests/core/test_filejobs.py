"""Job folders: ids that sort in the order the jobs were started, even within one second."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from core import filejobs


def test_jobs_started_within_one_second_list_newest_first(tmp_path: Path) -> None:
    started = [filejobs.new_job(tmp_path, "inspection", {}).id for _ in range(30)]
    assert len({job_id[:15] for job_id in started}) < len(started)  # some share their second
    listed = [status.id for status in filejobs.list_jobs(tmp_path, "inspection", limit=100)]
    assert listed == started[::-1]


def test_ids_keep_their_pattern_and_never_collide(tmp_path: Path) -> None:
    moment = datetime(2026, 12, 6, 16, 20, 1, 999_999)
    ids = [filejobs.new_job(tmp_path, "export", {}, local_time=moment).id for _ in range(12)]
    assert len(set(ids)) == 12  # the same instant given twelve times: still twelve folders
    assert all(job_id.startswith("20261206-162001-f423f") for job_id in ids)
    for job_id in ids:
        assert filejobs.job_dir(tmp_path, job_id) == tmp_path / job_id  # the URL pattern still accepts it
    later = filejobs.new_job(tmp_path, "export", {}, local_time=moment.replace(second=2, microsecond=0)).id
    assert filejobs.list_jobs(tmp_path, "export", limit=1)[0].id == later
