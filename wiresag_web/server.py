"""The web server: daphne, with request bodies bounded while they stream in.

Daphne (through Twisted) reads a whole request body into memory or a temporary
file before the application sees a byte, so a limit checked in a view comes after
the server has already taken 300 MB. Here the request object itself refuses: a
``Content-Length`` over ``settings.REQUEST_MAX_BYTES`` at once, before any of the
body is read, and a chunked body as soon as the bytes received pass it. The client
gets ``413`` with a sentence (JSON) and the connection is closed.

Run it as ``python -m wiresag_web.server`` with daphne's own arguments. Pinned to
daphne 4.2 (its ``WebRequest`` is what ``HTTPFactory`` builds per request).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from daphne import http_protocol
from daphne.cli import CommandLineInterface

_WebRequest = http_protocol.WebRequest


def _too_large_sentence(limit: int, length: int | None) -> str:
    size = f"is {length / 1e6:.1f} MB" if length is not None else "passed"
    return (
        f"The upload {size}, over the {limit / 1e6:.0f} MB limit of one request (WIRESAG_REQUEST_MAX_BYTES). "
        "Upload fewer pictures at a time, or ask an admin to raise the limit."
    )


class BoundedWebRequest(_WebRequest):  # type: ignore[misc, valid-type]  # daphne ships no types: its WebRequest is Any
    """Daphne's request, refusing a body over the limit as it arrives."""

    refused = False
    received = 0

    @staticmethod
    def limit() -> int:
        from django.conf import settings

        return int(settings.REQUEST_MAX_BYTES)

    def gotLength(self, length: int | None) -> None:
        if length is not None and length > self.limit():
            self.refuse(length)
            length = 0  # nothing of the body is kept
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.refused:
            return
        self.received += len(data)
        if self.received > self.limit():
            self.refuse(None)
            return
        super().handleContentChunk(data)

    def process(self) -> Any:
        if self.refused:
            return None
        return super().process()

    def refuse(self, length: int | None) -> None:
        """Answer 413 straight on the transport and close: the application never runs."""
        self.refused = True
        body = json.dumps({"error": _too_large_sentence(self.limit(), length)}).encode()
        head = (
            f"HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        transport = self.channel.transport
        transport.write(head + body)
        transport.loseConnection()


def check_the_shared_folder() -> None:
    """Refuse to start, with the sentence, on a host whose data folder is not the installation's (as serve and worker do).

    Run apart from ``serve`` (docs/operations.md), a web host with a local disk in place of the shared mount would
    store uploads that no worker can read.
    """
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wiresag_web.settings")
    django.setup()
    from django.db import DatabaseError, connections

    from annotations.datafolder import DataFolderProblem, check_data_folder

    try:
        check_data_folder()
    except DataFolderProblem as problem:
        sys.exit(str(problem))
    except DatabaseError:
        pass  # a database not migrated yet has no folder recorded to compare with; the first migrated start records it
    finally:
        connections.close_all()  # requests open their own


def main() -> None:
    check_the_shared_folder()
    http_protocol.WebRequest = BoundedWebRequest
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
