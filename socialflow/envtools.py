"""Typed environment access shared by settings and scripts.

One ``env`` object (django-environ) fails loudly on a malformed value; ``env_secret`` also reads
``NAME_FILE`` so secrets can come from mounted files (Docker/Kubernetes secrets).
"""

import os
import secrets
import time
from pathlib import Path

import environ

env = environ.Env()


def env_secret(name: str, default: str = "") -> str:
    """Return ``$NAME``, else the stripped contents of the file named by ``$NAME_FILE``."""
    value = env.str(name, default="")
    if value:
        return value
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise environ.ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return default


def persistent_secret_key(path: Path) -> str:
    """A random key made once per machine, so the embedded mode needs no SECRET_KEY variable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several processes start at once, exactly one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.05)
        raise environ.ImproperlyConfigured(f"{path} is empty; delete it to make a new key") from None
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
