"""One settings file, read from the environment (the contract's names are in README.md).

Unset, everything falls back to what a fresh checkout needs to run on a laptop: SQLite in the
checkout, tasks run in-process, emails printed to the console, an in-memory cache.
"""
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=""):
    return os.environ.get(name, default).strip()


def env_bool(name, default=False):
    value = env_str(name)
    if not value:
        return default
    return value.lower() in ("1", "true", "yes", "on")


def env_int(name, default):
    value = env_str(name)
    return int(value) if value else default


def env_list(name, default=""):
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or "insecure-local-development-key-never-use-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
else:
    # A production process with a guessable key could have its sessions and links forged.
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

# Absolute base for the links in emails (they are read outside any request).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, as django-modeltranslation asks
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    # Before agenda: networking's load_s3days extends agenda's (the 2018 event's meeting slots),
    # and the first app listed wins a command's name.
    "networking",
    "agenda",
    "registrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "s3days.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the django_language cookie (set at /i18n/setlang/), else the
    # browser's Accept-Language, else English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # django-axes first: after AXES_FAILURE_LIMIT wrong passwords for one username from one
    # address, logins are refused for AXES_COOLOFF_TIME hours.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "locked_out.html"

ROOT_URLCONF = "s3days.urls"
WSGI_APPLICATION = "s3days.wsgi.application"

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
            ],
        },
    },
]

# Database: SQLite in the checkout unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no row locks: IMMEDIATE takes the write lock when a transaction starts, so
    # two sign-ups can never count the same free seat.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not the in-memory default: tests run a Celery worker and a live server in other
    # threads, and in-memory SQLite shared between threads locks whole tables.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (agenda pages, rate limits): Redis when REDIS_URL is set, else this process's memory.
REDIS_URL = env_str("REDIS_URL")
REDIS_CACHE = {
    # Django's Redis cache, except that Redis being down is a miss, not a server error.
    "BACKEND": "s3days.cache.ForgivingRedisCache",
    # A Redis that hangs costs at most this long, then is left alone for a few seconds.
    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
}
if REDIS_URL:
    CACHES = {"default": {**REDIS_CACHE, "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker, tasks run in-process (eagerly) so `make run` needs nothing else.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# A broker that is down must cost a sign-up a bounded delay, never a hang: the outbox row is
# already committed and the periodic re-queue sends it later.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2, "max_retries": 1}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-emails": {"task": "registrations.tasks.requeue_stale_emails", "schedule": 10.0},
    # Seats held for addresses not confirmed in time go to the waitlist within a minute.
    "expire-unverified": {"task": "registrations.tasks.expire_unverified", "schedule": 60.0},
    "send-due-mailings": {"task": "registrations.tasks.send_due_mailings", "schedule": 60.0},
    "send-reminders": {"task": "registrations.tasks.send_reminders", "schedule": 3600.0},
}

# The outbox (registrations/outbox.py): attempts before a row is marked failed, the first retry
# delay (doubling each time), and when a row nobody sent is queued again.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 6)
EMAIL_RETRY_BASE_SECONDS = env_int("EMAIL_RETRY_BASE_SECONDS", 10)
EMAIL_REQUEUE_AFTER_SECONDS = env_int("EMAIL_REQUEUE_AFTER_SECONDS", 60)
EMAIL_SENDING_STUCK_AFTER_SECONDS = env_int("EMAIL_SENDING_STUCK_AFTER_SECONDS", 120)
# Private-link emails a registered address gets an hour on strangers' requests (link requests,
# sign-ups with that address); more are dropped silently, the page looking the same.
STRANGER_EMAILS_PER_HOUR = env_int("STRANGER_EMAILS_PER_HOUR", 3)
# A whole send (all its replies and data) is cut off after this many seconds and retried later.
EMAIL_SEND_DEADLINE_SECONDS = env_int("EMAIL_SEND_DEADLINE_SECONDS", 60)
# Longest a request waits for the broker to take a task (seconds); after a failure the broker is
# left alone for 5 s and rows wait for the re-queue task.
BROKER_PUBLISH_TIMEOUT = float(env_str("BROKER_PUBLISH_TIMEOUT", "0.3"))


def parse_email_url(url):
    """EMAIL_URL like smtp://user:password@host:587?tls=1 (smtps:// for implicit TLS)."""
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme not in ("smtp", "smtps"):
        raise ImproperlyConfigured(f"EMAIL_URL scheme must be smtp or smtps, not {parts.scheme!r}.")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": query.get("tls", "") in ("1", "true", "yes"),
        "EMAIL_TIMEOUT": int(query.get("timeout", "10")),
    }


globals().update(parse_email_url(env_str("EMAIL_URL")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "S3 Platform Days <no-reply@s3days.example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Put before every subject, e.g. "[JRC] "; the subjects themselves are templates/emails/*_subject.txt.
EMAIL_SUBJECT_PREFIX = env_str("EMAIL_SUBJECT_PREFIX")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The host's languages, each named in itself (the switcher shows these names in every
# language; Django's own list calls Basque "Basque"). Django's catalogs serve its strings in
# each; ours are in locale/.
LANGUAGES = [("en", "English"), ("es", "Español"), ("eu", "Euskara")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Content (event, platforms, sessions...) in each language, the English text where one is empty.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
# Stored times are UTC. Public pages show each event in its own time zone; this one is what the
# admin forms read and write in.
TIME_ZONE = env_str("TIME_ZONE", "Europe/Madrid")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In production whitenoise serves compressed files with a content hash in their names (cached
# for ever by browsers); that needs `collectstatic`, which development and tests skip.
STATIC_HASHED = env_bool("STATIC_HASHED", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_HASHED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGIN_URL = "admin:login"
CSRF_FAILURE_VIEW = "s3days.views.csrf_failure"

# How old the seat counts on public pages may be, in seconds (they are cached that long).
SEAT_COUNTS_MAX_AGE = env_int("SEAT_COUNTS_MAX_AGE", 5)

# Serve /bench/ceiling, a view that does nothing, for bench/agenda_load.py. Never in production.
BENCH_CEILING_VIEW = env_bool("BENCH_CEILING_VIEW")

# Sign-up and link-request POSTs allowed per window (seconds) before a 429 (registrations/
# ratelimit.py): per client address, generous (an institution may reach us through one address),
# and per email address typed in, tight. RATE_LIMIT_POSTS is the old name of the first.
RATE_LIMIT_POSTS_PER_ADDRESS = env_int("RATE_LIMIT_POSTS_PER_ADDRESS", env_int("RATE_LIMIT_POSTS", 200))
RATE_LIMIT_POSTS_PER_EMAIL = env_int("RATE_LIMIT_POSTS_PER_EMAIL", 5)
RATE_LIMIT_WINDOW = env_int("RATE_LIMIT_WINDOW", 600)
# Only behind a reverse proxy that sets X-Forwarded-For; otherwise clients could forge it.
RATE_LIMIT_TRUST_X_FORWARDED_FOR = env_bool("RATE_LIMIT_TRUST_X_FORWARDED_FOR")

# HTTPS: on by default in production. Behind a proxy that ends TLS, SECURE_PROXY_SSL_HEADER=1
# trusts its X-Forwarded-Proto (only then: a client could otherwise claim HTTPS).
HTTPS = env_bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=HTTPS)
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # private links must not leak to other sites
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy: our own files only, and no inline script anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The admin sets a few style attributes; no page of ours does.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Every handler masks private links (s3days/log_masking.py): django.request logs the paths of
# 404s ("Not Found: /<event>/registration/<token>/"), runserver logs every request line.
# Django's own handlers for these loggers are replaced by ours, which mask; gunicorn's access
# log is masked by the logger class in gunicorn.conf.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_tokens": {"()": "s3days.log_masking.MaskTokens"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_tokens"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["mask_tokens"]},
    },
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
