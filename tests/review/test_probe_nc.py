"""Re-probing today's changes to review: the expiry schedule, run-again and the one-time form tokens."""

from __future__ import annotations


def test_the_expire_files_schedule_runs_on_the_quick_queue_not_behind_a_training(db, settings) -> None:  # type: ignore[no-untyped-def]
    # With the schedule on the main queue, a training of several hours held every expiry back until it ended (and the
    # tasks piled up behind it); the other maintenance schedules moved to the quick queue for that (training 0005).
    from django_q.models import Schedule

    clusters = dict(Schedule.objects.filter(name__contains="expire").values_list("name", "cluster"))
    assert clusters["review-expire-files"] == settings.QUICK_QUEUE, clusters
    assert clusters["interop-expire-exports"] == settings.QUICK_QUEUE


def test_run_again_while_the_schedule_expires_the_zip_says_it_is_gone_and_leaves_no_job(  # type: ignore[no-untyped-def]
    db, engineer, settings, tmp_path, monkeypatch
) -> None:
    """'Run it again' on a day-old failed inspection as review-expire-files removed its zip: between the check that the
    zip is there and its copy, the copy failed with a 500 and left a new job 'Waiting for a worker' that none would run."""
    import shutil
    import time

    from django.contrib.messages import get_messages
    from django.test import Client

    from core import filejobs
    from review import inspection

    settings.DATA_DIR = tmp_path / "data"
    old = filejobs.new_job(inspection.root(inspection.INSPECTION), inspection.INSPECTION, {"versions": {}, "archive": "lot.zip"})
    (inspection.job_dir(inspection.INSPECTION, old.id) / "upload.zip").write_bytes(b"zip bytes")
    old.state, old.message = "failed", "The worker was stopped. Start it again."
    filejobs.write_status(inspection.root(inspection.INSPECTION), old)
    real_copy = shutil.copyfile

    def copy_as_the_schedule_runs(source, target, *args, **kwargs):  # type: ignore[no-untyped-def]
        inspection.expire_files(now=time.time() + 25 * 3600)
        return real_copy(source, target, *args, **kwargs)

    monkeypatch.setattr(inspection.shutil, "copyfile", copy_as_the_schedule_runs)
    client = Client(raise_request_exception=False)
    client.force_login(engineer)
    answer = client.post(f"/jobs/inspection/{old.id}/again")
    assert answer.status_code == 302, answer.status_code
    said = [str(message) for message in get_messages(answer.wsgi_request)]
    assert said == ["This job's zip is gone (old jobs' files are removed); upload the zip again on the Inspect page."]
    assert [status.id for status in inspection.list_jobs(inspection.INSPECTION)] == [old.id]
    assert inspection.run_again_as(inspection.INSPECTION, old.id) == ""
