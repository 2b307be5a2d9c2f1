"""Imports and exports racing other people's work, or cut off by a killed process: a sentence, and a retry that works."""

from __future__ import annotations

import pytest
from django.test import Client

from annotations.models import Annotation, Image
from interop.jobs import jobs_dir
from tests.conftest import png_bytes
from tests.interop.test_import_apply_failures import _start, _yolo

pytestmark = pytest.mark.django_db


def test_apply_after_the_web_process_was_killed_half_way_imports_instead_of_saying_it_is_still_applying(annotator) -> None:
    """A killed web process (a restart, the OOM killer) left the import's 'applying' marker; every later Apply said
    "already being applied (a second click)" and nothing ever came in, although its transaction had rolled back."""
    client = Client(raise_request_exception=False)
    client.force_login(annotator)
    location = _start(client, _yolo({"a_TOP.png": png_bytes(seed=1), "b_TOP.png": png_bytes(seed=2)}))
    job_id = location.rstrip("/").split("/")[-1]
    (jobs_dir() / job_id / "applying").touch()  # what the killed process left: its transaction never committed
    applied = client.post(location + "apply/", follow=True)
    assert "already being applied" not in applied.content.decode()
    assert Image.objects.count() == 2 and Annotation.objects.count() == 2
