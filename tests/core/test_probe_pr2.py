"""Names that look like another: invisible characters in wire groups and picture names."""

from __future__ import annotations

import pytest

from core.safepath import safe_part, wire_group_problem

#: Each shows as nothing (or as a plain line break) where the lot's name is shown, so 'lot7' and 'lot<it>7' look alike.
HIDDEN = {
    "\u200b": "zero-width space",
    "\u2060": "word joiner",
    "\ufeff": "byte-order mark (zero-width no-break space)",
    "\u00ad": "soft hyphen",
    "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark",
    "\u061c": "Arabic letter mark",
    "\u2028": "line separator",
    "\u2029": "paragraph separator",
    "\x85": "next line (C1 control)",
    "\x9b": "control sequence introducer (C1 control)",
}


@pytest.mark.parametrize("hidden", HIDDEN, ids=list(HIDDEN.values()))
def test_a_wire_group_with_an_invisible_character_is_refused_and_a_file_name_loses_it(hidden: str) -> None:
    """'lot\u200b7' was a lot of its own that showed as 'lot7' in the library, its filter and the exports' folders."""
    problem = wire_group_problem(f"lot{hidden}7")
    assert problem is not None, HIDDEN[hidden]
    assert safe_part(f"w{hidden}7_TOP.png") == "w7_TOP.png"


def test_letters_of_other_scripts_stay_fine() -> None:
    assert wire_group_problem("沖線/lot-7 夜班") is None
    assert wire_group_problem("Ünïcödé/ロット7") is None
