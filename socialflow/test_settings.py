"""Test settings: the real settings, made fast and isolated per pytest-xdist worker."""

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_worker_index = int(_worker[2:]) if _worker[2:].isdigit() else 0

# Each xdist worker gets its own Redis database, so flushing one never touches another's keys.
if os.environ.get("REDIS_URL"):
    _parts = urlsplit(os.environ["REDIS_URL"])
    _db_base = int(os.environ.get("TEST_REDIS_DB_BASE", "1"))
    os.environ["REDIS_URL"] = urlunsplit(_parts._replace(path=f"/{_db_base + _worker_index}"))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix=f"socialflow-test-{_worker}-"))

from socialflow.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = "WARNING"
ALLOWED_HOSTS = ["*"]
