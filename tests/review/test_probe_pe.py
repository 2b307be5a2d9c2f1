"""Two runs of the review-expire-files schedule at once (two worker clusters): a file the other removed is no failure."""

from __future__ import annotations

import time
from pathlib import Path

from review.inspection import PREANNOTATION, SENT_FORMS, expire_files, new_form_token, root

A_DAY_LATER = 25 * 3600


def test_expiry_goes_on_past_a_sent_form_another_run_removed(monkeypatch, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    folder = root(PREANNOTATION) / SENT_FORMS
    folder.mkdir(parents=True)
    tokens = [folder / new_form_token() for _ in range(2)]
    for token in tokens:
        token.write_text("20240101-000000-000000", encoding="utf-8")
    real_is_file = Path.is_file
    vanished: list[Path] = []

    def is_file(path: Path) -> bool:
        """Between this run's look at the token and its reading of the token's time, the other run removes it."""
        answer = real_is_file(path)
        if answer and path.parent == folder and not vanished:
            path.unlink()
            vanished.append(path)
        return answer

    monkeypatch.setattr(Path, "is_file", is_file)

    removed = expire_files(now=time.time() + A_DAY_LATER)

    (left,) = set(tokens) - set(vanished)
    assert removed == [f"preannotations/{SENT_FORMS}/{left.name}"]
    assert not any(folder.iterdir())
