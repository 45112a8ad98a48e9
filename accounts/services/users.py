"""Writes for users: creation and registration, profile, deletion and purge, counters, activity."""

import logging
import re
import uuid
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, RestrictedError
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.lib.images import InvalidImage, normalize_avatar
from accounts.models import User, username_validator, validate_time_zone
from accounts.selectors.graph import follower_ids, following_ids
from accounts.services.tokens import tokens_revoke_all
from socialflow.core import events
from socialflow.core.audit import audit_record
from socialflow.core.exceptions import InvalidInput
from socialflow.hydration import hydration_invalidate
from socialflow.reliability.queue import enqueue_on_commit

logger = logging.getLogger(__name__)

COUNTER_FIELDS = frozenset({"followers_count", "following_count", "posts_count", "videos_count"})
LAST_SEEN_RESOLUTION = timedelta(minutes=5)
MAX_LINKS = 5
# Names that would read as official or collide with routes and anonymised accounts.
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "api", "auth", "me", "moderator", "root", "settings", "socialflow", "staff",
     "studio", "support", "system", "deleted", "null", "undefined"}
)  # fmt: skip
_DELETED_NAME = re.compile(r"^deleted_[0-9a-f]+$", re.IGNORECASE)
_UNSET = object()
_link_validator = URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL.")


def is_reserved_username(username: str) -> bool:
    return username.lower() in RESERVED_USERNAMES or bool(_DELETED_NAME.match(username))


def user_counter_add(*, user_id: int, field: str, delta: int) -> None:
    """Atomically add ``delta`` to one of the user's counters (never below zero).

    Called by the owning domain's services inside their transaction (posts for posts_count and
    follows, videos for videos_count).
    """
    if field not in COUNTER_FIELDS:
        raise ValueError(f"{field!r} is not a user counter")
    User.objects.filter(pk=user_id).update(**{field: Greatest(F(field) + delta, 0)})


def user_counter_set(*, user_id: int, field: str, value: int) -> None:
    """Set a counter to a value its owning domain recounted (exact by construction)."""
    if field not in COUNTER_FIELDS:
        raise ValueError(f"{field!r} is not a user counter")
    User.objects.filter(pk=user_id).update(**{field: max(value, 0)})


def user_mark_seen(*, user: User) -> None:
    """Record activity, at most once per ``LAST_SEEN_RESOLUTION`` (feeds fan out to active users)."""
    now = timezone.now()
    if user.last_seen_at and now - user.last_seen_at < LAST_SEEN_RESOLUTION:
        return
    User.objects.filter(pk=user.pk).update(last_seen_at=now)
    user.last_seen_at = now


def _check_identity_free(*, username: str, email: str) -> None:
    errors = {}
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["A user with that username already exists."]
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = ["A user with that email address already exists."]
    if errors:
        raise InvalidInput(errors=errors)


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    password: str | None,
    display_name: str = "",
    role: str = User.Role.USER,
    is_staff: bool = False,
    is_superuser: bool = False,
    email_verified: bool = False,
) -> User:
    """Create a user and their allauth ``EmailAddress`` (primary). No password validation here:
    ``user_register`` applies the public rules; this is also used by demo data and admins.

    Raises ``InvalidInput`` for a taken username or email (case-insensitive), also under a race.
    """
    try:
        username_validator(username)
    except ValidationError as exc:
        raise InvalidInput(errors={"username": exc.messages}) from exc
    _check_identity_free(username=username, email=email)
    user = User(
        username=username,
        email=email,
        display_name=display_name,
        role=role,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    user.set_password(password)  # None → unusable password
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # lost a race against a concurrent registration
        _check_identity_free(username=username, email=email)  # the winner is visible now: say which
        raise InvalidInput("A user with that username or email already exists.", field="username") from exc
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=email_verified)
    return user


def user_register(*, username: str, email: str, password: str) -> User:
    """Public sign-up: username rules, Django's password validators, then a verification email.

    The email is sent by a task after commit; its link opens allauth's confirmation page and its key
    also works for ``POST auth/email/verify``.
    """
    username = username.strip()
    email = email.strip()
    errors = {}
    try:
        username_validator(username)
    except ValidationError as exc:
        errors["username"] = exc.messages
    if is_reserved_username(username):
        errors["username"] = ["This username is not available."]
    try:
        validate_password(password, user=User(username=username, email=email))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise InvalidInput(errors=errors)
    with transaction.atomic():
        user = user_create(username=username, email=email, password=password)
        address = EmailAddress.objects.get(user=user, email=email)
        enqueue_on_commit("accounts.tasks.send_email_verification", address.pk)
    return user


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    display_name=_UNSET,
    bio=_UNSET,
    links=_UNSET,
    is_private=_UNSET,
    avatar=_UNSET,
    time_zone=_UNSET,
) -> User:
    """Change the public profile. ``avatar`` is an uploaded file (validated and re-encoded as a
    square thumbnail) or ``None`` to remove it. Old avatar files are deleted after commit."""
    fields = []
    errors = {}
    for name, value in (("display_name", display_name), ("bio", bio)):
        if value is _UNSET:
            continue
        value = value.strip()
        limit = User._meta.get_field(name).max_length
        if len(value) > limit:
            errors[name] = [f"At most {limit} characters."]
        setattr(user, name, value)
        fields.append(name)
    if links is not _UNSET:
        links = [link.strip() for link in links if link.strip()]
        if len(links) > MAX_LINKS:
            errors["links"] = [f"At most {MAX_LINKS} links."]
        for link in links:
            try:
                _link_validator(link)
            except ValidationError:
                errors["links"] = [f"{link[:80]!r} is not a valid http(s) URL."]
        user.links = list(dict.fromkeys(links))
        fields.append("links")
    if is_private is not _UNSET:
        user.is_private = bool(is_private)
        fields.append("is_private")
    if time_zone is not _UNSET:
        try:
            validate_time_zone(time_zone)
        except ValidationError as exc:
            errors["time_zone"] = list(exc.messages)
        user.time_zone = time_zone
        fields.append("time_zone")
    old_avatar = user.avatar.name if user.avatar else ""
    if avatar is not _UNSET:
        if avatar is None:
            user.avatar = ""
        else:
            if avatar.size > settings.ACCOUNT_AVATAR_MAX_BYTES:
                errors["avatar"] = [
                    f"The image is larger than {settings.ACCOUNT_AVATAR_MAX_BYTES // (1024 * 1024)} MB."
                ]
            else:
                try:
                    image = normalize_avatar(avatar)
                except InvalidImage as exc:
                    errors["avatar"] = [str(exc)]
                else:
                    if not errors:  # never leave a stored file behind for a rejected update
                        name = f"{user.pk}-{uuid.uuid4().hex[:12]}.{image.extension}"
                        user.avatar.save(name, ContentFile(image.content), save=False)
        fields.append("avatar")
    if errors:
        user.refresh_from_db(fields=fields)
        raise InvalidInput(errors=errors)
    if fields:
        user.save(update_fields=fields)
        hydration_invalidate(kind="user", ids=[user.pk])  # embedded in what they wrote (videos)
    new_avatar = user.avatar.name if user.avatar else ""
    if old_avatar and old_avatar != new_avatar:
        transaction.on_commit(lambda: default_storage.delete(old_avatar))
    if new_avatar and new_avatar != old_avatar:
        events.record("user.avatar_changed", user_id=user.pk, avatar=new_avatar)
    return user


@transaction.atomic
def user_delete(*, user: User, by: User | None = None) -> User:
    """Soft delete: the account disappears now (profile 404, no login, tokens revoked) and is
    purged by ``accounts.tasks.purge_deleted_accounts`` after ``ACCOUNT_PURGE_AFTER``. ``by``: the
    moderator deleting someone else's account (audited); ``None`` when the owner deletes it."""
    now = timezone.now()
    if User.objects.filter(pk=user.pk, deleted_at__isnull=True).update(deleted_at=now, is_active=False):
        user.deleted_at = now
        user.is_active = False
        hydration_invalidate(kind="user", ids=[user.pk])
        if by is not None and by.pk != user.pk:
            audit_record(actor=by, action="user.delete", target=user)
        events.record("user.deleted", user_id=user.pk)
    tokens_revoke_all(user_id=user.pk)
    return user


@transaction.atomic
def user_restore(*, user: User, by: User | None = None) -> User:
    """Undo a deletion during the grace period (moderators, on the owner's request; audited)."""
    if User.objects.filter(pk=user.pk, deleted_at__isnull=False, purged_at__isnull=True).update(
        deleted_at=None, is_active=True
    ):
        user.deleted_at = None
        user.is_active = True
        hydration_invalidate(kind="user", ids=[user.pk])
        if by is not None:
            audit_record(actor=by, action="user.restore", target=user)
    return user


def _follow_neighbours(user_id: int) -> tuple[list[int], list[int]]:
    """(ids following the user, ids the user follows): their counters drop when the user goes."""
    return follower_ids(user_id=user_id), following_ids(user_id=user_id)


def user_purge(*, user_id: int) -> str | None:
    """Erase a deleted account after its grace period. Idempotent: returns ``"deleted"``,
    ``"anonymised"`` or ``None`` when there is nothing (more) to do.

    The row and everything cascading from it (posts, follows, …) is deleted. If another domain
    protects its rows (e.g. ledger entries), the row stays but every personal field is erased.
    """
    cutoff = timezone.now() - settings.ACCOUNT_PURGE_AFTER
    with transaction.atomic():
        user = (
            User.objects.select_for_update().filter(pk=user_id, deleted_at__lte=cutoff, purged_at__isnull=True).first()
        )
        if user is None:
            return None
        avatar = user.avatar.name if user.avatar else ""
        # Before the row goes: the cascade finds what embeds it (their videos) while it exists.
        hydration_invalidate(kind="user", ids=[user.pk])
        followers, following = _follow_neighbours(user.pk)
        for follower_id in followers:
            user_counter_add(user_id=follower_id, field="following_count", delta=-1)
        for followee_id in following:
            user_counter_add(user_id=followee_id, field="followers_count", delta=-1)
        try:
            with transaction.atomic():
                user.delete()
            outcome = "deleted"
        except (ProtectedError, RestrictedError):
            _anonymise(user)
            outcome = "anonymised"
        if avatar:
            transaction.on_commit(lambda: default_storage.delete(avatar))
    logger.info("account purged", extra={"user_id": user_id, "outcome": outcome})
    return outcome


def _anonymise(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.username = f"deleted_{uuid.uuid4().hex[:16]}"
    user.email = ""
    user.first_name = user.last_name = user.display_name = user.bio = user.ban_reason = ""
    user.avatar = ""
    user.links = []
    user.is_private = True
    user.set_unusable_password()
    user.purged_at = timezone.now()
    user.save()
