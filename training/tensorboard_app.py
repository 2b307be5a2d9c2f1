"""TensorBoard inside the web process, one instance per run, under ``/tensorboard/<run id>/``.

No port is opened: each run's TensorBoard is a WSGI application (built the way
``tensorboard.program`` builds its own server, pinned to tensorboard 2.21),
wrapped with asgiref's ``WsgiToAsgi`` and mounted in ``asgi.py`` behind the
app's login (Channels' session middleware) and the engineer role. Instances
start on first use; the ``MAX_OPEN`` last viewed stay cached. They run no reload
thread of their own: a request re-reads the run's event files when the last read is
``RELOAD_SECONDS`` old, in one of the boards' worker threads (``_BOARD_THREADS``), off the thread the database calls
share. Its pages, and the sentences said instead of a board, may be framed by our own pages only (SAMEORIGIN), unlike
the rest of the app (DENY).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

from asgiref.sync import sync_to_async
from asgiref.wsgi import WsgiToAsgi, WsgiToAsgiInstance
from channels.db import database_sync_to_async
from django.conf import settings

from accounts.channels_auth import AuthMiddlewareStack
from accounts.roles import ENGINEER, has_role
from core.training.layout import TENSORBOARD_DIR
from training.models import ACTIVE_STATUSES, TrainingRun

logger = logging.getLogger("wiresag.training")

PREFIX = "/tensorboard/"
_PATH = re.compile(r"^/tensorboard/(?P<run_id>\d{1,18})(?P<rest>/.*)?$")  # an id a database holds
#: Runs whose TensorBoard (its loaded events) stays in memory; the least recently viewed one beyond goes.
MAX_OPEN = 8
#: How old the loaded events may be before a request re-reads the run's event files (TensorBoard's own default).
RELOAD_SECONDS = 5.0
_apps: dict[int, RunBoard] = {}  # in order of the last view, the latest last
_lock = threading.Lock()
#: The threads boards start and refresh in: their own, not asyncio's default ones, which stream every download
#: (``DownloadsInPieces``). A board starts under ``_lock``, so a first view's half-dozen requests would take them all.
_BOARD_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tensorboard")

Scope = dict[str, Any]


def log_dir(run_id: int) -> Path:
    """Where the trainer writes the run's event files."""
    return TrainingRun.folder_of(run_id) / TENSORBOARD_DIR


def board_dir(run_id: int, cross_validation: bool = False) -> Path:
    """The folder the run's TensorBoard reads: the run's event folder; a cross-validation's whole run folder, whose
    folds (``fold-<k>/tensorboard``, see ``core.crossval``) and final model (``tensorboard``) it lists as runs."""
    return TrainingRun.folder_of(run_id) if cross_validation else log_dir(run_id)


def has_events(run_id: int, cross_validation: bool = False) -> bool:
    """Whether the run's trainer (a cross-validation: one of its folds) has begun writing event files."""
    return log_dir(run_id).is_dir() or (cross_validation and any(TrainingRun.folder_of(run_id).glob(f"*/{TENSORBOARD_DIR}")))


def _trained_before(run_id: int) -> bool:
    """Whether the run, not queued or training now, recorded epochs: it wrote event files, so they are not to come."""
    return TrainingRun.objects.filter(pk=run_id, epochs__isnull=False).exclude(status__in=ACTIVE_STATUSES).exists()


def missing_message(run_id: int) -> str:
    """The frame's sentence for a run that trained but whose folder is gone (a backup restored without ``runs/``)."""
    folder = f"runs/{TrainingRun.folder_of(run_id).name}/"
    return (
        f"This run's TensorBoard files are missing: the data folder has no {folder} (a backup restored without runs/, "
        f"or the folder was deleted). The charts on the run page come from the database; copy {folder} back from the "
        "backup to see them here."
    )


def shown_log_dir(run_id: int, cross_validation: bool = False) -> str:
    """The folder the run's TensorBoard reads as it names it: relative to the runs folder, not the server's path."""
    folder = TrainingRun.folder_of(run_id).name
    return folder if cross_validation else f"{folder}/{TENSORBOARD_DIR}"


def _core_plugin_showing(shown_as: str) -> Any:
    """TensorBoard's core plugin, naming the log folder ``shown_as``.

    Its page showed the folder's absolute path as the "data location" (``/data/environment``, whose debug part
    also lists every flag, and ``/data/logdir``): where the server keeps its files. The other plugins still read
    the real folder.
    """
    import copy

    from tensorboard.backend.event_processing.data_provider import MultiplexerDataProvider
    from tensorboard.plugins.core import core_plugin

    class CorePluginLoader(core_plugin.CorePluginLoader):
        def load(self, context: Any) -> Any:
            shown = copy.copy(context)
            shown.logdir = shown_as
            shown.data_provider = MultiplexerDataProvider(context.multiplexer, shown_as)
            return super().load(shown)

    return CorePluginLoader(include_debug_info=False)


class RunBoard:
    """One run's TensorBoard as a WSGI app that re-reads the run's event files in a request, when they were read
    ``RELOAD_SECONDS`` ago.

    TensorBoard's own reload thread loops for the life of the process: one per run ever viewed, each walking its
    folder every few seconds, kept alive by its thread however long ago the run was viewed (deleted runs included).
    """

    def __init__(self, logdir: Path, path_prefix: str, shown_as: str) -> None:
        from tensorboard import default, program
        from tensorboard.backend import application
        from tensorboard.plugins.core import core_plugin

        plugins = [_core_plugin_showing(shown_as), *(p for p in default.get_plugins() if not isinstance(p, core_plugin.CorePluginLoader))]
        board = program.TensorBoard(plugins=plugins)
        # A reload interval of 0 reads the events once, here ("blocking"), and starts no thread.
        board.configure(logdir=str(logdir), path_prefix=path_prefix, load_fast="false", reload_interval=0, reload_task="blocking")
        data_provider, multiplexer = board._make_data_provider()
        self.wsgi = application.TensorBoardWSGIApp(board.flags, board.plugin_loaders, data_provider, board.assets_zip_provider, multiplexer)
        self.multiplexer = multiplexer
        self.logdir = str(logdir)
        self.read_at = time.monotonic()
        self._reading = threading.Lock()

    def refresh(self) -> None:
        """Read the event files written since the last read, when that was ``RELOAD_SECONDS`` ago.

        The page asks for a dozen things at once: one of them re-reads, the others answer from what is loaded.
        """
        if time.monotonic() - self.read_at >= RELOAD_SECONDS and self._reading.acquire(blocking=False):
            try:
                self.multiplexer.AddRunsFromDirectory(self.logdir)
                self.multiplexer.Reload()
                self.read_at = time.monotonic()
            finally:
                self._reading.release()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.wsgi(environ, start_response)


class _BoardInstance(WsgiToAsgiInstance):
    """asgiref's WSGI call, in the boards' threads: its own is thread-sensitive, so every answer of every board (the
    page's dozen requests, the hparams and time-series work over all a cross-validation's folds) ran on the one thread
    that every page's and live websocket's database work shares."""

    run_wsgi_app = sync_to_async(WsgiToAsgiInstance.__dict__["run_wsgi_app"].func, thread_sensitive=False, executor=_BOARD_THREADS)


class _BoardToAsgi(WsgiToAsgi):
    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await _BoardInstance(self.wsgi_application, self.duplicate_header_limit)(scope, receive, send)


def app_for(run_id: int, cross_validation: bool = False) -> RunBoard:
    """The run's TensorBoard, started on first use (it reads every event file) and cached among the last viewed."""
    with _lock:
        app = _apps.pop(run_id, None)
        if app is None:
            shown = shown_log_dir(run_id, cross_validation)
            app = RunBoard(board_dir(run_id, cross_validation), f"{PREFIX}{run_id}", shown)
        _apps[run_id] = app  # the latest view last
        while len(_apps) > MAX_OPEN:
            del _apps[next(iter(_apps))]
        return app


async def _respond(send: Any, status: int, body: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A sentence instead of the board; the run page's frame shows it (SAMEORIGIN: with DENY it drew a broken page)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"x-frame-options", b"SAMEORIGIN"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


async def _tensorboard(scope: Scope, receive: Any, send: Any) -> None:
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        if dict(scope.get("headers", [])).get(b"sec-fetch-dest", b"document") != b"document":
            # The run page's frame (or the board's own requests): the login page may not be framed and drew a broken page.
            await _respond(send, 403, "Your login has ended; reload the page to log in again.")
            return
        target = f"{settings.LOGIN_URL if settings.LOGIN_URL.startswith('/') else '/login/'}?next={quote(scope['path'])}"
        await _respond(send, 302, "Log in to see TensorBoard.", [(b"location", target.encode())])
        return
    if not await database_sync_to_async(has_role)(user, ENGINEER):
        await _respond(send, 403, "TensorBoard needs the engineer role; ask an admin to grant it.")
        return
    match = _PATH.match(scope["path"])
    if match is None:
        await _respond(send, 404, "Open TensorBoard from a run's page.")
        return
    run_id = int(match["run_id"])
    if not match["rest"]:
        await _respond(send, 302, "", [(b"location", f"{PREFIX}{run_id}/".encode())])
        return
    folds = await database_sync_to_async(TrainingRun.objects.filter(pk=run_id).values_list("folds", flat=True).first)()
    if folds is None:
        await _respond(send, 404, "There is no such run (it may have been deleted); open TensorBoard from a run's page.")
        return
    if not has_events(run_id, cross_validation=folds > 0):
        if await database_sync_to_async(_trained_before)(run_id):
            await _respond(send, 404, missing_message(run_id))
            return
        # The frame asks again every few seconds, so the board does appear once training starts, as the sentence says.
        await _respond(send, 404, "This run has not written TensorBoard data yet; it appears once training starts.", [(b"refresh", b"5")])
        return
    # Starting a board reads all its event files and a refresh the new ones: in a worker thread of their own, not on the
    # one thread that every database call of the pages and the live websockets shares (a big run's first view held
    # them all up for as long as it read).
    board = await sync_to_async(app_for, thread_sensitive=False, executor=_BOARD_THREADS)(run_id, folds > 0)
    await sync_to_async(board.refresh, thread_sensitive=False, executor=_BOARD_THREADS)()
    app = _BoardToAsgi(board)

    started = False

    async def framed_send(message: dict[str, Any]) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-frame-options"]
            message = {**message, "headers": [*headers, (b"x-frame-options", b"SAMEORIGIN")]}
        elif message["type"] == "http.response.body":
            # asgiref leaves out the optional empty body of the last message; some servers want it.
            message = {"body": b"", **message}
        # WsgiToAsgi calls this from TensorBoard's thread through async_to_sync, so it runs in a context
        # holding that thread's executor. The last body message ends the request, and daphne then starts
        # the next request waiting on the same keep-alive connection from right here: in that context.
        # Once the WSGI call returns the executor is gone, and the next request's first sync_to_async (the
        # login lookup) failed with "CurrentThreadExecutor already quit or is broken", a 500 at random.
        # Daphne's send runs in a fresh context instead, so nothing of TensorBoard's thread leaks out.
        await asyncio.get_running_loop().create_task(send(message), context=contextvars.Context())

    try:
        await app(scope, receive, framed_send)
    except Exception:
        # TensorBoard's handlers raise on an address its page never asks for (an image key cut short, a run with no
        # debugger data): a 500 and a traceback. Before the answer began, a sentence says what went wrong instead.
        if started:
            raise
        query = scope.get("query_string", b"").decode(errors="replace")
        logger.warning("TensorBoard of run %s could not answer %s?%s", run_id, scope["path"], query, exc_info=True)
        sentence = "TensorBoard could not answer this address; open TensorBoard from the run's page and use its tabs and links."
        await _respond(send, 400, sentence)


FONT_PREFIX = "/font-roboto/"
_FONT = re.compile(r"^/font-roboto/(?P<name>[A-Za-z0-9_-]+\.woff2)$")


def _font_bytes(name: str) -> bytes | None:
    """A Roboto file from TensorBoard's own assets (its page asks for them at the site root, ``/font-roboto/``)."""
    import zipfile

    from tensorboard import program

    with _lock:
        if not _fonts:
            with zipfile.ZipFile(program.TensorBoard().assets_zip_provider()) as assets:
                _fonts.update({path.split("/")[-1]: assets.read(path) for path in assets.namelist() if path.startswith("font-roboto/")})
    return _fonts.get(name)


_fonts: dict[str, bytes] = {}


async def _font(scope: Scope, receive: Any, send: Any) -> None:
    user = scope.get("user")
    match = _FONT.match(scope["path"])
    if user is None or not user.is_authenticated or match is None:
        await _respond(send, 404, "Not found.")
        return
    body = await database_sync_to_async(_font_bytes)(match["name"])
    if body is None:
        await _respond(send, 404, "Not found.")
        return
    headers = [(b"content-type", b"font/woff2"), (b"cache-control", b"max-age=86400"), (b"x-content-type-options", b"nosniff")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class TensorBoardMount:
    """Sends ``/tensorboard/...`` (and the fonts its page asks for at ``/font-roboto/``) to the runs'
    TensorBoards after the login check; the rest to Django."""

    def __init__(self, django_app: Any) -> None:
        self.django_app = django_app
        self.tensorboard = AuthMiddlewareStack(_tensorboard)
        self.fonts = AuthMiddlewareStack(_font)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            await self.tensorboard(scope, receive, send)
        elif scope["type"] == "http" and scope["path"].startswith(FONT_PREFIX):
            await self.fonts(scope, receive, send)
        else:
            await self.django_app(scope, receive, send)
