"""Reads for accounts and the social graph (``accounts.selectors.graph``, re-exported here).

Other apps use ``user_get_by_username`` (the one way to find a user by name), ``user_search`` and the
graph reads."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from accounts.selectors.graph import (
    Relationship,
    access_follow_lists,
    follow_request_pending,
    follow_requests_for,
    follower_ids,
    followers_of,
    following_ids,
    following_of,
    hidden_author_ids_for,
    is_blocked_either_way,
    is_following,
    user_relationship,
)
from socialflow.core import access
from socialflow.core.exceptions import NotFound


def _visible_users(viewer=None) -> QuerySet[User]:
    """Accounts that exist for ``viewer`` (the ``user`` kind's policy: not deleted, active, not
    permanently banned; one's own account always). Without a viewer: as anyone sees them."""
    return access.visible_to("user", viewer)


def _username(username: str | None) -> str | None:
    """The name a path or form means: an optional leading ``@`` dropped. ``None`` for what no
    account can be called (empty, or with a NUL, which PostgreSQL refuses in a query: a 500)."""
    name = (username or "").lstrip("@")
    return name if name and "\x00" not in name else None


def user_get_by_username(*, username: str) -> User:
    """The account ``username`` names, as other people see it, else ``NotFound`` (404).

    The one rule for a user named in a path or a form: case-insensitive (usernames are unique
    regardless of case), an optional leading ``@``; deleted, deactivated and permanently banned
    accounts do not exist for others (``_visible_users``), so they are not found either.
    """
    name = _username(username)
    user = _visible_users().filter(username__iexact=name).first() if name else None
    if user is None:
        raise NotFound("No such user.", code="not_found")
    return user


def users_get_by_usernames(*, usernames) -> QuerySet[User]:
    """The accounts these names denote, by the rule of ``user_get_by_username`` (unknown names are
    simply missing: compare ``username.lower()`` to tell which)."""
    names = {name.lower() for name in map(_username, usernames) if name}
    return _visible_users().annotate(username_lower=Lower("username")).filter(username_lower__in=names)


def user_search(*, query: str, viewer, limit: int = 20) -> QuerySet[User]:
    """Users whose username or display name contains ``query``: exact username first, then prefix
    matches, then by followers. Excludes deleted and permanently banned users, and for a signed-in
    viewer those blocked either way or muted (``hidden_author_ids_for``)."""
    query = (query or "").strip().lstrip("@")
    if not query:
        return User.objects.none()
    qs = _visible_users(viewer).filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        hidden = hidden_author_ids_for(viewer_id=viewer.pk)
        if hidden:
            qs = qs.exclude(pk__in=hidden)
    qs = qs.annotate(
        match_rank=Case(
            When(username__iexact=query, then=Value(0)),
            When(username__istartswith=query, then=Value(1)),
            When(display_name__istartswith=query, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    )
    return qs.order_by("match_rank", "-followers_count", "username")[: max(0, min(limit, 100))]


def user_get_for_login(*, login: str) -> User | None:
    """The account a login form names (username or email, any case), or ``None``."""
    login = (login or "").strip()
    if not login:
        return None
    field = "email__iexact" if "@" in login else "username__iexact"
    return User.objects.filter(**{field: login}).first()


def user_get_for_password_reset(*, email: str) -> User | None:
    if not email:
        return None
    return User.objects.filter(email__iexact=email, is_active=True, deleted_at__isnull=True).first()


def user_has_totp(*, user: User) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def user_email_verified(*, user: User) -> bool:
    return EmailAddress.objects.filter(user_id=user.pk, email__iexact=user.email, verified=True).exists()


@dataclass(frozen=True)
class OwnAccount:
    user: User
    email_verified: bool
    two_factor_enabled: bool


def own_account_get(*, user: User) -> OwnAccount:
    """The caller's own account with its security state (two queries)."""
    return OwnAccount(
        user=user,
        email_verified=user_email_verified(user=user),
        two_factor_enabled=user_has_totp(user=user),
    )


@dataclass(frozen=True)
class Profile:
    user: User
    relationship: Relationship


def user_profile_get(*, username: str, viewer) -> Profile:
    """A public profile as ``viewer`` sees it; deleted and permanently banned accounts are 404."""
    user = user_get_by_username(username=username)
    viewer = viewer if viewer is not None and viewer.is_authenticated else None
    return Profile(user=user, relationship=user_relationship(viewer=viewer, target=user))


def users_due_for_purge(*, now=None) -> QuerySet[User]:
    from django.conf import settings

    cutoff = (now or timezone.now()) - settings.ACCOUNT_PURGE_AFTER
    return User.objects.filter(deleted_at__lte=cutoff, purged_at__isnull=True)


__all__ = [
    "OwnAccount",
    "Profile",
    "Relationship",
    "access_follow_lists",
    "follow_request_pending",
    "follow_requests_for",
    "follower_ids",
    "followers_of",
    "following_ids",
    "following_of",
    "hidden_author_ids_for",
    "is_blocked_either_way",
    "is_following",
    "own_account_get",
    "user_email_verified",
    "user_get_by_username",
    "user_get_for_login",
    "user_get_for_password_reset",
    "user_has_totp",
    "user_profile_get",
    "user_relationship",
    "user_search",
    "users_get_by_usernames",
    "users_due_for_purge",
]
