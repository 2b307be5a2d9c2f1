"""The data folder every web and worker process shares: checked at start, refused with a sentence."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from annotations.datafolder import MARK_NAME, DataFolderProblem, check_data_folder
from annotations.models import DataFolderIdentity
from tests.live_fixtures import process_env


def test_the_first_start_marks_the_folder_and_later_starts_find_the_mark(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shared = tmp_path / "shared"
    token = check_data_folder(shared)
    assert (shared / MARK_NAME).read_text() == token == DataFolderIdentity.objects.get().token
    assert check_data_folder(shared) == token  # a second process on a host that mounts the same folder


def test_a_host_with_its_own_folder_is_refused(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = check_data_folder(tmp_path / "shared")
    local = tmp_path / "local-disk"
    with pytest.raises(DataFolderProblem) as refused:
        check_data_folder(local)
    message = str(refused.value)
    assert f"The data folder {local} on " in message and f"it lacks the mark ({MARK_NAME})" in message
    assert "mount the shared data folder at WIRESAG_DATA_DIR" in message and f"write {token} into {local / MARK_NAME}" in message
    (local / MARK_NAME).write_text("0" * 32)
    with pytest.raises(DataFolderProblem, match="another installation's mark"):
        check_data_folder(local)


def test_an_existing_folder_is_adopted_when_the_database_knows_none(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / MARK_NAME).write_text("feedfacefeedfacefeedfacefeedface\n")
    assert check_data_folder(folder) == "feedfacefeedfacefeedfacefeedface"
    assert DataFolderIdentity.objects.get().token == "feedfacefeedfacefeedfacefeedface"


def test_a_folder_that_cannot_be_written_is_refused(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")  # as unwritable as a read-only mount, even for root
    with pytest.raises(DataFolderProblem, match=r"is not writable here .* point WIRESAG_DATA_DIR at a folder that is"):
        check_data_folder(blocked / "data")


def test_a_worker_on_a_host_without_the_shared_folder_does_not_start(transactional_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    check_data_folder(django_settings.DATA_DIR)  # the installation's folder, marked by its first process
    env = {**process_env(django_settings), "WIRESAG_DATA_DIR": str(tmp_path / "not-shared")}
    done = subprocess.run(
        [sys.executable, str(django_settings.BASE_DIR / "manage.py"), "worker"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "is not the one this installation uses" in done.stderr and "Scaling out" in done.stderr
