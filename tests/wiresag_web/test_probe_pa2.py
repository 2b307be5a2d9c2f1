"""The Django admin's list pages on a library of thousands of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, AnnotationChange, Image
from registry.models import ActivationEvent, WeightsFile
from training.models import RunStatus, TrainingRun

ROWS = 150


@pytest.fixture
def full_tables(admin_user):  # type: ignore[no-untyped-def]
    """More rows than a list page shows (100), each made by a person."""
    by = admin_user
    pictures = Image.objects.bulk_create(
        Image(original_name=f"w{i}_TOP.png", sha256=f"{i:064d}", width=10, height=10, wire_id=f"w{i}", file=f"{i}.png", uploaded_by=by)
        for i in range(ROWS)
    )
    Annotation.objects.bulk_create(
        Annotation(image=picture, x=1, y=1, width=2, height=2, view="TOP", defect="PASS", annotator=admin_user) for picture in pictures
    )
    AnnotationChange.objects.bulk_create(AnnotationChange(image=picture, action="create", user=admin_user) for picture in pictures)
    TrainingRun.objects.bulk_create(TrainingRun(model_type="defect", status=RunStatus.SUCCEEDED, created_by=by) for _ in range(ROWS))
    WeightsFile.objects.bulk_create(
        WeightsFile(kind="detection", original_name=f"{i}.pt", file_path=f"uploads/{i}.pt", sha256=f"{i:064d}", uploaded_by=admin_user)
        for i in range(ROWS)
    )
    ActivationEvent.objects.bulk_create(ActivationEvent(version_name=f"v{i}", model_type="defect", user=admin_user) for i in range(ROWS))


@pytest.mark.parametrize(
    "page",
    [
        "annotations/image",
        "annotations/annotation",
        "annotations/annotationchange",
        "training/trainingrun",
        "registry/weightsfile",
        "registry/activationevent",
    ],
)
@pytest.mark.django_db
def test_a_list_page_reads_the_people_of_its_rows_in_one_query(admin_user, full_tables, page) -> None:  # type: ignore[no-untyped-def]
    """Each row's person (uploader, annotator, user, launcher) cost one more query, Django's own join skipping a
    foreign key that may be empty: 105 queries for a page of 100 rows."""
    client = Client()
    client.force_login(admin_user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/admin/{page}/")

    assert response.status_code == 200 and f">{admin_user.username}<" in response.content.decode()
    assert len(queries) < 20, len(queries)
