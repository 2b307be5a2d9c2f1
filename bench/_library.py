"""A big library without files for the web benchmarks: rows only (Django must be set up first)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def fake_pictures(count: int, name: str = "lot {lot}/{number:06d}_{view}.png") -> Iterator[Any]:
    """``count`` unsaved ``Image`` rows: 1004x1004, TOP and SIDE in turn (two per wire), 1000 per lot."""
    from annotations.models import Image

    for n in range(count):
        view = "TOP" if n % 2 else "SIDE"
        yield Image(
            original_name=name.format(lot=n // 1000, number=n, wire=n // 2, view=view),
            sha256=f"{n:064x}",
            file=f"images/fake/{n}.png",
            thumbnail_file=f"thumbs/fake/{n}.jpg",
            display_file=f"display/fake/{n}.png",
            width=1004,
            height=1004,
            wire_id=f"{n // 2:06d}",
            wire_group=f"lot {n // 1000}",
            view=view,
        )
