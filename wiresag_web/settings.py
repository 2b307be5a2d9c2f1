"""Wiresag settings: one module, driven by environment variables.

Every variable has an embedded default that runs on one machine with no
external server (SQLite, django-q2's ORM broker, an in-process channel
layer). A wrong value stops start-up with a sentence naming the variable.
"""

from __future__ import annotations

import os
import zoneinfo
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from core.offline import configure_offline

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value: set it to 1 or 0 (or true/false).")


def env_int(name: str, default: int, minimum: int = 0, maximum: int = 2**62) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number: set it to e.g. {default}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is too small: it must be at least {minimum}.")
    if value > maximum:
        raise ImproperlyConfigured(f"{name}={value} is too large: it must be at most {maximum}.")
    return value


def env_float(name: str, default: float, minimum: float = 0.0, maximum: float = float("inf")) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number: set it to e.g. {default}.") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}={value} is out of range: it must lie between {minimum} and {maximum}.")
    return value


def env_path(name: str, default: Path) -> Path:
    """A folder; unset or empty is the default (an empty value would otherwise be the working directory)."""
    raw = os.environ.get(name, "").strip()
    return Path(raw).expanduser().resolve() if raw else default.resolve()


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("WIRESAG_DEBUG", False)

SECRET_KEY = env_str("WIRESAG_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "WIRESAG_SECRET_KEY is not set. In production set it to a long random string "
            "(e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set WIRESAG_DEBUG=1 for a development machine."
        )
    # Development only: a fresh random key per process start, never a fixed one.
    import secrets

    SECRET_KEY = secrets.token_urlsafe(50)


def _weak_key(key: str) -> bool:
    # The same rule as Django's own check --deploy (security.W009), enforced at start-up:
    # sessions, password resets and signed values all rest on this key.
    return len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-")


if SECRET_KEY and _weak_key(SECRET_KEY):
    raise ImproperlyConfigured(
        "WIRESAG_SECRET_KEY is too weak: it needs at least 50 characters with at least 5 different ones. "
        "Set it to e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

# Changing the key: the old key(s), comma-separated, still verify what they signed (sessions,
# signed values) while everything new is signed with WIRESAG_SECRET_KEY, so nobody is logged out.
SECRET_KEY_FALLBACKS = env_list("WIRESAG_SECRET_KEY_FALLBACKS", [])
for _place, _key in enumerate(SECRET_KEY_FALLBACKS, start=1):
    if _weak_key(_key):
        _nth = {1: "1st", 2: "2nd", 3: "3rd"}.get(_place, f"{_place}th")
        raise ImproperlyConfigured(
            f"WIRESAG_SECRET_KEY_FALLBACKS holds a key that is too weak (the {_nth}): each old key needs at least "
            "50 characters with at least 5 different ones. List only keys WIRESAG_SECRET_KEY once held, "
            "separated by commas."
        )

ALLOWED_HOSTS = env_list("WIRESAG_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("WIRESAG_CSRF_TRUSTED_ORIGINS", [])

# --- Data folder: database, media, models, TensorBoard runs --------------------------------
DATA_DIR = env_path("WIRESAG_DATA_DIR", BASE_DIR / "var")
MEDIA_ROOT = DATA_DIR / "media"
MODELS_DIR = DATA_DIR / "models"
RUNS_DIR = DATA_DIR / "runs"
DATASETS_DIR = DATA_DIR / "datasets"
for _folder in (DATA_DIR, MEDIA_ROOT, MODELS_DIR, RUNS_DIR, DATASETS_DIR):
    try:
        _folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"WIRESAG_DATA_DIR: cannot create {_folder} ({error.strerror}). Point WIRESAG_DATA_DIR to a writable folder."
        ) from None
MEDIA_URL = "/media/"

configure_offline(DATA_DIR)

# --- Applications ------------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "wiresag_web.apps.WiresagAdminConfig",  # django.contrib.admin on our site class
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_q",
    "axes",
    # The house floors, lowest first: each app imports only from the apps above it in this
    # list and from core/ (enforced by import-linter, see pyproject.toml).
    "accounts",
    "annotations",
    "interop",
    "training",
    "registry",
    "review",
    "wiresag_web",
]

MIDDLEWARE = [
    # First, so that it sees the final response: a download is sent as it is read, never read whole first.
    "wiresag_web.middleware.DownloadsInPieces",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LoginRequiredMiddleware",
    # A save sent by a page opened as another user than the one now logged in (in another tab) is refused.
    "accounts.middleware.SamePageUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.RoleRequiredMiddleware",
    # A sentence instead of an empty page for an address opened with the wrong method (a GET of /logout/).
    "wiresag_web.middleware.MethodNotAllowedPage",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wiresag_web.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wiresag_web.context_processors.roles",
                "wiresag_web.context_processors.page_user",
            ],
        },
    },
]
WSGI_APPLICATION = None
ASGI_APPLICATION = "wiresag_web.asgi.application"

# --- Database ------------------------------------------------------------------------------
_database_url = env_str("WIRESAG_DATABASE_URL")
if _database_url:
    try:
        # No persistent connections: under ASGI every sync view runs in a pool thread, and a connection kept per
        # thread piled up until PostgreSQL refused more ("too many clients", bench_annotations on PostgreSQL).
        # Django's own advice for ASGI; each request opens and closes its connection.
        _default_db = dj_database_url.parse(_database_url, conn_max_age=0)
    except Exception as error:  # dj_database_url raises several types for bad URLs
        raise ImproperlyConfigured(
            f"WIRESAG_DATABASE_URL is not a database URL ({error}); use e.g. postgres://user:password@127.0.0.1:5432/wiresag."
        ) from None
else:
    _default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "wiresag.sqlite3"),
        "OPTIONS": {
            # Several processes (web, worker) write: WAL lets readers go on while one
            # writes, the busy timeout waits instead of failing, IMMEDIATE takes the
            # write lock at BEGIN so two writers cannot deadlock on an upgrade.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
        },
        # Tests that start a worker process need the test database on disk, not in memory.
        "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
    }
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels --------------------------------------------------------------------------------
REDIS_URL = env_str("WIRESAG_REDIS_URL")
if REDIS_URL:
    from redis.connection import parse_url

    try:  # 'localhost:6379' (no scheme) started, then /health/, each launch and each live page failed on it
        parse_url(REDIS_URL)
    except ValueError as error:
        raise ImproperlyConfigured(f"WIRESAG_REDIS_URL is not a Redis URL ({error}); use e.g. redis://queue-host:6379/0.") from None
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py's default 5 s read timeout equals channels_redis's receive wait:
            # an idle channel would raise TimeoutError, so the socket waits longer.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
        }
    }
else:
    # The in-memory layer does not cross processes; live views therefore also read
    # the database (the truth) so a worker's events reach the browser without Redis.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background jobs (django-q2) -----------------------------------------------------------------
_JOB_TIMEOUT = env_int("WIRESAG_JOB_TIMEOUT", 7 * 24 * 3600, minimum=60)
# The worker yields the CPU to the web server (training.worker_processes.yield_to_the_web): a nice value
# added to its priority, and the threads torch/OpenMP may use (default: every core but one, at least one).
# Web server processes `manage.py serve` starts on one shared port (Django runs sync views one at a time per process).
WEB_PROCESSES = env_int("WIRESAG_WEB_PROCESSES", 1, minimum=1)
WORKER_NICE = env_int("WIRESAG_WORKER_NICE", 19, minimum=0)
WORKER_THREADS = env_int("WIRESAG_WORKER_THREADS", max(1, (os.cpu_count() or 1) - 1), minimum=1)

Q_CLUSTER = {
    "name": "wiresag",
    "orm": "default",
    "workers": env_int("WIRESAG_WORKERS", 1, minimum=1),
    # Training runs last hours: the timeout is generous and retry must exceed it,
    # or the ORM broker hands the same run to a second worker.
    "timeout": _JOB_TIMEOUT,
    "retry": _JOB_TIMEOUT + 3600,
    "max_attempts": 1,
    "ack_failures": True,
    # Daemonic workers cannot start DataLoader worker processes.
    "daemonize_workers": False,
    "catch_up": False,
    "poll": 0.5,
    "save_limit": 1000,
    # The quick queue: inspections, pre-annotations and the maintenance schedules. `manage.py worker` runs a
    # second, small cluster on it, so none of them waits hours behind a training run on the main queue.
    "ALT_CLUSTERS": {"wiresag-quick": {"workers": env_int("WIRESAG_QUICK_WORKERS", 1, minimum=1)}},
}
QUICK_QUEUE = "wiresag-quick"
# The queue: the database (django-q2's ORM broker; nothing more to run) by default, or Redis for the
# scale-out profile (WIRESAG_QUEUE=redis, at WIRESAG_REDIS_URL): workers on other hosts then take
# jobs from Redis, which hands each job to exactly one worker. Results stay in the database.
QUEUE = env_str("WIRESAG_QUEUE", "orm")
if QUEUE not in ("orm", "redis"):
    raise ImproperlyConfigured(f"WIRESAG_QUEUE must be 'orm' or 'redis', not {QUEUE!r}.")
if QUEUE == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("WIRESAG_QUEUE=redis needs WIRESAG_REDIS_URL (for example redis://queue-host:6379/0).")
    del Q_CLUSTER["orm"]
    Q_CLUSTER["redis"] = REDIS_URL

# --- Auth ------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out account or address before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Brute-force protection (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# account, or from one address, further logins of that account or from that address are
# refused for the cool-off time. Each failure and each lockout is logged.
AXES_FAILURE_LIMIT = env_int("WIRESAG_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("WIRESAG_LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=366 * 24 * 60))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# A login forgives its own account's wrong passwords only, not the others' from its address (accounts.lockout).
AXES_HANDLER = "accounts.lockout.OwnAccountResetHandler"
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = True
# A login lasts one shift by default (Django's own is two weeks): a shared shop-floor PC does not stay logged in
# as the last user for days. Counted from the login (Django renews it only when the session changes); the next
# page then asks to log in and leads back.
SESSION_COOKIE_AGE = env_int("WIRESAG_SESSION_HOURS", 12, minimum=1, maximum=366 * 24) * 3600
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("WIRESAG_TIME_ZONE", "UTC")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"WIRESAG_TIME_ZONE={TIME_ZONE!r} is not a time zone: set it to a name such as Asia/Taipei or UTC.")
USE_I18N = True
USE_TZ = True

# --- Static files (served by the app itself: the factory is offline) ---------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Uploads and imports ---------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env_int("WIRESAG_UPLOAD_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
# One whole request (all files of an upload together): refused by the server while it streams
# in (wiresag_web.server), before the application reads any of it.
REQUEST_MAX_BYTES = env_int("WIRESAG_REQUEST_MAX_BYTES", 200 * 1024 * 1024, minimum=1024 * 1024)
ZIP_ENTRY_MAX_BYTES = env_int("WIRESAG_ZIP_ENTRY_MAX_BYTES", 100 * 1024 * 1024, minimum=1024)
# A whole zip (picture upload, prediction upload and import alike): entries, and bytes once inflated.
ZIP_MAX_ENTRIES = env_int("WIRESAG_ZIP_MAX_ENTRIES", 20_000, minimum=1)
ZIP_MAX_TOTAL_BYTES = env_int("WIRESAG_ZIP_MAX_TOTAL_BYTES", 2 * 1024 * 1024 * 1024, minimum=1024)
# Disk space an import must leave free after unpacking; unfinished imports are removed after this many hours.
IMPORT_MIN_FREE_BYTES = env_int("WIRESAG_IMPORT_MIN_FREE_BYTES", 1024 * 1024 * 1024)
IMPORT_EXPIRE_HOURS = env_int("WIRESAG_IMPORT_EXPIRE_HOURS", 24, minimum=1)
# Finished exports (zips waiting to be downloaded) are removed after this many hours.
EXPORT_EXPIRE_HOURS = env_int("WIRESAG_EXPORT_EXPIRE_HOURS", 24, minimum=1)
# An inspection's uploaded zip is removed this many hours after its job finished (its reports stay).
INSPECTION_ZIP_EXPIRE_HOURS = env_int("WIRESAG_INSPECTION_ZIP_EXPIRE_HOURS", 24, minimum=1)
# A prepared training data set (crops, the detector's pictures) no run has used for this many days is deleted.
DATASET_EXPIRE_DAYS = env_int("WIRESAG_DATASET_EXPIRE_DAYS", 14, minimum=1)
# Exports being written at once (each copies its selection in a thread of the web process); one per user in any case.
EXPORT_MAX_RUNNING = env_int("WIRESAG_EXPORT_MAX_RUNNING", 2, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 1000
IMAGE_MAX_PIXELS = env_int("WIRESAG_IMAGE_MAX_PIXELS", 50_000_000, minimum=1)
IMPORT_ROOT = env_path("WIRESAG_IMPORT_ROOT", DATA_DIR / "import")
MIN_SAMPLES_PER_CLASS = env_int("WIRESAG_MIN_SAMPLES_PER_CLASS", 2, minimum=1)
# The statistics page shows a summary at most this old and counts again beside it (annotations.stats).
STATISTICS_MAX_AGE_SECONDS = env_int("WIRESAG_STATISTICS_MAX_AGE_SECONDS", 30, minimum=0)
PASS_RECALL_GATE = env_float("WIRESAG_PASS_RECALL_GATE", 0.70, minimum=0.0, maximum=1.0)

# --- Security (check --deploy clean when DEBUG is off) ---------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the annotation page reads it for its JSON saves
CSRF_FAILURE_VIEW = "wiresag_web.views.csrf_failure"  # a sentence saying to reload, not Django's page for developers
X_FRAME_OPTIONS = "DENY"  # the TensorBoard view opts in to SAMEORIGIN for its iframe
SECURE_CONTENT_TYPE_NOSNIFF = True
_behind_https = env_bool("WIRESAG_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = _behind_https
CSRF_COOKIE_SECURE = _behind_https
SECURE_SSL_REDIRECT = env_bool("WIRESAG_SSL_REDIRECT", _behind_https)
SECURE_HSTS_SECONDS = env_int("WIRESAG_HSTS_SECONDS", 31536000 if _behind_https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
_behind_proxy = env_bool("WIRESAG_BEHIND_PROXY", False)
if _behind_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The address a lockout counts: X-Forwarded-For only behind our own proxy, where a client
# cannot forge it; otherwise anyone could send a new address with every guess.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if _behind_proxy else ["REMOTE_ADDR"]
AXES_IPWARE_PROXY_COUNT = 1 if _behind_proxy else None

# Content-Security-Policy on every page (django-csp): scripts, styles and pictures come from
# the app only; an inline script runs only with the page's nonce, and no page here needs one.
# Media files get a stricter policy of their own (wiresag_web.views.MEDIA_POLICY); each run's
# TensorBoard sets its own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
    }
}

LOG_LEVEL = env_str("WIRESAG_LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"WIRESAG_LOG_LEVEL={LOG_LEVEL!r} is not a log level: set it to DEBUG, INFO, WARNING or ERROR.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # The worker's routine lines (task received, cluster idle) stay on the console; its errors reach the file.
    "filters": {"queue_errors_only": {"()": "wiresag_web.log_filters.OnlyErrorsFrom", "logger": "django-q", "level": "ERROR"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": DATA_DIR / "wiresag.log",
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 3,
            "formatter": "plain",
            "filters": ["queue_errors_only"],
        },
    },
    "loggers": {
        "wiresag": {"handlers": ["console", "file"], "level": LOG_LEVEL},
        # Tracebacks of failed requests and refused ones reach the data folder's log too.
        "django": {"handlers": ["console", "file"], "level": "WARNING"},
        # Every failed login and lockout (django-axes).
        "axes": {"handlers": ["console", "file"], "level": "INFO", "propagate": False},
        # django-q2's own logger: failed tasks with their tracebacks, a killed or reincarnated worker.
        "django-q": {"handlers": ["console", "file"], "level": "INFO", "propagate": False},
    },
}
