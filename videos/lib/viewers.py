"""Who a viewer is, for counting views once per viewer: a user's id, or a keyed hash of IP + agent."""

import hashlib

from django.conf import settings


def viewer_key_for(*, user, ip: str, user_agent: str) -> str:
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|{ip}|{user_agent}".encode()).hexdigest()
    return f"a:{digest[:64]}"
