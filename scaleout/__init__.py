"""``make scaleout-test``: the documented scale-out topology (docs/deploy.md) on this machine.

Two uvicorn web processes, one Celery worker on RabbitMQ, one beat and a moto S3 server against
PostgreSQL and Redis, each app process with a VAR_DIR of its own (nothing shared but the services),
driven through real clients alternating between the two web processes. Everything it starts it
stops; every wait is bounded.
"""
