"""Shared set-up for the videos benchmarks: an isolated embedded VAR_DIR (unless a database is
configured), migrations applied, and a bench user."""

import os
import shutil
import tempfile

_made: list[str] = []


def prepare(prefix: str):
    """Returns the bench user; a temporary VAR_DIR made here is removed by ``cleanup()``."""
    if not os.environ.get("DATABASE_URL") and "VAR_DIR" not in os.environ:
        os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix=f"sf-bench-{prefix}-")
        _made.append(os.environ["VAR_DIR"])
    from bench.common import setup_django

    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from accounts.models import User

    user, _ = User.objects.get_or_create(
        username=f"bench_{prefix}", defaults={"email": f"bench_{prefix}@socialflow.local"}
    )
    user.set_password("bench-password-123")
    user.save(update_fields=["password"])
    return user


def cleanup() -> None:
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)
