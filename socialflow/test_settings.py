"""Test settings: the real settings, made fast and isolated per pytest-xdist worker."""

import atexit
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from socialflow.embedded.redis_server import EmbeddedRedis

_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_worker_index = int(_worker[2:]) if _worker[2:].isdigit() else 0

# An embedded server the pytest controller started is its own; this process starts another.
if os.environ.pop("SF_TEST_EMBEDDED_REDIS", "") == "1":
    os.environ.pop("REDIS_URL", None)
# Each xdist worker gets its own Redis database, so flushing one never touches another's keys.
if os.environ.get("REDIS_URL"):
    _parts = urlsplit(os.environ["REDIS_URL"])
    _db_base = int(os.environ.get("TEST_REDIS_DB_BASE", "1"))
    os.environ["REDIS_URL"] = urlunsplit(_parts._replace(path=f"/{_db_base + _worker_index}"))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix=f"socialflow-test-{_worker}-"))
# Outside the embedded mode settings refuse to start without a shared key; tests make one up.
os.environ.setdefault("SECRET_KEY", "test-only-" + "x" * 40)

if not os.environ.get("REDIS_URL"):
    # The embedded mode's real redis-server, one per test process (no persistence), so the suite
    # runs the same Redis code paths as `make run` does.
    _embedded_redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix=f"sf-test-redis-{_worker}-")), persistent=False)
    _embedded_redis.start()
    atexit.register(_embedded_redis.stop)
    os.environ["REDIS_URL"] = _embedded_redis.url
    os.environ["SF_TEST_EMBEDDED_REDIS"] = "1"

from socialflow.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
# The automatic classifiers (models loaded per process) run only in the tests that turn them on.
MODERATION_AUTO_CLASSIFY = False
# Creator plans' quotas apply only in the tests that turn them on (fixtures make dozens of videos).
CREATOR_QUOTAS_ENFORCED = False
CELERY_BROKER_URL = "memory://"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = "WARNING"
ALLOWED_HOSTS = ["*"]
# Async consumer tests leave a pooled connection behind per test (their executor threads end with
# the test's event loop); conftest.py refills the pool per module, and this leaves a module of them
# room. Two xdist workers × 40 stay under PostgreSQL's default max_connections (100).
if "pool" in DATABASES["default"].get("OPTIONS", {}):
    DATABASES["default"]["OPTIONS"]["pool"]["max_size"] = 40
# dj-stripe's tables straight from its models on SQLite (syncdb): the schema its squashed migration
# (monetization/djstripe_migrations) creates, a few seconds sooner per test database. PostgreSQL
# runs the migration (syncdb would create them before the user table they point at).
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    MIGRATION_MODULES = {"djstripe": None}
