"""Health endpoints for people and orchestrators.

``/livez``: the process answers. ``/readyz``: every dependency is reachable (503 otherwise), so a
load balancer stops routing here. ``/healthz``: the same checks with their details, always JSON.
"""

import logging
import time
import uuid

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from socialflow.celery import app as celery_app

logger = logging.getLogger(__name__)


def _check_db() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_storage() -> None:
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)


CHECKS = {"db": _check_db, "cache": _check_cache, "broker": _check_broker, "storage": _check_storage}


def run_checks() -> tuple[bool, dict]:
    results, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:
            healthy = False
            # The message (hosts, users, paths) goes to the log only: the endpoint is public.
            logger.warning("health check %s failed: %s", name, exc)
            results[name] = {"status": "error", "error": type(exc).__name__}
        else:
            results[name] = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
    return healthy, results


@never_cache
def healthz(request):
    healthy, checks = run_checks()
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


@never_cache
def readyz(request):
    healthy, checks = run_checks()
    return JsonResponse(
        {"status": "ready" if healthy else "not ready", "checks": checks}, status=200 if healthy else 503
    )


@never_cache
def livez(request):
    return JsonResponse({"status": "alive"})
