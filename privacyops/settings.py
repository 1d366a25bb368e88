"""Settings for PrivacyOps, read from the environment with django-environ.

DEBUG is off unless turned on: a laptop's git-ignored `.env`, written once by `make install`,
turns it on and holds development keys (SQLite and a filesystem Celery broker are the default).
Production sets `DATABASE_URL`, `REDIS_URL`, `SECRET_KEY`, `ALLOWED_HOSTS`,
`FIELD_ENCRYPTION_KEYS`, `BLIND_INDEX_KEY` and the e-mail settings; a missing or malformed
value stops start-up with `ImproperlyConfigured` naming the variable.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from privacyops import queues  # task → queue and time limits, the broker's visibility timeout
from privacyops.database import database_owner, database_settings
from privacyops.devkeys import ensure_dev_env
from privacyops.environment import (
    read_bool,
    read_fernet_keys,
    read_int,
    read_networks,
    read_secret,
    redis_url_of_test_worker,
)
from privacyops.logconfig import logging_config
from privacyops.outside_copies import audit_head_export, erasure_ledger_dir

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PRIVACYOPS_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()


TESTING = "pytest" in sys.modules or os.environ.get("PRIVACYOPS_TESTING") == "1"

ENV_FILE = BASE_DIR / ".env"
if TESTING or read_bool("DEBUG", False):
    # The suite and DEBUG=true commands (the image's build) need keys before `make install`.
    ensure_dev_env(ENV_FILE)
if ENV_FILE.exists():
    # Values already in the environment win over `.env`.
    environ.Env.read_env(str(ENV_FILE), overwrite=False)
DEBUG = read_bool("DEBUG", False)


SECRET_KEY = read_secret("SECRET_KEY", debug=DEBUG)
if not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")


_raw_field_keys = os.environ.get("FIELD_ENCRYPTION_KEYS", "").strip()
if not _raw_field_keys:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is not set.")
# The first key encrypts; every key decrypts (rotation: prepend the new key, run
# `manage.py reencrypt`, then drop the old one).
FIELD_ENCRYPTION_KEYS = read_fernet_keys(_raw_field_keys, debug=DEBUG)
BLIND_INDEX_KEY = read_secret("BLIND_INDEX_KEY", debug=DEBUG)
if len(BLIND_INDEX_KEY) < 16:
    raise ImproperlyConfigured("BLIND_INDEX_KEY must be at least 16 characters long.")
if BLIND_INDEX_KEY in FIELD_ENCRYPTION_KEYS or BLIND_INDEX_KEY == SECRET_KEY:
    raise ImproperlyConfigured("BLIND_INDEX_KEY must be a key of its own.")

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "")

try:
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
except Exception as exc:  # pragma: no cover - environ raises several kinds
    raise ImproperlyConfigured(f"ALLOWED_HOSTS is malformed: {exc}") from None
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the portal's host when DEBUG=false.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "core.apps.PrivacyOpsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_celery_beat",
    "django_countries",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The apps in their layering: each imports only those above it in this list.
    "core",
    "retention",
    "processing",
    "subjects",
    "consent",
    "subject_requests",
    "reports",
    "breaches",
    "selfservice",
    "oversight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.links.LinkLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.audit.AuditContextMiddleware",
    "core.sessions.SessionTimeoutMiddleware",
    "core.permissions.PermissionMiddleware",
    # Last, as django-axes asks: it turns a lockout found during the login into its page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Production serves collected static files itself (gunicorn has no static handler).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "privacyops.urls"
WSGI_APPLICATION = "privacyops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# DATABASE_URL (PostgreSQL or SQLite) and, in production, DATABASE_MIGRATE_URL: the same
# database as the role owning its tables (privacyops.database).
DATABASES: dict[str, dict[str, Any]] = {"default": database_settings(env, BASE_DIR)}
DATABASE_OWNER = database_owner(env, DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache --------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis:// or rediss://.")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url_of_test_worker(
                REDIS_URL, os.environ.get("PYTEST_XDIST_WORKER", "")
            ),
            "KEY_PREFIX": "privacyops",
        }
    }
else:
    # A file cache is shared by every process on the machine (rate limits, locks).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
if TESTING and not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Task messages carry ids only, never personal data.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"
CELERY_TASK_ROUTES, CELERY_TASK_ANNOTATIONS = queues.TASK_ROUTES, queues.TASK_ANNOTATIONS
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"visibility_timeout": queues.VISIBILITY_TIMEOUT}
if not REDIS_URL:
    _broker_dir = VAR_DIR / "broker"
    # kombu's filesystem transport needs its folders to exist before web or worker start.
    for _folder in (
        _broker_dir,
        VAR_DIR / "broker-processed",
        VAR_DIR / "broker-control",
        VAR_DIR / "cache",
    ):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Tallinn"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = read_bool("CELERY_TASK_ALWAYS_EAGER", TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}Validator"}
    for name in ("UserAttributeSimilarity", "MinimumLength", "CommonPassword", "NumericPassword")
]
PASSWORD_HASHERS = [  # core.hashers: a PBKDF2 hash is stored again with Argon2id at a login
    "core.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = LOGOUT_REDIRECT_URL = "login"
LOGIN_REDIRECT_URL = "home"
# django-axes first: it refuses a locked-out account or address before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Three locks on logging in after failures; none shuts anyone out for good.
from privacyops.lockout import *  # noqa: E402, F403

# Second factor: TOTP (django-otp), required of DPO and Admin (core.permissions).
OTP_TOTP_ISSUER = os.environ.get("OTP_ISSUER", "PrivacyOps")
# Sessions end after inactivity and, whatever the activity, some hours after the login.
SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=read_int("SESSION_IDLE_MINUTES", 30, minimum=1))
SESSION_ABSOLUTE_TIMEOUT = dt.timedelta(hours=read_int("SESSION_MAX_HOURS", 8, minimum=1))

# --- Time and language --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("et", "Eesti"), ("lv", "Latviešu")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Tallinn")
# Legal dates (deadlines, retention) are days in the operator's zone, whatever the display
# zone is: the operator is registered in Estonia.
LEGAL_TIME_ZONE = "Europe/Tallinn"
# Regulation 1182/71 Art. 3(4): a period ending on a public holiday ends on the next working
# day; the holidays are those of the controller's establishment (Estonia), from `holidays`.
LEGAL_HOLIDAY_COUNTRY = os.environ.get("LEGAL_HOLIDAY_COUNTRY", "EE").strip().upper()
# The form is checked here, whether the `holidays` package knows the code by the system check
# `privacyops.E003` (`core.checks`): importing the package costs every process ~24 MB.
if not re.fullmatch(r"[A-Z]{2,3}", LEGAL_HOLIDAY_COUNTRY):
    raise ImproperlyConfigured(
        "LEGAL_HOLIDAY_COUNTRY must be an ISO 3166 country code the holidays package knows "
        f"(EE for Estonia), not {LEGAL_HOLIDAY_COUNTRY!r}."
    )

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail -------------------------------------------------------------------------------
try:
    _email = env.email_url("EMAIL_URL", default="consolemail://")
except Exception as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is malformed: {exc}") from None
vars().update(_email)
if _email.get("EMAIL_BACKEND") == "django.core.mail.backends.console.EmailBackend":
    # The terminal of `make run` shows each message with every address in it masked.
    EMAIL_BACKEND = "core.mail.MaskingConsoleBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "privacy@privacyops.example")
PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", DEFAULT_FROM_EMAIL)
# The controller named in notices to data subjects (GDPR Art. 13(1)(a), 14(1)(a)).
PRIVACY_CONTROLLER_NAME = os.environ.get("PRIVACY_CONTROLLER_NAME", "Scoro Software OÜ")
# The controller's address and its data protection officer, as the record of processing
# names them (GDPR Art. 30(1)(a)).
PRIVACY_CONTROLLER_ADDRESS = os.environ.get("PRIVACY_CONTROLLER_ADDRESS", "Tallinn, Estonia")
PRIVACY_DPO_CONTACT = os.environ.get("PRIVACY_DPO_CONTACT", PRIVACY_CONTACT_EMAIL)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # An integration's key first, then the browser's own calls (session, CSRF enforced).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.auth.ApiKeyAuthentication",
        "core.api.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.auth.ScopePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api.auth.KeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("API_THROTTLE_RATE", "1200/min")},
    "DEFAULT_PAGINATION_CLASS": "core.api.views.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PrivacyOps API",
    "DESCRIPTION": (
        "The portal's REST API for the SaaS platform and the marketing tool. Authenticate "
        "with `Authorization: Bearer po_…` (a key an Admin creates under API keys), or from "
        "the portal's own pages with the session and its CSRF token. Every POST accepts an "
        "`Idempotency-Key`. Errors have one shape: "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["core.api.auth.SchemaPermission"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": "privacyops.settings.LANGUAGES",
        "UpsertActionEnum": "subjects.api.people.UPSERT_ACTIONS",
    },
}

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from the portal's own static
# files, never inline, so an injected <script> or on*= handler does not run. Images also from
# data: URLs (a person's photo is shown inline); no plug-ins, frames or foreign form targets.
# E-mails are not served pages and keep their inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **{key: [SELF] for key in ("default-src", "script-src", "style-src", "font-src")},
        **{key: [SELF] for key in ("connect-src", "form-action")},
        "img-src": [SELF, "data:"],
        **{key: [NONE] for key in ("object-src", "base-uri", "frame-ancestors")},
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = read_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = read_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if read_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies whose X-Forwarded-For is believed (as web's socket sees them; none by default, so a
# request that bypassed the proxy cannot name its own address): core.http.client_ip.
TRUSTED_PROXIES = read_networks("TRUSTED_PROXIES")

# --- Outside systems (webhooks) -----------------------------------------------------------
# How long a webhook call may wait for the system's answer (connecting has 5 s of its own).
WEBHOOK_TIMEOUT_SECONDS = read_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# HTTPS calls to public addresses only (core.outbound), and to these networks (an on-premise
# system's); development and tests also to a local test server, over plain HTTP too.
OUTBOUND_ALLOWED_NETWORKS = read_networks("OUTBOUND_ALLOWED_NETWORKS")
WEBHOOK_ALLOW_LOCAL_HTTP = DEBUG or TESTING
# A failed call is retried after 1, 2, 4, … minutes (at most an hour apart), up to this many
# attempts in all; then the task shows as failed for the DPO to retry or resolve by hand.
WEBHOOK_MAX_ATTEMPTS = read_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
WEBHOOK_RETRY_BASE_SECONDS = read_int("WEBHOOK_RETRY_BASE_SECONDS", 60, minimum=1)
# How long a system's single-use completion link works.
WEBHOOK_CALLBACK_DAYS = read_int("WEBHOOK_CALLBACK_DAYS", 60, minimum=1)
# A system's task is due this many days before the request's target day.
SYSTEM_TASK_LEAD_DAYS = read_int("SYSTEM_TASK_LEAD_DAYS", 5, minimum=0)

# No personal data in logs (privacyops.logconfig).
LOGGING = logging_config(os.environ.get("LOG_LEVEL", "INFO"))

# --- Copies outside the database (privacyops.outside_copies, docs/operations.md) ----------
# The erasure ledger's copy (`retention.ledger`): one JSON-lines file a day, appended after
# each erasure commits; a restored backup is replayed from it (`replay_erasures --from-file`).
ERASURE_LEDGER_DIR = erasure_ledger_dir(VAR_DIR)
# The file each day's head of the audit chain is appended to (`core.audit_heads`), which
# `verify_audit --against` compares the log with; None: no head is exported.
AUDIT_HEAD_EXPORT = audit_head_export()

# --- Domain settings ----------------------------------------------------------------------
# How long a purge run may go without a heartbeat before the next run may take it over.
PURGE_STALE_AFTER_SECONDS = read_int("PURGE_STALE_AFTER_SECONDS", 900, minimum=30)
# Estonian Accounting Act: invoices are kept 7 years after the end of the financial year;
# the month the financial year starts in (1 = the calendar year).
RETENTION_FINANCIAL_YEAR_START_MONTH = read_int(
    "RETENTION_FINANCIAL_YEAR_START_MONTH", 1, minimum=1
)
if RETENTION_FINANCIAL_YEAR_START_MONTH > 12:
    raise ImproperlyConfigured("RETENTION_FINANCIAL_YEAR_START_MONTH must be a month, 1 to 12.")
# The policy's words: subjects are told "in good time" before a policy change takes effect.
POLICY_NOTICE_DAYS = read_int("POLICY_NOTICE_DAYS", 30, minimum=1)
# How long the requester's link to their answer documents works.
ANSWER_LINK_DAYS = read_int("ANSWER_LINK_DAYS", 14, minimum=1)
