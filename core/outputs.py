"""Files a command writes where its command line says (``infer --output``, ``export_annotations``): never through a link.

An administrator runs these on paths other people can prepare (a shared reports folder). ``open()`` follows a
symbolic link, a dangling one too: ``report.csv -> /home/admin/.bashrc`` would have the report written over the
administrator's file, or anywhere else the link points. Like ``cp`` and ``tar``, which do not write through a link at the
file they create without being told, the command refuses a link at the name it writes and says which; the folders
above it may be links (a reports folder on another disk), as for any program. The file itself is written under a new
name created beside it (``O_EXCL``: never an existing file or link) and renamed over the target once whole, so a link
put there after the check is replaced, not followed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

_NEW_FILE = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)


def output_link_problem(target: Path, what: str) -> str:
    """Why ``target`` must not be written because it is a symbolic link (dangling or not), or "" when it is none."""
    if not target.is_symlink():
        return ""
    try:
        points = os.readlink(target)
    except OSError:
        points = "?"
    dangling = "" if target.exists() else ", which leads to no file yet"
    return (
        f"{what} {target} is a symbolic link to {points}{dangling}; nothing is written through a link, which someone "
        "else may have put there. Remove the link, or name a file that is not a link."
    )


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A new empty file beside ``target`` to write; renamed over ``target`` when the block ends without an error,
    removed when it raises."""
    while True:
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            os.close(os.open(temporary, _NEW_FILE, 0o666))
        except FileExistsError:
            continue
        break
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
