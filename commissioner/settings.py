"""Settings, read from the environment once, here.

The embedded defaults run on one machine with nothing configured: a SQLite file,
Celery tasks run in-process, email written to the outbox and a local folder.
Production sets DEBUG=0 and the URLs of PostgreSQL, Redis and SMTP.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-used-when-DEBUG-is-off"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY in the environment when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_forms_gds",
    "django_filters",
    "simple_history",
    "axes",
    "forces",
    "letters",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "commissioner.urls"
WSGI_APPLICATION = "commissioner.wsgi.application"

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
                "commissioner.context_processors.office",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers (web, in-process tasks, a worker) share the file: wait rather than fail,
    # and take the write lock when a transaction begins, since a read lock cannot wait to
    # become one (SQLite answers "database is locked" at once).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id first (OWASP's choice, and a quarter of PBKDF2's time at sign-in); the others still
# read passwords stored before, and upgrade them at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: after 5 failures for a username from one address, wait 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "letters:dashboard"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/files/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploads: each reply document at most 25 MB, checked by content in letters.documents.
REPLY_DOCUMENT_MAX_BYTES = env.int("REPLY_DOCUMENT_MAX_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# The office that writes the letters.
OFFICE_NAME = env.str("OFFICE_NAME", default="Independent Anti-Slavery Commissioner")
OFFICE_ADDRESS = env.list(
    "OFFICE_ADDRESS",
    default=["5th Floor, Globe House", "89 Eccleston Square", "London", "SW1V 1PN"],
)
OFFICE_SIGNATORY = env.str("OFFICE_SIGNATORY", default="Independent Anti-Slavery Commissioner")
OFFICE_PHONE = env.str("OFFICE_PHONE", default="")
REPLY_MAILBOX = env.str("REPLY_MAILBOX", default="replies@iasc.example.org")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="commissioner@iasc.example.org")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Email: SMTP in production (EMAIL_URL, e.g. smtp+tls://user:pass@host:587);
# by default written to files so nothing leaves the machine.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# Celery: Redis in production; with no broker, tasks run in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # In-process tasks still pass through a producer; an in-memory one needs no server.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = False
# The queue tasks go to and workers read: deployments (or test runs) sharing a Redis differ here.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_TIMEZONE = TIME_ZONE
# Longer than the longest task, so a task is redelivered only when its worker died.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60),
    # How often (seconds) a worker looks for such tasks to put back in the queue.
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=60),
    "unacked_restore_throttle": 1,
}
# Hard time limits (seconds), both well under the visibility timeout. Every SMTP step times out
# after EMAIL_TIMEOUT, so a send that has not finished in OUTBOX_SEND_TIME_LIMIT never will.
OUTBOX_SEND_TIME_LIMIT = env.int("OUTBOX_SEND_TIME_LIMIT", default=5 * 60)
REPORT_BUILD_TIME_LIMIT = env.int("REPORT_BUILD_TIME_LIMIT", default=30 * 60)
# An email claimed for sending longer ago than this was left by a worker that died.
OUTBOX_SENDING_LEASE = env.int("OUTBOX_SENDING_LEASE", default=2 * OUTBOX_SEND_TIME_LIMIT)
# Seconds before the first retry of an email the server could not take; doubled each time
# (with jitter), five times: about 15 minutes of trying at the default.
OUTBOX_RETRY_BACKOFF = env.int("OUTBOX_RETRY_BACKOFF", default=30)
CHASE_UPS_AT = env.str("CHASE_UPS_AT", default="02:30")
_chase_hour, _chase_minute = (int(part) for part in CHASE_UPS_AT.split(":"))
CELERY_BEAT_SCHEDULE = {
    "nightly-chase-ups": {
        "task": "letters.tasks.send_chase_ups",
        "schedule": crontab(hour=_chase_hour, minute=_chase_minute),
    },
    # Work kept while Redis was down is sent; emails whose worker died mid-send are queued
    # again or marked for a person to check.
    "background-recovery": {
        "task": "letters.tasks.recover_background_work",
        "schedule": crontab(minute="*/5"),
    },
}

# The reply mailbox, read over IMAP by `manage.py fetch_replies` and on beat. TLS by default:
# IMAP_SECURITY is "tls" (port 993), "starttls" (port 143) or "none" (loopback only, for tests).
IMAP_HOST = env.str("IMAP_HOST", default="")
IMAP_SECURITY = env.str("IMAP_SECURITY", default="tls")
if IMAP_SECURITY not in ("tls", "starttls", "none"):
    raise ImproperlyConfigured("IMAP_SECURITY must be tls, starttls or none.")
IMAP_PORT = env.int("IMAP_PORT", default=993 if IMAP_SECURITY == "tls" else 143)
IMAP_USER = env.str("IMAP_USER", default="")
IMAP_PASSWORD = env.str("IMAP_PASSWORD", default="")
IMAP_FOLDER = env.str("IMAP_FOLDER", default="INBOX")
IMAP_TIMEOUT = env.int("IMAP_TIMEOUT", default=60)
# At most this many messages a run, so one run ends well before the next begins.
IMAP_FETCH_LIMIT = env.int("IMAP_FETCH_LIMIT", default=200)
IMAP_FETCH_MINUTES = env.int("IMAP_FETCH_MINUTES", default=5)
CELERY_BEAT_SCHEDULE["fetch-replies"] = {
    "task": "letters.tasks.fetch_replies",
    "schedule": timedelta(minutes=IMAP_FETCH_MINUTES),
    "options": {"expires": IMAP_FETCH_MINUTES * 60},  # a run missed is done by the next
}
# An uploaded .eml (a saved or forwarded message, attachments included) at most this big.
INBOUND_MESSAGE_MAX_BYTES = env.int("INBOUND_MESSAGE_MAX_BYTES", default=50 * 1024 * 1024)

# Production profile.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # In-process tasks would log every success into the web server's console.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        "letters.services.outbox": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        # WeasyPrint reports every step of every PDF at INFO; its warnings still show.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
