"""A hostile desktop-tool database (annotations.db): refused with a sentence, never a 500, never unbounded work.

SQLite cells hold any type, and ``images`` / ``annotations`` may be views or computed columns that run the
file's own SQL inside the web process.
"""

from __future__ import annotations

import io
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest

from interop.dataset import FormatError
from interop.formats import legacy

IMAGES = "CREATE TABLE images (id INTEGER, filename, filepath, width, height)"
BOXES = "CREATE TABLE annotations (id INTEGER, image_id, bbox_x, bbox_y, bbox_width, bbox_height, view_type, defect_type, annotator)"
INSERT_BOX = "INSERT INTO annotations VALUES"
ONE_IMAGE = "INSERT INTO images VALUES (1, 'a_TOP.png', 'D:\\photo\\Top\\PASS\\a_TOP.png', 1004, 1004)"


def database(tmp_path: Path, *statements: str) -> Path:
    path = tmp_path / "annotations.db"
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()
    return path


def zipped(path: Path) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.write(path, "annotations.db")
    buffer.seek(0)
    buffer.name = "legacy.zip"
    return buffer


@pytest.mark.parametrize(
    ("statements", "sentence"),
    [
        ((IMAGES, BOXES, "INSERT INTO images VALUES (1, 7, 12345, 64, 48)"), None),  # numbers as names: read as text
        ((IMAGES, BOXES, "INSERT INTO images VALUES (1, 'a.png', x'00ff', 64, 48)"), "filepath holds binary data"),
        ((IMAGES, BOXES, "INSERT INTO images VALUES ('one', 'a.png', 'a.png', 64, 48)"), "images row id one: the id is not a whole number"),
        (
            (IMAGES, BOXES, ONE_IMAGE, "INSERT INTO annotations VALUES (1, 1, 'left', 'top', 'wide', 'tall', 'TOP', 'PASS', '')"),
            "annotations row id 1: bbox_x is 'left', where a number of pixels belongs",
        ),
        (
            (IMAGES, BOXES, ONE_IMAGE, "INSERT INTO annotations VALUES (1, 1, 1e999, 0, 10, 10, 'TOP', 'PASS', '')"),
            "bbox_x is 'inf'",
        ),
        ((IMAGES, BOXES, ONE_IMAGE, f"{INSERT_BOX} (1, x'01', 1, 1, 10, 10, 'TOP', 'PASS', '')"), "is not in the images table"),
        ((IMAGES, BOXES, ONE_IMAGE, f"{INSERT_BOX} (1, 1, 1, 1, 10, 10, x'ff', 'PASS', '')"), "view_type holds binary data"),
    ],
)
def test_odd_cell_types_get_a_sentence(tmp_path: Path, statements: tuple[str, ...], sentence: str | None) -> None:
    path = database(tmp_path, *statements)
    if sentence is None:
        assert [image.name for image in legacy.read(path).images] == ["12345"]
        return
    with pytest.raises(FormatError, match=sentence):
        legacy.read(path)


def test_odd_cells_through_the_import_page_are_a_400_with_the_sentence(client, annotator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = database(tmp_path, IMAGES, BOXES, ONE_IMAGE, "INSERT INTO annotations VALUES (1, 1, 'left', 0, 10, 10, 'TOP', 'PASS', '')")
    client.force_login(annotator)
    response = client.post("/import/", {"file": zipped(path), "format": "auto"})
    assert response.status_code == 400
    assert "bbox_x is &#x27;left&#x27;, where a number of pixels belongs" in response.content.decode()


ENDLESS = (
    "CREATE VIEW images AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT i AS id, 'a.png' AS filename, 'a.png' AS filepath, 1 AS width, 1 AS height FROM n"
)


@pytest.mark.parametrize(
    ("statements", "sentence"),
    [
        ((ENDLESS, BOXES), "'images' is a view, not a table"),
        ((ENDLESS.replace("VIEW images", "VIEW IMAGES"), BOXES), "'images' is a view, not a table"),  # names ignore case
        ((IMAGES, "CREATE VIRTUAL TABLE annotations USING fts5(id, image_id)"), "'annotations' is a virtual table"),
        (
            (
                "CREATE TABLE images (id INTEGER, filename, filepath, width, height, "
                "slow GENERATED ALWAYS AS (length(zeroblob(100000000))) VIRTUAL)",
                BOXES,
            ),
            "column slow is computed by the file's own SQL",
        ),
    ],
)
def test_a_database_that_runs_its_own_sql_is_refused_at_once(tmp_path: Path, statements: tuple[str, ...], sentence: str) -> None:
    path = database(tmp_path, *statements)
    started = time.monotonic()
    with pytest.raises(FormatError, match=sentence):
        legacy.read(path)
    assert time.monotonic() - started < 5  # refused before any of it ran (a second read of the view would never end)


def test_rows_cells_and_work_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = ",".join(f"({n}, 'p{n}_TOP.png', 'p{n}_TOP.png', 1004, 1004)" for n in range(50))
    path = database(tmp_path, IMAGES, BOXES, f"INSERT INTO images VALUES {rows}")
    monkeypatch.setattr(legacy, "MAX_IMAGES", 49)
    with pytest.raises(FormatError, match="images: holds more than 49 rows, more than one import takes; split the database"):
        legacy.read(path)
    monkeypatch.setattr(legacy, "MAX_IMAGES", 50)
    assert len(legacy.read(path).images) == 50
    monkeypatch.setattr(legacy, "MAX_STEPS", 100)
    monkeypatch.setattr(legacy, "_STEPS_PER_CHECK", 100)
    with pytest.raises(FormatError, match="reading it takes far longer than a desktop tool's database"):
        legacy.read(path)
    monkeypatch.setattr(legacy, "MAX_STEPS", 50_000_000)
    (tmp_path / "long").mkdir()
    long_name = database(tmp_path / "long", IMAGES, BOXES, f"INSERT INTO images VALUES (1, 'a.png', '{'x' * 200_000}', 1, 1)")
    with pytest.raises(FormatError, match="a value is longer than 100,000 bytes"):
        legacy.read(long_name)


def test_a_stored_path_with_a_name_too_long_for_the_disk_is_a_missing_picture(client, annotator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    long_name = "D:\\photo\\Top\\PASS\\" + "x" * 300 + ".png"
    path = database(tmp_path, IMAGES, BOXES, f"INSERT INTO images VALUES (1, 'a_TOP.png', '{long_name}', 64, 48)")
    image = legacy.read(path).images[0]
    assert image.picture is None and image.problem == ""  # looked for, not found: the dry run lists it as missing
    client.force_login(annotator)
    assert client.post("/import/", {"file": zipped(path), "format": "auto"}).status_code == 302
