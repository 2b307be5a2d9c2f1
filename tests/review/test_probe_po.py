"""Fresh hostile eyes on the review pages' last changes: job times read from status files, answers to the queue's keys."""

from __future__ import annotations

import json

from django.urls import reverse


def test_a_job_whose_status_file_lost_its_creation_time_leaves_the_inspections_list_readable(client, engineer, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The list now shows each job's ``created_at`` as a local time (``JobStatus.created``); a status file whose
    ``created_at`` is null (damaged by hand, written by another tool) made that a TypeError, and the whole
    Inspect page a 500 for everyone, where it used to show the stored text."""
    from core import filejobs
    from review.inspection import INSPECTION, root

    settings.DATA_DIR = tmp_path / "data"
    damaged = filejobs.new_job(root(INSPECTION), INSPECTION, {}, total=1, label="night shift")
    path = root(INSPECTION) / damaged.id / "status.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "created_at": None}))
    client.force_login(engineer)
    response = client.get(reverse("review:inspect"))
    assert response.status_code == 200
    assert "night shift" in response.content.decode()
