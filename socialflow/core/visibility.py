"""Who may see a piece of content: one vocabulary for every app (videos, posts, playlists, and the
apps to come). Each kind of content allows a subset, declared next to its model with ``choices``;
the rules that apply a visibility are the access layer's (``socialflow.core.access``).

The values are stored in the database and are part of the API: never rename one.
"""

from django.db import models


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    UNLISTED = "unlisted", "Unlisted"  # reachable by link, left out of lists, search and trends
    PRIVATE = "private", "Private"  # the owner only
    FOLLOWERS = "followers", "Followers only"
    MEMBERS = "members", "Members only"  # the creator's channel members
    DIRECT = "direct", "Mentioned people only"


def choices(*allowed: Visibility) -> list[tuple[str, str]]:
    """``choices=`` for a model or serializer field that allows only ``allowed`` (in that order)."""
    return [(member.value, member.label) for member in allowed]
