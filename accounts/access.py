"""Access rules of the ``user`` kind, and the social-graph filters every other kind's rules use.

Registered from ``AccountsConfig.ready()``. The graph filters (blocked either way, followed,
muted) are written once here as subqueries, so a rule never loads id sets into Python.
"""

from django.db.models import Q

from accounts.models import PERMANENT_BAN_UNTIL, Block, Follow, Mute, User
from socialflow.core import access

# --- graph filters (``field`` names the user id column of the filtered model) ----------------------


def blocked_either_way_q(viewer, *, field: str = "author_id") -> Q:
    """Rows whose user (``field``) blocks the viewer or is blocked by them (none for anonymous)."""
    uid = access.viewer_id(viewer)
    if uid is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": Block.objects.filter(blocker_id=uid).values("blocked_id")}) | Q(
        **{f"{field}__in": Block.objects.filter(blocked_id=uid).values("blocker_id")}
    )


def muted_q(viewer, *, field: str = "author_id") -> Q:
    uid = access.viewer_id(viewer)
    if uid is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": Mute.objects.filter(muter_id=uid).values("muted_id")})


def followed_q(viewer, *, field: str = "author_id") -> Q:
    """Rows whose user (``field``) the viewer follows (approved follows only)."""
    uid = access.viewer_id(viewer)
    if uid is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": Follow.objects.filter(follower_id=uid).values("followee_id")})


def is_blocked_either_way(viewer, user_id: int) -> bool:
    uid = access.viewer_id(viewer)
    if uid is None or uid == user_id:
        return False
    return Block.objects.filter(Q(blocker_id=uid, blocked_id=user_id) | Q(blocker_id=user_id, blocked_id=uid)).exists()


def follows(viewer, user_id: int) -> bool:
    uid = access.viewer_id(viewer)
    return uid is not None and Follow.objects.filter(follower_id=uid, followee_id=user_id).exists()


def hidden_author_ids(viewer) -> set[int]:
    """Users whose content the viewer must not see in lists: blocked either way, or muted (one query)."""
    uid = access.viewer_id(viewer)
    if uid is None:
        return set()
    rows = (
        Block.objects.filter(blocker_id=uid)
        .values_list("blocked_id", flat=True)
        .union(
            Block.objects.filter(blocked_id=uid).values_list("blocker_id", flat=True),
            Mute.objects.filter(muter_id=uid).values_list("muted_id", flat=True),
        )
    )
    return set(rows)


def account_alive_q(prefix: str = "") -> Q:
    """Accounts that exist for other people: not deleted, active, not permanently banned."""
    return Q(**{f"{prefix}deleted_at__isnull": True, f"{prefix}is_active": True}) & ~Q(
        **{f"{prefix}banned_until__gte": PERMANENT_BAN_UNTIL}
    )


# --- the user kind ----------------------------------------------------------------------------------


class UserPolicy(access.Policy):
    """Profiles: every live account is visible (a block shows the profile with its flags, not a 404);
    one's own account always. Acting on someone (follow, message, mention) needs no block between."""

    def owner_id(self, obj) -> int | None:
        return obj.pk

    def visible_q(self, viewer, prefix: str = "") -> Q:
        q = account_alive_q(prefix)
        uid = access.viewer_id(viewer)
        return q | Q(**{f"{prefix}pk": uid}) if uid is not None else q

    def can_view(self, viewer, obj) -> bool:
        if access.viewer_id(viewer) == obj.pk:
            return True
        return obj.deleted_at is None and obj.is_active and not obj.is_permanently_banned

    def can_act(self, viewer, action: str, obj) -> bool:
        uid = access.viewer_id(viewer)
        if uid is None:
            return False
        if action in ("edit", "delete"):
            return uid == obj.pk
        if uid == obj.pk:
            return action not in ("follow", "block", "mute")
        if action in ("block", "mute"):
            return True  # blocking someone who blocked you is allowed (and needed)
        return not is_blocked_either_way(viewer, obj.pk)

    def see_connections(self, viewer, obj) -> str | None:
        """Why ``viewer`` may not list ``obj``'s followers/following (``None``: they may)."""
        uid = access.viewer_id(viewer)
        if uid == obj.pk:
            return None
        if uid is not None and is_blocked_either_way(viewer, obj.pk):
            return "blocked"
        if obj.is_private and not follows(viewer, obj.pk):
            return "private"
        return None


def register() -> None:
    access.register_policy("user", UserPolicy(), model=User)
