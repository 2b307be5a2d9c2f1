"""Project-level views: the home page, protected media files and the pages of a refusal or a missing thing."""

from __future__ import annotations

import errno
import logging
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from annotations.datafolder import storage_problem
from annotations.models import Annotation, Image
from core.imaging.decode import MEDIA_TYPES, sniff_extension
from registry.models import ModelVersion
from training import jobs
from training.models import TrainingRun

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "image_count": Image.objects.count(),
        "annotation_count": Annotation.objects.count(),
        "run_count": TrainingRun.objects.count(),
        "active_versions": ModelVersion.objects.active(),
    }
    return render(request, "home.html", context)


#: Media answers are pictures, never documents: nothing in them may run, even if opened directly.
MEDIA_POLICY = "default-src 'none'; sandbox"


def media(request: HttpRequest, path: str) -> FileResponse:
    """Serve a media file to users with a role (the middlewares enforce login and role).

    The type comes from the file's own first bytes, never from its name; anything that
    is not a picture is offered as a download. ``nosniff`` and a sandboxing policy keep
    a browser from running whatever a file holds.
    """
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        target = (root / path).resolve()
        found = root in target.parents and target.is_file()
    except (ValueError, OSError):  # a NUL byte, a name longer than the file system allows
        found = False
    if not found:
        raise Http404("No such file.")
    stream = target.open("rb")
    extension = sniff_extension(stream.read(16))
    stream.seek(0)
    if extension is None:
        response = FileResponse(stream, as_attachment=True, content_type="application/octet-stream")
    else:
        response = FileResponse(stream, content_type=MEDIA_TYPES[extension])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_POLICY
    # Stored names are content hashes: a name never changes content, so browsers may keep it.
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@login_not_required
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for scripts and load balancers: the database answers and the data folder can take writes.

    A full or read-only disk is asked about apart: SQLite answers ``SELECT 1`` from a full disk, while every login
    fails there because its session cannot be saved.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        # The driver's words name the database server's address, port and user: for the log, not for anyone who asks.
        logger.error("/health/: the database does not answer: %s", error)
        problem = "The database does not answer; the server's log (wiresag.log in the data folder) says why."
    else:
        problem = storage_problem() or redis_problem()
    if problem:
        return JsonResponse({"status": "error", "problem": problem}, status=503)
    return JsonResponse({"status": "ok"})


@login_not_required
def health_worker(request: HttpRequest) -> JsonResponse:
    """Whether a worker runs tasks: the every-minute maintenance schedule ran lately, on the quick queue that also runs
    inspections and pre-annotations. Apart from ``/health/`` so that a dead worker never takes the web hosts out of a
    load balancer; point the worker's monitoring here."""
    ago = jobs.maintenance_seconds_ago()
    if ago is None:
        problem = (
            "No worker has run the every-minute maintenance in this data folder yet: start one (manage.py worker, or "
            "scripts/start), with the quick queue, and give it a minute."
        )
    elif ago > jobs.MAINTENANCE_OVERDUE_SECONDS:
        problem = (
            f"No worker has run the every-minute maintenance for {ago / 60:.0f} minutes: no worker of the quick queue "
            "runs, so inspections, pre-annotations and the sweeps of dead runs wait. Start one (manage.py worker), or "
            "look at its log."
        )
    else:
        return JsonResponse({"status": "ok", "maintenance_seconds_ago": round(ago)})
    return JsonResponse({"status": "error", "problem": problem}, status=503)


def redis_problem() -> str:
    """Why Redis (``WIRESAG_REDIS_URL``, the scale-out layout's live events and queue) cannot be used, or "" when it answers
    or is not configured. Without it no live page updates and, with ``WIRESAG_QUEUE=redis``, nothing can be queued."""
    if not settings.REDIS_URL:
        return ""
    import redis

    try:
        with redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2) as client:
            client.ping()
    except redis.RedisError as error:
        logger.error("/health/: Redis does not answer: %s", error)  # the address is for the log, not for anyone who asks
        queue = " and no training, inspection or pre-annotation can be queued" if "redis" in settings.Q_CLUSTER else ""
        return (
            f"Redis (WIRESAG_REDIS_URL) does not answer: live pages stop updating{queue}. The server's log (wiresag.log in "
            "the data folder) says why."
        )
    return ""


def _sentence(exception: Exception | None) -> str:
    """The sentence a view raised (``Http404("...")``, ``PermissionDenied("...")``), or "" when it gave none."""
    message = exception.args[0] if exception is not None and exception.args else ""
    return message if isinstance(message, str) else ""  # an unknown address's Resolver404 carries a dict


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own 404 page shows only "Not Found": the views' sentences say what is gone and what to do."""
    sentence = _sentence(exception) or "There is no page at this address. Check the address, or start again from the home page."
    return render(request, "error.html", {"title": "Not found", "sentence": sentence}, status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own 403 page shows only "403 Forbidden": the sentence says which role the page needs."""
    sentence = _sentence(exception) or "Your role does not allow this. Ask an admin if you need it."
    return render(request, "error.html", {"title": "Not allowed", "sentence": sentence}, status=403)


def _wants_json(request: HttpRequest) -> bool:
    """The pages' own fetches (the review queue's keys, a job's progress, an upload) ask for JSON and take an HTML answer
    for a login page: "you are logged out". A browser's page load asks for text/html first (and */*, never naming JSON)."""
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def _bad_request_sentence(exception: Exception | None) -> str:
    """What Django refused before any view ran, and what to do about it."""
    if isinstance(exception, TooManyFieldsSent):
        return (
            f"The request carried more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields (ticks, choices or values), "
            "more than the server reads at once. Send fewer at once: tick fewer, or split the selection in parts."
        )
    if isinstance(exception, TooManyFilesSent):
        return (
            f"The upload held more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files, more than the server takes in one "
            "request. Nothing was stored. Upload them in parts, or as one zip file."
        )
    if isinstance(exception, RequestDataTooBig):
        return (
            "The form's data (its fields, without the files) is larger than the server reads in one request. Nothing was "
            "saved. Send less at once."
        )
    if isinstance(exception, DisallowedHost):
        host = str(exception).partition("'")[2].partition("'")[0]  # Django's sentence quotes the name
        named = f" {host[:100] + ('…' if len(host) > 100 else '')!r}" if host else ""  # a hostile one may be huge
        return (
            f"This server does not answer to the address{named} it was reached by. An admin adds that name to "
            "WIRESAG_ALLOWED_HOSTS (docs/configuration.md) and restarts the server; until then use the address the "
            "server's start message names."
        )
    return "The server could not read this request. Reload the page and try again."


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own 400 page says only "Bad Request (400)": say what was refused and what to do.

    Rendered without the request's context: reading the request again (its fields, its host) raises again.
    """
    sentence = _bad_request_sentence(exception)
    if _wants_json(request):
        return JsonResponse({"error": sentence}, status=400)
    return HttpResponse(render_to_string("error.html", {"title": "Request refused", "sentence": sentence}), status=400)


#: What a full or read-only disk makes SQLite say; the other databases' errors and the files' own say it by errno.
_STORAGE_ERRORS = ("disk is full", "readonly database", "read-only file system", "no space left")

SERVER_ERROR_SENTENCE = (
    "Something went wrong on the server. Reload the page to see what was saved, then try again; if it happens again, "
    "tell an admin: the server's log (wiresag.log in the data folder) says what went wrong."
)
DISK_FULL_SENTENCE = (
    "The server's disk is full or read-only, so nothing can be saved now (not even a login). Tell an admin: the data "
    "folder needs free space (or to be mounted read-write) before anyone can go on; /health/ says which."
)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's own 500 page says only "Server Error (500)": say what to do, and when the disk is full, that it is.

    Rendered without the request's context (no user, no session): whatever failed may be the database itself.
    """
    error = sys.exc_info()[1]  # Django calls this inside its handler of the exception
    full = isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EROFS)
    full = full or any(words in str(error).lower() for words in _STORAGE_ERRORS)
    sentence = DISK_FULL_SENTENCE if full else SERVER_ERROR_SENTENCE
    if _wants_json(request):
        return JsonResponse({"error": sentence}, status=500)
    return HttpResponse(render_to_string("error.html", {"title": "Server error", "sentence": sentence}), status=500)


#: Most often the page was opened before the user logged in again (in another tab): its form's token is the old one.
CSRF_SENTENCE = (
    "This page was opened before your last login, or the browser did not send its cookie, so nothing was done. "
    "Reload the page and try again."
)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's own page says "CSRF verification failed" and to turn on DEBUG; the user needs to reload instead."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": CSRF_SENTENCE}, status=403)
    return render(request, "error.html", {"title": "Nothing was done", "sentence": CSRF_SENTENCE}, status=403)
