"""Re-probing today's changes to review: the expiry schedule, run-again and the one-time form tokens."""

from __future__ import annotations


def test_the_expire_files_schedule_runs_on_the_quick_queue_not_behind_a_training(db, settings) -> None:  # type: ignore[no-untyped-def]
    # With the schedule on the main queue, a training of several hours held every expiry back until it ended (and the
    # tasks piled up behind it); the other maintenance schedules moved to the quick queue for that (training 0005).
    from django_q.models import Schedule

    clusters = dict(Schedule.objects.filter(name__contains="expire").values_list("name", "cluster"))
    assert clusters["review-expire-files"] == settings.QUICK_QUEUE, clusters
    assert clusters["interop-expire-exports"] == settings.QUICK_QUEUE
