"""Logging filters used by the settings' LOGGING block."""

from __future__ import annotations

import logging


class OnlyErrorsFrom(logging.Filter):
    """On a handler: let the records of ``logger`` (and its children) through from ``level`` up; others pass."""

    def __init__(self, logger: str, level: str = "ERROR") -> None:
        super().__init__()
        self.logger = logger
        self.level = logging.getLevelNamesMapping()[level]

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name == self.logger or record.name.startswith(f"{self.logger}.")
        return not ours or record.levelno >= self.level
