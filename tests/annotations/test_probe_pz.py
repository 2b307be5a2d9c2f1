"""Probing the demo-data commands as a careless operator types them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

# --- 1. generate_synthetic --image-size 0 (or -5) ended in a ZeroDivisionError (or ValueError) traceback -------------


@pytest.mark.parametrize("size", ["0", "-5"])
def test_generate_synthetic_with_a_picture_size_under_one_pixel_says_so(tmp_path: Path, size: str) -> None:
    with pytest.raises(CommandError, match=rf"--image-size {size} is not a picture size: give the side in pixels, 1 or more"):
        call_command("generate_synthetic", str(tmp_path / "out"), "--wires", "4", "--image-size", size)
    assert not (tmp_path / "out").exists()


def test_generate_synthetic_refuses_pictures_over_the_sites_pixel_limit_before_drawing_them(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``--image-size 100000`` asked numpy for 40 GB per layer of the scene."""
    settings.IMAGE_MAX_PIXELS = 100 * 100
    refusal = r"--image-size 101 makes pictures of 10201 pixels, over the limit of 10000 .*WIRESAG_IMAGE_MAX_PIXELS"
    with pytest.raises(CommandError, match=refusal):
        call_command("generate_synthetic", str(tmp_path / "out"), "--wires", "4", "--image-size", "101")


# --- 2. generate_synthetic <a file> ended in a FileExistsError traceback -------------------------------------------------


def test_generate_synthetic_into_a_file_says_it_needs_a_folder(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(CommandError, match=r"manifest\.json is a file; give the folder to write the pictures into"):
        call_command("generate_synthetic", str(tmp_path / "manifest.json"), "--wires", "4", "--image-size", "16")


# --- 3. generate_synthetic --import --image-size 64 took 1004-pixel pictures into the library, the size said nothing ----


def test_generate_synthetic_imports_pictures_of_the_size_asked_for(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from annotations.models import Image

    call_command("generate_synthetic", str(tmp_path / "out"), "--wires", "4", "--image-size", "64", "--import")
    assert set(Image.objects.values_list("width", "height")) == {(64, 64)}
