"""Settings for the ITSM portal.

Everything that differs between a laptop and production comes from environment variables, read
here and nowhere else. With nothing set, the project runs on a bare machine: SQLite in WAL mode,
Celery on a filesystem broker, e-mail printed to the console. Importing this module connects to
nothing.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from environs import Env
from marshmallow.validate import Range

BASE_DIR = Path(__file__).resolve().parent.parent


# environs parses and validates: a value it cannot read (ITSM_PRODUCTION=ture, EMAIL_PORT=abc) stops
# the start-up with an error that names the variable, instead of a silent False or a bare
# ValueError. An empty value means "not set" (docker-compose passes ${VAR:-} as an empty string).
_env = Env()


def _given(name: str) -> bool:
    return os.environ.get(name, "").strip() != ""


def env(name: str, default: str = "") -> str:
    return _env.str(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    return _env.bool(name) if _given(name) else default


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """An integer; with `minimum`, a smaller value stops the start-up with an error that names it."""
    if not _given(name):
        return default
    return _env.int(name, validate=Range(min=minimum) if minimum is not None else None)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Where the embedded defaults keep their files (database, broker queues, uploads, beat schedule).
VAR_DIR = Path(env("ITSM_VAR_DIR", str(BASE_DIR / "var")))

ITSM_PRODUCTION = env_bool("ITSM_PRODUCTION", False)
DEBUG = env_bool("DEBUG", False)
# A fixed key for local runs and tests only. It is public (it is in this file), so production
# refuses it, and any key shorter than Django's deployment check asks for, whatever DEBUG says.
LOCAL_ONLY_SECRET_KEY = "insecure-local-only-key-do-not-use-in-production-2f9c1d7e"
SECRET_KEY = env("SECRET_KEY") or LOCAL_ONLY_SECRET_KEY
if ITSM_PRODUCTION and (SECRET_KEY == LOCAL_ONLY_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "ITSM_PRODUCTION=1 needs SECRET_KEY: 50 or more random characters of your own "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_fsm",
    "simple_history",
    "django_celery_beat",
    "axes",
    "csp",
    "itsm",
    "core",
    "tokens",
    "knowledge_base",
    "incidents",
    "reviews",
    "webhooks",
    "intake",
    "comms",
    "response",
    "compliance",
    "drills",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

# --- Content-Security-Policy (django-csp) -------------------------------------------------------
# Scripts and styles from this site only, no inline code: an injected <script> or style= does not
# run even if something slipped past the Markdown sanitiser. Images also over https (knowledge-base
# articles may show them) and data: (the admin's icons). Nothing may frame the site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "https:", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Sign-in ------------------------------------------------------------------------------------
# django-axes: repeated failed sign-ins lock that user name from that address for a while, on the
# portal's login and the admin's alike; every attempt, failed or not, is in the admin (Axes).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ITSM_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ITSM_LOGIN_LOCKOUT_MINUTES", 15))
# By user name and address together: a mistyped password elsewhere does not lock a colleague out,
# and one address cannot lock out every account by guessing.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "itsm.urls"
WSGI_APPLICATION = "itsm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "itsm" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "comms.context_processors.status_banner",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# DATABASE_URL, or (so that a password with @ : / # needs no URL-encoding) POSTGRES_HOST with
# POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_PORT, as docker-compose passes them.
# Health checks: a connection kept across requests that the database dropped (a restart) is
# replaced before use, instead of failing the request.
DATABASE_URL = env("DATABASE_URL")
CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)}
elif env("POSTGRES_HOST"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": env("POSTGRES_HOST"),
            "PORT": env_int("POSTGRES_PORT", 5432),
            "NAME": env("POSTGRES_DB", "itsm"),
            "USER": env("POSTGRES_USER", "itsm"),
            "PASSWORD": env("POSTGRES_PASSWORD"),
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
        }
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not its folder
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "itsm.sqlite3",
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Full-text search and trigram lookups for the knowledge base (knowledge_base.matching).
    INSTALLED_APPS.append("django.contrib.postgres")

# --- Celery -------------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
CELERY_FILESYSTEM_BROKER_DIR = VAR_DIR / "celery-broker"


def filesystem_broker_options(folder: Path) -> dict:
    """kombu's filesystem transport with every folder under `folder` (itsm/celery.py creates them)."""
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        # Broadcast/control messages; kombu's default is a "control" folder in the working directory.
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


REDIS_VISIBILITY_TIMEOUT = 900
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # How long a task taken by a worker that then died (killed, out of memory) waits before Redis
    # hands it to another. It must outlast the longest wait a task is queued with (a retry's
    # countdown, up to 600 s for mail) plus its time limit, or Redis would hand out tasks that are
    # only waiting; itsm/tests/test_outbox.py checks every registered task against it. Messages do
    # not wait for it: the outbox relay queues their rows again after a minute.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": REDIS_VISIBILITY_TIMEOUT}
else:
    # A broker that needs no server: queues are files under var/. Good for one machine; a hard
    # killed worker loses its in-flight task here, which is why production uses Redis.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(CELERY_FILESYSTEM_BROKER_DIR)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", CELERY_BROKER_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# The outbox relay (core.outbox): a message still unsent this long after its row was written lost
# its task and is queued again; one still unsent after ITSM_OUTBOX_GIVE_UP_HOURS is left to a person
# (it stays listed as unsent in the admin).
ITSM_OUTBOX_RELAY_AFTER_SECONDS = env_int("ITSM_OUTBOX_RELAY_AFTER_SECONDS", 60, minimum=10)
ITSM_OUTBOX_GIVE_UP_HOURS = env_int("ITSM_OUTBOX_GIVE_UP_HOURS", 24, minimum=1)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = env("TIME_ZONE", "UTC")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The one beat schedule of the project. django_celery_beat's DatabaseScheduler copies it into its
# tables at start-up. Times are in CELERY_TIMEZONE.
CELERY_BEAT_SCHEDULE: dict = {
    # The SLA clock: escalations, breaches, auto-close and unacknowledged pages, every minute.
    "sla-sweep": {"task": "incidents.tasks.sla_sweep", "schedule": 60.0, "options": {"expires": 55}},
    # The shift handoffs of the last hour: each one's briefing owed to the incoming on-call, once.
    "incidents.handoff-briefings": {"task": "incidents.tasks.handoff_briefings", "schedule": 300.0,
                                    "options": {"expires": 240}},
    # Owed messages whose task was lost (broker down, worker killed): queued again (core.outbox).
    "outbox-relay": {"task": "core.tasks.relay_outbox", "schedule": 60.0, "options": {"expires": 55}},
    # Overdue action items, hourly during the working day: the sweep is idempotent (one reminder
    # per item per day), so the first run of the day sends and the others catch up on a missed run.
    "reviews.remind-overdue-action-items": {
        "task": "reviews.tasks.remind_overdue_action_items",
        "schedule": crontab(minute=0, hour="8-18"),
    },
    # Webhook retries that are due, and attempts whose worker died (webhooks.delivery.queue_due).
    "webhooks.retry-due": {"task": "webhooks.tasks.retry_due", "schedule": 30.0, "options": {"expires": 25}},
    # The IMAP mailboxes configured in the admin, read every minute (intake.mail.imap).
    "intake.poll-mailboxes": {"task": "intake.tasks.poll_mailboxes", "schedule": 60.0, "options": {"expires": 55}},
    # The drills' scripted steps that are due (drills.services.run_due_steps), each run once.
    "drills.run-due-steps": {"task": "drills.tasks.run_due_steps", "schedule": 60.0, "options": {"expires": 55}},
}

# --- Caches -------------------------------------------------------------------------------------
# A prefix of this site's cache keys, for sites that share one Redis database (staging beside
# production): each then has its own status page snapshots, rate-limit counts and locks.
CACHE_KEY_PREFIX = env("ITSM_CACHE_KEY_PREFIX")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": CACHE_KEY_PREFIX}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": CACHE_KEY_PREFIX}}

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"

# --- I18n / time --------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if ITSM_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Attachments: a size limit and an allow-list of types (checked by extension and by content).
ITSM_MAX_UPLOAD_BYTES = env_int("ITSM_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = ITSM_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Service Desk <servicedesk@localhost>")
# Absolute base of links in e-mails ("http://127.0.0.1:8000" for make run).
ITSM_BASE_URL = env("ITSM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- SLA clock and paging (docs/sla.md) -----------------------------------------------------------
# Where pages are POSTed as JSON (a paging or chat service); empty: pages go by e-mail only.
ITSM_PAGING_WEBHOOK_URL = env("ITSM_PAGING_WEBHOOK_URL")
# A resolved incident closes itself after this many business days without a reply from the reporter.
ITSM_AUTO_CLOSE_BUSINESS_DAYS = env_int("ITSM_AUTO_CLOSE_BUSINESS_DAYS", 3)
# A reporter's reply on a resolved incident stops its auto-close; with this on, it reopens it too.
ITSM_REPORTER_REPLY_REOPENS = env_bool("ITSM_REPORTER_REPLY_REOPENS", False)

# --- Webhooks (webhooks/) -------------------------------------------------------------------------
# Endpoints on loopback, private, link-local or other internal addresses are refused: the worker
# sits inside the network, and an endpoint must not make it reach internal services (SSRF). Turn
# this on only where the receivers live on the portal's own network; the tests turn it on for
# their receiver on 127.0.0.1.
ITSM_WEBHOOK_ALLOW_PRIVATE = env_bool("ITSM_WEBHOOK_ALLOW_PRIVATE", False)
# Per attempt. Together they must end well within the delivery task's 60 s time limit.
ITSM_WEBHOOK_CONNECT_TIMEOUT_SECONDS = env_int("ITSM_WEBHOOK_CONNECT_TIMEOUT_SECONDS", 5, minimum=1)
ITSM_WEBHOOK_READ_TIMEOUT_SECONDS = env_int("ITSM_WEBHOOK_READ_TIMEOUT_SECONDS", 10, minimum=1)
if ITSM_WEBHOOK_CONNECT_TIMEOUT_SECONDS + ITSM_WEBHOOK_READ_TIMEOUT_SECONDS > 45:
    raise ImproperlyConfigured("ITSM_WEBHOOK_CONNECT_TIMEOUT_SECONDS + ITSM_WEBHOOK_READ_TIMEOUT_SECONDS may be "
                               "at most 45 s: an attempt must end within the delivery task's time limit.")
# A failed attempt is tried again after the base wait, doubled after each failure up to the
# maximum, until the message is this many hours old: then it is marked failed (and can be sent
# again by hand from the delivery log).
ITSM_WEBHOOK_RETRY_BASE_SECONDS = env_int("ITSM_WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=1)
ITSM_WEBHOOK_RETRY_MAX_SECONDS = env_int("ITSM_WEBHOOK_RETRY_MAX_SECONDS", 3600, minimum=1)
ITSM_WEBHOOK_GIVE_UP_HOURS = env_int("ITSM_WEBHOOK_GIVE_UP_HOURS", 24, minimum=1)
# An endpoint whose attempts fail this many times in a row is switched off, and its owner e-mailed.
ITSM_WEBHOOK_DISABLE_AFTER_FAILURES = env_int("ITSM_WEBHOOK_DISABLE_AFTER_FAILURES", 20, minimum=1)
# After a secret is rotated, the previous one also signs for this long (receivers switch over).
ITSM_WEBHOOK_SECRET_OVERLAP_HOURS = env_int("ITSM_WEBHOOK_SECRET_OVERLAP_HOURS", 24, minimum=0)

# --- E-mail intake (intake/mail/) -----------------------------------------------------------------
# The domain of the Message-IDs our notifications carry (<INC-000123.n45@domain>); a reply quoting
# one is threaded onto its incident, and a message whose own Message-ID is ours is a loop.
ITSM_MAIL_DOMAIN = env("ITSM_MAIL_DOMAIN") or (urlparse(ITSM_BASE_URL).hostname or "localhost")
# A raw message larger than this is refused (413 on the pipe endpoint; quarantined from IMAP). It
# is larger than the upload limit: a message carries its attachments base64-encoded (4/3 the size),
# and an attachment over the upload limit is refused by itself while the rest of the mail lands.
ITSM_MAIL_MAX_BYTES = env_int("ITSM_MAIL_MAX_BYTES", 40 * 1024 * 1024, minimum=64 * 1024)
# A MIME bomb is quarantined unread: more parts than this, or multiparts nested deeper than this.
ITSM_MAIL_MAX_PARTS = env_int("ITSM_MAIL_MAX_PARTS", 100, minimum=2)
ITSM_MAIL_MAX_DEPTH = env_int("ITSM_MAIL_MAX_DEPTH", 10, minimum=1)
# Messages one sender may have processed in an hour; the rest are recorded as rate-limited.
ITSM_MAIL_RATE_PER_HOUR = env_int("ITSM_MAIL_RATE_PER_HOUR", 30, minimum=1)
# How long the beat task waits for an IMAP server (connect and each command).
ITSM_MAIL_IMAP_TIMEOUT_SECONDS = env_int("ITSM_MAIL_IMAP_TIMEOUT_SECONDS", 20, minimum=1)

# --- Security (production values come from the environment) -------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", ITSM_PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", ITSM_PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", ITSM_PRODUCTION)
# The container's health check asks over plain HTTP from inside: not redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if ITSM_PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = ITSM_PRODUCTION
SECURE_HSTS_PRELOAD = ITSM_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("SECURE_PROXY_SSL_HEADER", ITSM_PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Knowledge base -----------------------------------------------------------------------------
# The recurrence rule, once for the whole product: this many incidents within the window is a
# problem that keeps coming back. A known error linked to them is flagged for a permanent fix, and
# an incident of such a series (same known error, or same category and service) needs a review.
ITSM_RECURRENCE_THRESHOLD = env_int("ITSM_RECURRENCE_THRESHOLD", 3)
ITSM_RECURRENCE_WINDOW_DAYS = env_int("ITSM_RECURRENCE_WINDOW_DAYS", 30)
# Four-eyes publishing: a known error, article or post-incident review is published by someone other
# than the person who sent it for review (or changed it since). Off for a team with one reviewer.
ITSM_FOUR_EYES_PUBLISHING = env_bool("ITSM_FOUR_EYES_PUBLISHING", True)

# --- Post-incident reviews ----------------------------------------------------------------------
# A required P1/P2 review must be published before its incident can close.
ITSM_REVIEW_BLOCKS_CLOSE = env_bool("ITSM_REVIEW_BLOCKS_CLOSE", True)
# Username of the default review owner; empty: the first active incident manager.
ITSM_REVIEW_OWNER = env("ITSM_REVIEW_OWNER")
# Overdue action items escalate to the incident manager after this many days.
ITSM_REVIEW_ESCALATE_AFTER_DAYS = env_int("ITSM_REVIEW_ESCALATE_AFTER_DAYS", 7)

# A state machine's history is a record, not something to roll back (reverting an FSM row 500s).
SIMPLE_HISTORY_REVERT_DISABLED = True

# A new API key or webhook secret is shown once, in a message: kept in the session, not in a
# cookie that travels back through proxies and their logs.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- REST API (/api/v1/) -------------------------------------------------------------------------
def env_rate(name: str, default: str) -> str:
    """A throttle rate such as "600/min" (second, minute, hour or day)."""
    value = env(name, default).strip()
    count, _, period = value.partition("/")
    if not (count.isdigit() and int(count) > 0 and period in ("s", "sec", "second", "m", "min", "minute",
                                                               "h", "hour", "d", "day")):
        raise ImproperlyConfigured(f'{name} must be a rate such as "600/min" (per second, min, hour or day), not {value!r}.')
    return value


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tokens.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.PerTokenThrottle", "core.api.throttling.AnonymousIPThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_rate("ITSM_API_THROTTLE_TOKEN", "1200/min"),
        "anon": env_rate("ITSM_API_THROTTLE_ANON", "60/min"),
        # Per intake token (an alert source's): alert storms come in bursts.
        "intake": env_rate("ITSM_INTAKE_THROTTLE", "30000/min"),
    },
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser",
                               "rest_framework.parsers.MultiPartParser",
                               "rest_framework.parsers.FormParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # How many reverse proxies in front of the app append to X-Forwarded-For: the client address
    # (for the per-address limit and a token's last use) is read that many hops from the right.
    # 0: the connection's own address; a client-sent header is never believed.
    "NUM_PROXIES": env_int("ITSM_TRUSTED_PROXIES", 0, minimum=0),
}
# Largest request body the API reads, in bytes: a JSON body or a multipart upload (answer: 413).
ITSM_API_MAX_BODY_BYTES = env_int("ITSM_API_MAX_BODY_BYTES", ITSM_MAX_UPLOAD_BYTES + 1024 * 1024, minimum=1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "ITSM portal API",
    "DESCRIPTION": (
        "Incidents, their transitions, comments and attachments; the knowledge base; post-incident "
        "reviews. Authenticate with `Authorization: Bearer <token>` (API tokens are issued in the "
        "admin) or a browser session. Every error has one shape (`Error`)."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is built on every request (about 150 KB): for signed-in callers only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Choices that share a field name across apps get names of their own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStateEnum": "incidents.workflow.State",
        "IncidentPriorityEnum": "incidents.models.incident.Priority",
        "KnowledgeStateEnum": "knowledge_base.workflow.State",
        "ReviewStateEnum": "reviews.workflow.ReviewState",
        "ActionItemStateEnum": "reviews.workflow.ActionState",
        "ActionItemPriorityEnum": "reviews.models.ActionPriority",
        "LevelEnum": "incidents.models.incident.Level",  # impact and urgency
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums"],
}

LOG_FORMAT = env("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f'LOG_FORMAT must be "text" or "json", not {LOG_FORMAT!r}.')
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own default gives `django` a console handler of its own under DEBUG, on top of
        # the root's: every line printed twice under `make run`. One handler, the root's.
        "django": {"handlers": [], "propagate": True, "level": env("LOG_LEVEL", "INFO")},
        "django.server": {"handlers": ["console"], "propagate": False, "level": "INFO"},
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Error tracking (optional) ------------------------------------------------------------------
# With SENTRY_DSN set, errors of the web and worker processes go to Sentry (or a compatible
# service). Setting it up sends nothing: events leave when an error happens.
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN, integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=env("SENTRY_ENVIRONMENT", "production" if ITSM_PRODUCTION else "development"),
        send_default_pii=False, traces_sample_rate=0.0,
    )
