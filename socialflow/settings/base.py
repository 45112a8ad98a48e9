"""Settings shared by every domain: core, database, cache and channel layers, Celery, storage, email,
auth, the REST API, logging and security.

Everything comes from environment variables through one ``env`` object. With no variables set the
project runs fully embedded on one machine; each variable switches one concern to the real
distributed service. See docs/configuration.md for the full list.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django_guid.integrations import CeleryIntegration

from socialflow.embedded.redis_server import redis_url as embedded_redis_url
from socialflow.envtools import env, env_secret, persistent_secret_key
from socialflow.redis import cache_config, channel_layers_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- core -----------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
# The embedded mode (no DATABASE_URL: one machine) makes its key once under VAR_DIR. Anywhere else
# every web process, worker and ingest must share one key (JWTs, the ingest secret and signed media
# derive from it), so a missing one stops start-up instead of each machine inventing its own.
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if env.str("DATABASE_URL", default=""):
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set when DATABASE_URL is: every process of the "
            "deployment must share one key. Generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = persistent_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_prometheus",
    "django_guid",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by us: pinned, no third-party CDN, works offline
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "djstripe",
    "socialflow.reliability",
    # Social Flow: the core's own tables (domain-event outbox), then the domains
    "socialflow.core",
    "accounts",
    "videos",
    "posts",
    "monetization",
    "copyright",
    "live",
    "notifications",
    "analytics",
    "moderation",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.BannedSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "socialflow.urls"
WSGI_APPLICATION = "socialflow.wsgi.application"
ASGI_APPLICATION = "socialflow.asgi.application"

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

# --- database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the ASGI server and the Celery worker read while the other writes; IMMEDIATE
    # transactions take the write lock up front so concurrent writers wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    # Under ASGI every sync request runs in a fresh thread, so per-thread persistent connections
    # (CONN_MAX_AGE) are never reused; psycopg's pool gives each request a warm connection.
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, redis, channel layer ------------------------------------------------------------------
# Without REDIS_URL, the embedded redis-server (socialflow/embedded, started by `make run` on
# 127.0.0.1:EMBEDDED_REDIS_PORT, data under VAR_DIR) serves everything Redis does in production.
EMBEDDED_REDIS = not env.str("REDIS_URL", default="")
EMBEDDED_REDIS_PORT = env.int("EMBEDDED_REDIS_PORT", default=6380)
REDIS_URL = env.str("REDIS_URL", default="") or embedded_redis_url(EMBEDDED_REDIS_PORT)
# Every Redis client is bounded (socialflow.redis): a frozen Redis costs at most one socket timeout
# per process per breaker window; then calls fail at once and the API answers 503 + Retry-After.
REDIS_CONNECT_TIMEOUT_S = env.float("REDIS_CONNECT_TIMEOUT_S", default=0.5)
REDIS_SOCKET_TIMEOUT_S = env.float("REDIS_SOCKET_TIMEOUT_S", default=0.5)
REDIS_BREAKER_S = env.float("REDIS_BREAKER_S", default=2.0)
# Hydration caches (socialflow.hydration): how long an entry lives. Writes invalidate entries
# exactly; this only bounds staleness after a write that could not reach Redis.
HYDRATION_TTL_S = env.int("HYDRATION_TTL_S", default=300)
DEPENDENCY_RETRY_AFTER_S = env.int("DEPENDENCY_RETRY_AFTER_S", default=5)  # Retry-After of those 503s
# channels-redis blocks in BZPOPMIN for this long when receiving; its socket timeout must be longer.
CHANNEL_LAYER_RECEIVE_BLOCK_S = 1
CACHES = {
    "default": cache_config(
        REDIS_URL,
        key_prefix=env.str("CACHE_KEY_PREFIX", default="sf"),
        connect_timeout_s=REDIS_CONNECT_TIMEOUT_S,
        socket_timeout_s=REDIS_SOCKET_TIMEOUT_S,
    )
}
CHANNEL_LAYER_PREFIX = env.str("CHANNEL_LAYER_PREFIX", default="sf:asgi")
CHANNEL_LAYERS = channel_layers_config(
    REDIS_URL,
    prefix=CHANNEL_LAYER_PREFIX,
    connect_timeout_s=REDIS_CONNECT_TIMEOUT_S,
    socket_timeout_s=REDIS_SOCKET_TIMEOUT_S,
    receive_block_s=CHANNEL_LAYER_RECEIVE_BLOCK_S,
)
# Per-process fallback for throttles and action rate limits while the shared cache is unreachable.
CACHES["local"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "socialflow-local"}

# --- celery ---------------------------------------------------------------------------------------
# The broker is the same Redis unless CELERY_BROKER_URL names another (RabbitMQ in production).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://", "unix://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_S,
        "socket_timeout": max(REDIS_SOCKET_TIMEOUT_S, 1.0),
    }
# With one worker (the embedded mode), messages a killed worker had taken but not acknowledged are
# put back when its replacement starts instead of after the transport's visibility timeout (1 h).
CELERY_RESTORE_UNACKED_ON_START = env.bool("CELERY_RESTORE_UNACKED_ON_START", default=EMBEDDED_REDIS)
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT_S
# A publish to an unreachable broker gives up quickly (socialflow.reliability.queue then keeps the
# task in the database and re-drives it) instead of holding the request for kombu's default ~1 min.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"videos.tasks.transcode_*": {"queue": "transcode"}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {  # each domain adds its periodic tasks in its section below
    # tasks whose publish failed while the broker was down (socialflow.reliability.queue)
    "reliability-redrive-deferred-tasks": {
        "task": "socialflow.reliability.tasks.redrive_deferred_tasks",
        "schedule": timedelta(seconds=env.int("DEFERRED_TASKS_REDRIVE_S", default=10)),
    },
    "reliability-prune-idempotency-keys": {
        "task": "socialflow.reliability.tasks.prune_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
}
# Idempotency-Key records (socialflow.api.idempotency) are kept this long.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)

# --- domain events (socialflow/core/events.py) ----------------------------------------------------
# A failing handler is retried after EVENTS_RETRY_BASE, doubling each time (capped at an hour), at
# most EVENTS_MAX_ATTEMPTS tries. The re-drive dispatches events still undispatched after
# EVENTS_REDRIVE_AFTER and releases runs RUNNING longer than EVENTS_HANDLER_TIMEOUT (worker died).
EVENTS_RETRY_BASE = timedelta(seconds=env.int("EVENTS_RETRY_BASE_SECONDS", default=30))
EVENTS_MAX_ATTEMPTS = env.int("EVENTS_MAX_ATTEMPTS", default=8)
EVENTS_REDRIVE_AFTER = timedelta(seconds=env.int("EVENTS_REDRIVE_AFTER_SECONDS", default=30))
EVENTS_HANDLER_TIMEOUT = timedelta(minutes=env.int("EVENTS_HANDLER_TIMEOUT_MINUTES", default=15))
EVENTS_RETENTION = timedelta(days=env.int("EVENTS_RETENTION_DAYS", default=7))
CELERY_BEAT_SCHEDULE["core-events-redrive"] = {  # a lost message is re-driven within twice this
    "task": "socialflow.core.events.redrive_events",
    "schedule": EVENTS_REDRIVE_AFTER,
}
CELERY_BEAT_SCHEDULE["core-events-prune"] = {
    "task": "socialflow.core.events.prune_events",
    "schedule": crontab(hour=4, minute=10),
}

# --- storage --------------------------------------------------------------------------------------
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# Outside VAR_DIR in the image (STATIC_ROOT=/app/staticfiles): a volume on VAR_DIR would hide them.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_URL = "/static/"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "socialflow" / "static"]
# Browser libraries installed from npm by `make install` (npm ci; node_modules is not committed):
# only their distribution files are served, under /static/vendor/<package>/.
NPM_STATIC = {"tus-js-client": BASE_DIR / "node_modules" / "tus-js-client" / "dist"}
STATICFILES_DIRS += [(f"vendor/{name}", path) for name, path in NPM_STATIC.items() if path.is_dir()]
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
USE_S3 = bool(AWS_STORAGE_BUCKET_NAME)
if USE_S3:
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
    AWS_ACCESS_KEY_ID = env_secret("AWS_ACCESS_KEY_ID") or None
    AWS_SECRET_ACCESS_KEY = env_secret("AWS_SECRET_ACCESS_KEY") or None
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None  # the CDN
    AWS_QUERYSTRING_AUTH = env.bool("AWS_QUERYSTRING_AUTH", default=False)
    AWS_S3_FILE_OVERWRITE = True
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Non-public media (private videos, originals) only through signed paths/presigned URLs that expire:
# long enough to watch a long video in one sitting; originals are for a download started now.
MEDIA_SIGNED_URL_TTL = env.int("MEDIA_SIGNED_URL_TTL", default=6 * 3600)
MEDIA_ORIGINAL_URL_TTL = env.int("MEDIA_ORIGINAL_URL_TTL", default=10 * 60)
# Local media is served by the app itself (with HTTP range support) unless a CDN/S3 is in front.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=not USE_S3)
FILE_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# Refused from Content-Length before the body is read (socialflow.body_limit); video uploads get
# their own, larger limit in the videos section.
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=64 * 1024 * 1024)
REQUEST_BODY_LIMITS: list[tuple[str, int]] = []

# --- email ----------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Social Flow <no-reply@socialflow.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/studio/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Social Flow] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Social Flow"
SOCIALACCOUNT_PROVIDERS = env.json("SOCIALACCOUNT_PROVIDERS", default={})

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env_secret("JWT_SIGNING_KEY") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Access tokens carry a hash of the password hash: a password change or reset revokes them too.
    "CHECK_REVOKE_TOKEN": True,
}

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.JWTAuthentication",
        "accounts.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "socialflow.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "socialflow.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "socialflow.api.exceptions.exception_handler",
    # DRF's JSON, written by orjson (socialflow.api.renderers); the browsable API as before.
    "DEFAULT_RENDERER_CLASSES": [
        "socialflow.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Bounded nesting and strict Unicode: a deeply nested body is a 400, never a RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "socialflow.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "socialflow.api.throttling.AnonRateThrottle",
        "socialflow.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="1200/min"),
        "user": env.str("THROTTLE_USER", default="6000/min"),
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        "register": env.str("THROTTLE_REGISTER", default="10/hour"),
        "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="5/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # uvicorn --proxy-headers already resolves the client address from trusted proxies
    # (FORWARDED_ALLOW_IPS); throttles must not trust a client-sent X-Forwarded-For.
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Social Flow API",
    "DESCRIPTION": "Video + microblog social platform. See API.md for the contract.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["socialflow.api.schema.drop_trailing_slash_twins"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "socialflow.api.schema.document_errors",
    ],
    # Choice sets that share a field name get stable component names (instead of hashed ones).
    "ENUM_NAME_OVERRIDES": {
        # One Visibility (socialflow.core.visibility); each kind of content allows a subset.
        "VideoVisibilityEnum": "videos.models.VIDEO_VISIBILITY_CHOICES",
        "PlaylistVisibilityEnum": "videos.models.PLAYLIST_VISIBILITY_CHOICES",
        "PostVisibilityEnum": "posts.models.POST_VISIBILITY_CHOICES",
        "VideoStatusEnum": "videos.models.Video.Status",
        "StreamStatusEnum": "live.models.Stream.Status",
    },
}

# --- request ids, logging, metrics ----------------------------------------------------------------
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "RETURN_HEADER": True,
    # django-guid would replace Access-Control-Expose-Headers that views set (tus: Location, Upload-Offset)
    "EXPOSE_HEADER": False,
    "VALIDATE_GUID": False,
    "UUID_LENGTH": 32,
    # Tasks carry the id of the request that queued them, so their log lines share it.
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)],
}
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# ``Server-Timing: app;dur=<ms>`` on HTTP responses (socialflow.server_timing); benchmarks turn it on.
SERVER_TIMING = env.bool("SERVER_TIMING", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "django_guid.log_filters.CorrelationId"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(correlation_id)s %(message)s",
            "rename_fields": {"correlation_id": "request_id", "levelname": "level"},
        },
        "console": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": env.str("LOG_FORMAT", default="json"),
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django_guid": {"level": "WARNING"},
    },
}

# --- security -------------------------------------------------------------------------------------
# Behind TLS (production) set SECURE_HTTPS=true: HSTS, secure cookies, redirect to https.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=False)
if SECURE_HTTPS:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^(healthz|livez|readyz)/?$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
