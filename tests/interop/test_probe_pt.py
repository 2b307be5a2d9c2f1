"""Probe pt: the desktop tool's folder as a Traditional Chinese Windows zips it, imported."""

from __future__ import annotations

from pathlib import Path

from interop.sources import unpack_zip
from tests.annotations.test_probe_pt import windows_zip

LEGACY = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "legacy"


def test_a_desktop_folder_zipped_by_windows_unpacks_with_its_chinese_class_folders(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """annotations.db names photo\\Top\\沖線\\001_TOP.jpg; the zip Windows Explorer made of the folder unpacked it as
    photo/Top/╕I─▓/001_TOP.jpg, so the import found none of the pictures of the Chinese class folders."""
    entries = {
        str(path.relative_to(LEGACY)): path.read_bytes() for path in sorted(LEGACY.rglob("*")) if path.is_file() and "沖線" in str(path)
    }
    assert entries, "the legacy sample has a 沖線 folder"
    archive = tmp_path / "legacy.zip"
    archive.write_bytes(windows_zip(entries))
    unpacked = unpack_zip(archive, tmp_path / "unpacked")
    assert sorted(str(path.relative_to(unpacked)) for path in unpacked.rglob("*.jpg")) == sorted(entries)
