"""Project-wide middlewares: a sentence for a wrong method, and downloads sent a piece at a time under ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, cast

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

API_PREFIX = "/api/"


class MethodNotAllowedPage:
    """Says what to do when an address that only a button sends to is opened (a bookmark, a typed address).

    Django answers with an empty 405 page: a user who opens ``/logout/`` sees a blank page and stays logged in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed) or response.content:
            return response
        allowed = response["Allow"]
        if request.path.startswith(API_PREFIX):
            answer: HttpResponse = JsonResponse({"error": f"This address takes {allowed} requests only."}, status=405)
        else:
            match = request.resolver_match
            if match is not None and match.url_name == "logout" and not match.namespace:
                sentence = "You are still logged in: opening this address does not log you out. Use the Log out button at the top."
            else:
                sentence = "This address only takes a button press on one of Wiresag's pages. Go back to that page and press its button."
            answer = render(request, "error.html", {"title": "Nothing was done", "sentence": sentence}, status=405)
        answer["Allow"] = allowed
        return answer


#: How much of a file is read (in a worker thread) per piece sent.
PIECE_BYTES = 1024 * 1024


class DownloadsInPieces:
    """Under ASGI (daphne), send a download as it is read instead of reading it whole first.

    Django's ASGI handler sends a streaming response a piece at a time only when its content is an
    asynchronous iterator; a synchronous one, which every ``FileResponse`` is, it first reads whole into
    a list (with a warning). A library export of a few GB was therefore read into the web process's
    memory before its first byte left, twice as much with the server's own send buffer, and several at
    once could take the server down. Here a streaming response to an ASGI request gets an asynchronous
    iterator: a file is read ``PIECE_BYTES`` at a time in a worker thread, any other content pulled one
    piece at a time on the thread the views run on. The file is still closed by the response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if isinstance(request, ASGIRequest) and isinstance(response, StreamingHttpResponse) and not response.is_async:
            file = response.file_to_stream if isinstance(response, FileResponse) else None
            if request.method == "HEAD":  # the headers (with the length) say it all; the server would drop the body
                response.streaming_content = _nothing()
            elif file is not None:
                response.streaming_content = _file_pieces(file)
            else:
                response.streaming_content = _pieces(cast(Iterator[Any], response.streaming_content))
        return response


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""


async def _file_pieces(file: Any) -> AsyncIterator[bytes]:
    read = sync_to_async(file.read, thread_sensitive=False)
    while piece := await read(PIECE_BYTES):
        yield piece


_END = object()


async def _pieces(iterator: Iterator[Any]) -> AsyncIterator[Any]:
    """Each piece of a synchronous iterator, taken on the views' thread (a generator may use the database)."""
    take = sync_to_async(lambda: next(iterator, _END), thread_sensitive=True)
    while (piece := await take()) is not _END:
        yield piece
