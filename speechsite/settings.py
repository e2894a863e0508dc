"""speechsite settings: everything comes from the environment, with defaults that
run a local checkout on SQLite and a local Redis.

Production (DEBUG off) has no default secret key: startup stops with a clear
message instead of running with a guessable one.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from guards.netguard import AllowList
from transcripts.offered_models import parse_offered_models

from .redis_settings import redis_connection
from .s3_settings import s3_media_storage

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default="false"):
    value = env(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", "false")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for a local run."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_rq",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "transcripts",
    "workers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "speechsite.urls"
WSGI_APPLICATION = "speechsite.wsgi.application"

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
            ],
        },
    },
]

DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var")))
SQLITE_URL = f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL", SQLITE_URL), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A fresh checkout has no var/ yet; SQLite creates the file, not its folder.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Workers and the web process write the same file: wait for locks instead of
    # failing at once, and let readers go on while a worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "transcripts:history"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling: lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Media has no public URL: audio and downloads are served by views that
    # check the owner.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedStaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
MEDIA_ROOT = STORAGES["default"]["OPTIONS"]["location"]
if env("S3_BUCKET"):
    # Media in an S3-compatible bucket (speechsite/s3_settings.py): no disk is
    # shared between the web host and the workers.
    STORAGES["default"] = s3_media_storage(env)
MEDIA_URL = None
WHITENOISE_USE_FINDERS = DEBUG

# Uploads always stream to a temporary file on disk, never into memory.
FILE_UPLOAD_HANDLERS = ["transcripts.uploads.LimitedTemporaryFileUploadHandler"]
FILE_UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR") or None
MAX_UPLOAD_BYTES = int(env("MAX_UPLOAD_BYTES", str(2 * 1024**3)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The speech models the site offers (transcripts/offered_models.py): STT_MODELS
# lists them (NAME=ENGINE:SOURCE[:LANGUAGES], the first is the default); without
# it the site offers STT_MODEL alone, a CTC model for English.
STT_MODEL = env("STT_MODEL", "facebook/hubert-large-ls960-ft")
STT_MODELS = env("STT_MODELS", "")
try:
    OFFERED_MODELS = parse_offered_models(STT_MODELS, STT_MODEL)
except ValueError as exc:
    raise ImproperlyConfigured(f"STT_MODELS: {exc}") from None

# The queues: one per offered model (the default model's is "transcribe"), all
# on one Redis; a worker listens on the queues of the models it has.
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
TRANSCRIBE_QUEUE = "transcribe"
# Summaries need no speech model: every worker serves this queue, whatever models it runs.
SUMMARY_QUEUE = "summaries"
# REDIS_SENTINELS (host:port,...) instead: the master is asked of Sentinel.
RQ_QUEUES = {
    queue: {**redis_connection(env), "DEFAULT_TIMEOUT": 3600}
    for queue in dict.fromkeys([TRANSCRIBE_QUEUE, SUMMARY_QUEUE, *(model.queue for model in OFFERED_MODELS)])
}
RQ_SHOW_ADMIN_LINK = True

# How jobs run.
STT_PRECISION = env("STT_PRECISION", "auto")  # auto | fp32 | bf16 | fp16 | int8
# What runs a CTC model's forward: torch, onnxruntime (its graph exported once,
# cached beside the model or in STT_ONNX_CACHE_DIR when that folder is read-only),
# or auto (the one measured faster for the device: onnxruntime on a CPU that runs
# fp32, torch elsewhere; see the README).
STT_RUNTIME = env("STT_RUNTIME", "auto")
if STT_RUNTIME not in ("auto", "torch", "onnxruntime"):
    raise ImproperlyConfigured(f"STT_RUNTIME must be auto, torch or onnxruntime, not {STT_RUNTIME!r}")
STT_ONNX_CACHE_DIR = env("STT_ONNX_CACHE_DIR", str(DATA_DIR / "onnx"))
# CPU threads for the model (empty: the cores the worker may use), and how much
# memory one CPU batch of chunks may take.
STT_THREADS = int(env("STT_THREADS", "0")) or None
STT_CPU_BATCH_MB = float(env("STT_CPU_BATCH_MB", "512"))
# Whisper models: beams per window (1 is greedy: faster, less accurate) and how
# many 30-s windows are decoded together.
WHISPER_BEAM_SIZE = int(env("WHISPER_BEAM_SIZE", "5"))
WHISPER_BATCH_SIZE = int(env("WHISPER_BATCH_SIZE", "8"))
SPLIT_MIN_SPACE_S = float(env("SPLIT_MIN_SPACE_S", "25"))
SPLIT_MAX_SPACE_S = float(env("SPLIT_MAX_SPACE_S", "45"))
# Decoding: beam search (the default: ~0.2% of the model's time) or greedy; a
# person's word list and an optional n-gram language model (ARPA file) need
# beam search and switch it on.
STT_DECODER = env("STT_DECODER", "beam")
if STT_DECODER not in ("beam", "greedy"):
    raise ImproperlyConfigured(f"STT_DECODER must be beam or greedy, not {STT_DECODER!r}")
STT_BEAM_SIZE = int(env("STT_BEAM_SIZE", "25"))
STT_LM_PATH = env("STT_LM_PATH", "")
STT_LM_WEIGHT = float(env("STT_LM_WEIGHT", "0.5"))
STT_WORD_SCORE = float(env("STT_WORD_SCORE", "1.0"))
STT_HOTWORD_WEIGHT = float(env("STT_HOTWORD_WEIGHT", "1.0"))
# Readable transcripts: each stage can be switched off for the site here, and
# per job by its owner. Empty model settings switch their stage off.
WORD_LISTS = env_bool("WORD_LISTS", "true")
NUMBERS_AS_DIGITS = env_bool("NUMBERS_AS_DIGITS", "true")
PUNCTUATION_MODEL = env("PUNCTUATION_MODEL", "felflare/bert-restore-punctuation")
# Who spoke: offered per job unless switched off here. SPEAKER_ENCODER: a
# Resemblyzer-format voice encoder file or folder; empty: the one inside the
# Resemblyzer package (bin/setup installs it).
DIARIZATION = env_bool("DIARIZATION", "true")
SPEAKER_ENCODER = env("SPEAKER_ENCODER", "")
SUMMARY_MODEL = env("SUMMARY_MODEL", "sshleifer/distilbart-cnn-12-6")
# A summary job may run this long before RQ stops it (they are slow on CPUs).
SUMMARY_TIMEOUT_S = int(env("SUMMARY_TIMEOUT_S", "3600"))
# A job may run this many seconds per second of media, plus a fixed allowance
# for loading the model and downloading, before RQ stops it.
JOB_TIMEOUT_FACTOR = float(env("JOB_TIMEOUT_FACTOR", "2.0"))
JOB_TIMEOUT_BASE_S = int(env("JOB_TIMEOUT_BASE_S", "600"))
# A running job writes a heartbeat; when it stops for this long the worker is
# taken for dead and the job is requeued, up to JOB_MAX_ATTEMPTS attempts.
JOB_HEARTBEAT_S = float(env("JOB_HEARTBEAT_S", "15"))
# 90 s (six missed heartbeats) plus one reaper round (15 s): a dead worker's
# job is queued again within two minutes.
JOB_STALE_AFTER_S = float(env("JOB_STALE_AFTER_S", "90"))
JOB_MAX_ATTEMPTS = int(env("JOB_MAX_ATTEMPTS", "3"))
# Workers copy a job's media from the storage into a folder of their own,
# removed after the job: WORKER_TEMP_DIR (default: the system's temporary
# folder), holding at most WORKER_TEMP_MAX_BYTES (0: as much as is free).
WORKER_TEMP_DIR = env("WORKER_TEMP_DIR") or None
WORKER_TEMP_MAX_BYTES = int(env("WORKER_TEMP_MAX_BYTES", "0"))
# A user may have this many unfinished (queued or running) jobs at once.
MAX_UNFINISHED_JOBS_PER_USER = int(env("MAX_UNFINISHED_JOBS_PER_USER", "20"))

# URL ingestion.
URL_MAX_BYTES = int(env("URL_MAX_BYTES", str(2 * 1024**3)))
URL_MAX_DURATION_S = int(env("URL_MAX_DURATION_S", str(4 * 3600)))
URL_SOCKET_TIMEOUT_S = float(env("URL_SOCKET_TIMEOUT_S", "20"))
# Hosts (names, addresses or networks) exempt from the private-address check.
# Empty by default; for tests and private deployments only.
# An entry with a port ("media.internal:8080") opens that port only.
URL_ALLOWED_HOSTS = env_list("URL_ALLOWED_HOSTS")
try:
    AllowList(URL_ALLOWED_HOSTS)  # only parses: names are resolved when used
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

# The API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["transcripts.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "speechsite API",
    "DESCRIPTION": "Speech-to-text jobs, OpenAI- and whisper-asr-webservice-compatible endpoints.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}
# The OpenAI and /asr endpoints hold the request until the job ends; keep this
# below the web server's timeout (gunicorn --timeout 300 in bin/run).
API_WAIT_LIMIT_S = float(env("API_WAIT_LIMIT_S", "240"))
# The site's public address, e.g. https://speech.example.com: webhooks sent by
# workers carry absolute links only when it is set.
SITE_URL = env("SITE_URL", "")

# Production hardening; with DEBUG off `manage.py check --deploy` passes.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", "false") else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", "false" if DEBUG else "true")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", "true")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
