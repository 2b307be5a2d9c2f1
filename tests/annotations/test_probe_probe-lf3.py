"""Follow-ups of earlier probes: a wire id holding '/', and the library's Files missing filter on a large library."""

from __future__ import annotations

import html
import sqlite3

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from annotations.models import Image
from tests.conftest import png_bytes, zipped
from tests.wiresag_web.test_postgresql import migrate_and_run_on_postgresql, postgres_url  # noqa: F401

#: SQLite's default SQLITE_MAX_VARIABLE_NUMBER (since 3.32).
SQLITE_MAX_VARIABLES = 32_766
INLINE = {"annotations-TOTAL_FORMS": "0", "annotations-INITIAL_FORMS": "0", "annotations-MIN_NUM_FORMS": "0"}


@pytest.fixture
def admin_client(admin_user):  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_a_wire_id_holding_a_slash_is_refused_in_the_admin_with_a_sentence(admin_client, make_image) -> None:  # type: ignore[no-untyped-def]
    """Group "a" with wire "b" and wire "a/b" without a group had the same wire key: their verdicts were combined and
    they went to the same side of the training split. The admin accepted "a/b" as a wire id."""
    grouped = make_image("b_TOP.png", wire_group="a")
    loose = make_image("c_TOP.png")
    form = {"original_name": loose.original_name, "wire_id": "a/b", "wire_group": "", "view": "TOP", "notes": ""}

    response = admin_client.post(f"/admin/annotations/image/{loose.pk}/change/", {**form, **INLINE})

    loose.refresh_from_db()
    assert response.status_code == 200
    said = html.unescape(response.content.decode())
    assert "The wire id 'a/b' contains '/', which separates the wire group from the wire id" in said
    assert "Put the folder or lot in the wire group" in said
    assert loose.wire_id == "c" and loose.wire_key != grouped.wire_key


@pytest.mark.django_db
def test_every_wire_id_with_a_slash_fails_the_models_check_and_others_pass(make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image("c_TOP.png")
    for wire_id in ("a/b", "/b", "b/", "x/y/z"):
        image.wire_id = wire_id
        with pytest.raises(ValidationError, match="contains '/'"):
            image.full_clean()
    for wire_id in ("b", "a\\b", "lot 7.001", "沖線-01"):
        image.wire_id = wire_id
        image.full_clean()


@pytest.mark.django_db
def test_uploaded_pictures_in_folders_get_wire_ids_without_the_folder_that_pass_the_check(annotator) -> None:  # type: ignore[no-untyped-def]
    """The id comes from the file name alone (a Windows path's folders too); the folder becomes the wire group."""
    client = Client()
    client.force_login(annotator)
    bundle = zipped({"lot7/PASS/001_TOP.png": png_bytes(seed=1)}).getvalue()
    files = [SimpleUploadedFile("lot.zip", bundle), SimpleUploadedFile("D:\\photo\\Side\\002_SIDE.png", png_bytes(seed=2))]

    response = client.post("/api/images/upload", {"files": files})

    assert response.status_code == 200, response.content
    assert sorted(Image.objects.values_list("wire_group", "wire_id")) == [("", "002"), ("lot7/PASS", "001")]
    for image in Image.objects.all():
        image.full_clean()


@pytest.fixture
def sqlites_default_variable_limit():  # type: ignore[no-untyped-def]
    """SQLite's own limit of variables in one statement: Debian's build (this one, perhaps) allows 250,000."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's limit")
    connection.ensure_connection()
    raw = connection.connection
    before = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_MAX_VARIABLES)
    yield
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)


def test_the_files_missing_filter_lists_more_pictures_than_sqlite_takes_variables(  # type: ignore[no-untyped-def]
    client, annotator, make_image, sqlites_default_variable_limit
) -> None:
    """A restore whose media/ is empty, on a library of 40,000 pictures: the filter asked for its pictures with one
    variable per id, SQLite refuses more than 32,766, and the page answered 500."""
    whole = make_image("whole_TOP.png")
    lost = SQLITE_MAX_VARIABLES + 2
    with connection.cursor() as cursor:  # one statement: bulk_create took 4 s for these rows
        cursor.execute(
            """
            INSERT INTO annotations_image (file, display_file, thumbnail_file, original_name, sha256, width, height, bit_depth,
                wire_id, wire_group, view, notes, annotation_revision, uploaded_at)
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %s)
            SELECT 'images/00/' || i || '.png', 'display/00/' || i || '.jpg', 'thumbs/00/' || i || '.jpg',
                printf('%%05d.png', i), printf('%%064x', i), 64, 48, 8, printf('%%05d', i), '',
                CASE WHEN i %% 2 THEN 'TOP' ELSE 'SIDE' END, '', 0, %s
            FROM n
            """,
            [lost, whole.uploaded_at],
        )
    client.force_login(annotator)

    response = client.get("/library/?missing=on")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"{lost} pictures of {lost + 1}" in page
    assert f"/images/{whole.pk}/annotate/" not in page
    newest = Image.objects.exclude(pk=whole.pk).order_by("-pk").first()
    assert newest is not None and f"/images/{newest.pk}/annotate/" in page
    assert f"{lost // 2} pictures of {lost + 1}" in client.get("/library/?missing=on&view=TOP").content.decode()


#: The filter's own SQL for PostgreSQL, on more pictures than PostgreSQL takes parameters (65,535) where the driver binds
#: them on the server (Django's default binds them in the client, where a long list worked).
MISSING_ON_POSTGRESQL = """
from django.db import connection
from annotations.forms import LibraryFilterForm
from annotations.models import Image
assert connection.vendor == "postgresql", connection.vendor
with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO annotations_image (file, display_file, thumbnail_file, original_name, sha256, width, height, bit_depth, "
        "wire_id, wire_group, view, notes, annotation_revision, uploaded_at) "
        "SELECT 'images/00/' || i || '.png', 'display/00/' || i || '.jpg', 'thumbs/00/' || i || '.jpg', i || '.png', "
        "lpad(to_hex(i), 64, '0'), 64, 48, 8, i::text, '', CASE WHEN i % 2 = 1 THEN 'TOP' ELSE 'SIDE' END, '', 0, now() "
        "FROM generate_series(0, 65536) AS i"
    )
counts = []
for query in ({"missing": "on", "view": "TOP"}, {"missing": "on"}):
    form = LibraryFilterForm(query)
    form.is_valid()
    counts.append(form.filter(Image.objects.all()).count())
print("missing", *counts)
"""


@pytest.mark.slow
def test_the_files_missing_filter_lists_more_pictures_than_postgresql_takes_parameters(postgres_url, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    stdout = migrate_and_run_on_postgresql(postgres_url, tmp_path, MISSING_ON_POSTGRESQL)
    assert "missing 32768 65537" in stdout
