"""Reading ids from query strings and form fields without trusting them."""

from __future__ import annotations

#: The largest integer the databases store (signed 64 bits in SQLite and PostgreSQL).
MAX_DATABASE_INT = 2**63 - 1


def parse_id(raw: str | None) -> int | None:
    """A database id (0 or more) written in ASCII digits, else None.

    ``str.isdigit`` accepts ``²`` (which ``int`` refuses), and a long run of digits makes an
    integer no database column holds (or one ``int`` refuses to convert): both are no id.
    """
    if not raw or len(raw) > len(str(MAX_DATABASE_INT)) or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if value <= MAX_DATABASE_INT else None
