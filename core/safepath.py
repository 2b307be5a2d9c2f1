"""Names users give (wire groups, picture names) made safe to use in a path on any system (no Django here).

A wire group is free text that the exports join into paths (``images/{group}/{name}``),
so a group like ``../../somewhere`` or ``/abs/dir`` would write anywhere the server
may write. Wire groups are checked where they enter (:func:`wire_group_problem`);
names that reach a writer anyway (rows stored before the check, foreign files) are
defused by :func:`safe_relative`, and every writer joins through :func:`inside`,
which refuses a target that resolves outside its folder.

Groups are hierarchical (``batch/2024``, ``lot7/photo/PASS``): ``/`` separates
folder names, each of which must also be a valid file name on Windows, where the
exported zips are unpacked by the desktop tool.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

#: The ``Image.wire_group`` column holds this many characters.
MAX_GROUP_LENGTH = 200
#: One folder or file name, in UTF-8 bytes (file systems allow 255; room is left for suffixes).
MAX_PART_BYTES = 200
WINDOWS_RESERVED: frozenset[str] = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
)
#: Characters Windows refuses in a file name ("/" separates the parts; NUL and control characters are checked apart).
WINDOWS_FORBIDDEN = '<>:"|?*\\'
#: C0 and C1 controls, and Unicode's line and paragraph separators (line breaks too, where a name is shown).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Unicode's direction overrides, isolates and marks: a name holding them reads differently than it is ("Trojan Source").
_DIRECTION = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Characters that show as nothing ('lot\u200b7' looks like 'lot7' but is another lot): zero-width space, word joiner and
#: invisible operators, byte-order mark, soft hyphen, Mongolian vowel separator. The zero-width (non-)joiners U+200C and
#: U+200D are left alone: Persian and Indic words, and emoji, need them.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b\u2060-\u2064\ufeff]")
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePath(ValueError):
    """A target path that would leave the folder a writer writes into."""


def _is_reserved(part: str) -> bool:
    """``CON``, ``nul.txt``, ``COM1.tar.gz``: Windows treats these as devices whatever follows the first dot."""
    return part.split(".", 1)[0].rstrip(" ").upper() in WINDOWS_RESERVED


def _part_problem(part: str) -> str | None:
    if part == "":
        return "has an empty folder name (two '/' in a row, or a '/' at the end)"
    if part in (".", ".."):
        return f"contains '{part}' as a folder name, which points outside the group"
    if _CONTROL.search(part):
        return "contains a control character (such as a tab, a line break or NUL)"
    if _DIRECTION.search(part):
        return "contains a text-direction control (such as U+202E, right-to-left override), which makes it read differently than it is"
    if invisible := _INVISIBLE.search(part):
        return (
            f"contains U+{ord(invisible.group()):04X}, a character that shows as nothing, so it would look like another lot "
            "(it often comes with a name copied from a web page or a spreadsheet); type the name again"
        )
    forbidden = next((character for character in WINDOWS_FORBIDDEN if character in part), None)
    if forbidden is not None:
        hint = "; use '/' between folder names" if forbidden == "\\" else ""
        return f"contains '{forbidden}', which Windows does not allow in a folder name{hint}"
    if _is_reserved(part):
        return f"uses {part!r}, a reserved device name on Windows"
    if part.endswith((".", " ")):
        return f"has the folder name {part!r}, which ends with a dot or a space (Windows drops them)"
    if len(part.encode("utf-8")) > MAX_PART_BYTES:
        return f"has a folder name of {len(part.encode('utf-8'))} bytes; at most {MAX_PART_BYTES} bytes (UTF-8) fit"
    return None


def wire_group_problem(group: str) -> str | None:
    """Why ``group`` cannot be a wire group, as a sentence saying what to change, or None when it is fine."""
    if group == "":
        return None
    if len(group) > MAX_GROUP_LENGTH:
        return f"The wire group is {len(group)} characters long; shorten it to at most {MAX_GROUP_LENGTH}."
    if group.startswith(("/", "\\")):
        return (
            f"The wire group {group!r} starts with '/' (an absolute path); "
            "name the lot or batch without a leading '/', e.g. 'lot7' or 'batch/2024'."
        )
    if _DRIVE.match(group):
        return f"The wire group {group!r} starts with a drive letter; name the lot or batch without it, e.g. 'lot7' or 'batch/2024'."
    for part in group.split("/"):
        problem = _part_problem(part)
        if problem:
            return f"The wire group {group!r} {problem}. Use folder names separated by '/', e.g. 'lot7' or 'batch/2024'."
    return None


def _bounded(part: str) -> str:
    """Cut ``part`` to ``MAX_PART_BYTES`` of UTF-8, keeping a short suffix such as ``.png``."""
    if len(part.encode("utf-8")) <= MAX_PART_BYTES:
        return part
    suffix = PurePosixPath(part).suffix
    suffix = suffix if len(suffix.encode("utf-8")) <= 16 else ""
    stem = part[: len(part) - len(suffix)] if suffix else part
    while len((stem + suffix).encode("utf-8")) > MAX_PART_BYTES:
        stem = stem[:-1]
    return stem + suffix


def without_hidden_characters(name: str) -> str:
    """``name`` without Unicode's text-direction controls and the characters that show as nothing, so that it shows as
    it is ('w\u200b7_TOP.png' is wire 7, as it reads)."""
    return _INVISIBLE.sub("", _DIRECTION.sub("", name))


def safe_part(part: str) -> str:
    """One folder or file name that is valid everywhere: unsafe characters become ``_``, devices get a ``_`` in front."""
    cleaned = without_hidden_characters(_CONTROL.sub("", part))
    cleaned = "".join("_" if character in WINDOWS_FORBIDDEN else character for character in cleaned).rstrip(". ")
    if cleaned in ("", "."):
        return "_"
    if _is_reserved(cleaned):
        cleaned = f"_{cleaned}"
    return _bounded(cleaned)


def safe_relative(name: str) -> PurePosixPath:
    """A relative path made of safe parts: no ``..``, no root, no drive letter, no NUL, no device names.

    A name that already passes :func:`wire_group_problem` comes back unchanged, so an export
    of valid groups imports to the same groups.
    """
    parts = [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]
    safe = [safe_part(part) for part in parts]
    return PurePosixPath(*safe) if safe else PurePosixPath("unnamed")


def inside(root: Path, relative: str | PurePosixPath) -> Path:
    """``root / relative`` resolved, refused with :class:`UnsafePath` when it lands outside ``root``."""
    base = root.resolve()
    target = (base / relative).resolve()
    if target != base and base not in target.parents:
        raise UnsafePath(f"The name {str(relative)!r} would be written outside the folder being written; it was refused.")
    return target
