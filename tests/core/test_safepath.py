"""User-given names (wire groups, picture names) made safe for paths; writers never leave their folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.safepath import UnsafePath, inside, safe_relative, wire_group_problem
from interop.dataset import ForeignBox, ForeignDataset, ForeignImage
from interop.formats import voc, yolo


@pytest.mark.parametrize("group", ["", "lot7", "batch/2024", "Top/沖線", "L7/photo/PASS", "lot 7 (rev 2)", "a" * 200])
def test_hierarchical_wire_groups_of_safe_segments_are_accepted(group: str) -> None:
    assert wire_group_problem(group) is None
    assert str(safe_relative(group)) == (group or "unnamed")


@pytest.mark.parametrize(
    ("group", "fragment"),
    [
        ("../../../../somewhere", "'..'"),
        ("lot/../etc", "'..'"),
        ("./lot", "'.'"),
        ("/abs/dir", "starts with '/'"),
        ("lot//7", "empty folder name"),
        ("lot/", "empty folder name"),
        ("C:/Windows", "drive letter"),
        ("c:lot", "drive letter"),
        ("lot\\7", "'\\'"),
        ("lot\x007", "control character"),
        ("lot\n7", "control character"),
        ("CON", "reserved"),
        ("lot/nul.txt", "reserved"),
        ("lot/COM1", "reserved"),
        ("lot7.", "ends with a dot or a space"),
        ("lot?", "'?'"),
        ("a" * 201, "201 characters"),
        ("b" * 90 + "沖" * 60, "bytes"),
    ],
)
def test_unsafe_wire_groups_get_a_sentence_saying_what_to_change(group: str, fragment: str) -> None:
    problem = wire_group_problem(group)
    assert problem is not None and fragment in problem, problem
    assert problem.endswith(".")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../../../etc/passwd", "_/_/_/_/etc/passwd"),
        ("/abs/dir/x.png", "abs/dir/x.png"),
        ("C:\\Windows\\x.png", "C_/Windows/x.png"),
        ("lot/CON.png", "lot/_CON.png"),
        ("nul\x00byte.png", "nulbyte.png"),
        ("trailing. ", "trailing"),
        ("", "unnamed"),
    ],
)
def test_safe_relative_defuses_every_unsafe_part(name: str, expected: str) -> None:
    assert str(safe_relative(name)) == expected


def test_safe_relative_bounds_each_part_and_keeps_the_suffix() -> None:
    long_name = "沖" * 200 + ".png"
    safe = safe_relative(long_name)
    assert len(safe.name.encode()) <= 200 and safe.suffix == ".png"


def test_inside_refuses_a_target_that_resolves_outside(tmp_path: Path) -> None:
    assert inside(tmp_path, "a/b.png") == (tmp_path / "a" / "b.png").resolve()
    for relative in ("../x.png", "a/../../x.png", str(tmp_path.parent / "x.png")):
        with pytest.raises(UnsafePath, match="outside"):
            inside(tmp_path, relative)
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(UnsafePath):
        inside(tmp_path, "link/x.png")


def _hostile_dataset(picture: Path, name: str) -> ForeignDataset:
    box = ForeignBox(label="TOP_PASS", x=1, y=1, width=2, height=2)
    image = ForeignImage(name=name, width=8, height=8, picture=picture, boxes=[box])
    return ForeignDataset(format="wiresag", labels=["TOP_PASS"], images=[image])


@pytest.mark.parametrize("writer", [yolo.write, voc.write])
def test_writers_refuse_names_that_leave_their_folder(tmp_path: Path, writer) -> None:  # type: ignore[no-untyped-def]
    picture = tmp_path / "p.png"
    picture.write_bytes(b"png")
    out = tmp_path / "deep" / "er" / "out"
    out.mkdir(parents=True)
    for name in ("../../../../escaped/x.png", str(tmp_path / "absolute" / "x.png")):
        with pytest.raises(UnsafePath):
            writer(_hostile_dataset(picture, name), out)
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "absolute").exists()


def test_a_wire_group_with_a_text_direction_control_is_refused_and_a_file_name_loses_it() -> None:
    """'lot7\u202egnp.TOP_100' showed as 'lot7001_TOP.png' on a card and in a tooltip: a name reading differently than it is."""
    from core.safepath import safe_part, wire_group_problem

    for control in ("\u202e", "\u202d", "\u2066", "\u2069"):
        problem = wire_group_problem(f"lot7{control}gnp")
        assert problem is not None and "text-direction control" in problem, control
        assert safe_part(f"a{control}b.png") == "ab.png"
    assert wire_group_problem("沖線/lot-7 夜班") is None  # plain Chinese and spaces stay fine
