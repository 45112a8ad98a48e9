"""Suspensions. A ban is ``banned_until`` in the future (a permanent one: the end of time); it is
enforced at login, on every authenticated API request and on web sessions. A ban is an account
state, not content moderation: it keeps its own fields, and each ban and unban is in the audit
trail (``socialflow.core.audit``) with the moderator."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import PERMANENT_BAN_UNTIL, User
from accounts.services.tokens import tokens_revoke_all
from socialflow.core import events
from socialflow.core.audit import audit_record
from socialflow.core.exceptions import InvalidInput
from socialflow.hydration import hydration_invalidate

logger = logging.getLogger(__name__)


@transaction.atomic
def user_ban(*, user: User, by: User | None, until: datetime | None = None, reason: str) -> User:
    """Suspend ``user`` until ``until`` (``None`` = permanently) and sign them out everywhere."""
    if until is not None and (timezone.is_naive(until) or until <= timezone.now()):
        raise InvalidInput("The end of a ban must be an aware datetime in the future.", field="until")
    if by is not None and by.pk == user.pk:
        raise InvalidInput("You cannot ban yourself.", field="user")
    user.banned_until = until or PERMANENT_BAN_UNTIL
    user.ban_reason = (reason or "").strip()[: User._meta.get_field("ban_reason").max_length]
    user.save(update_fields=["banned_until", "ban_reason"])
    hydration_invalidate(kind="user", ids=[user.pk])
    tokens_revoke_all(user_id=user.pk)
    audit_record(
        actor=by,
        action="user.ban",
        target=user,
        reason=user.ban_reason,
        metadata={"until": user.banned_until, "permanent": user.is_permanently_banned},
    )
    events.record(
        "user.banned", user_id=user.pk, by_id=getattr(by, "pk", None), until=user.banned_until, reason=user.ban_reason
    )
    logger.info(
        "user banned",
        extra={"user_id": user.pk, "by": getattr(by, "pk", None), "until": user.banned_until.isoformat()},
    )
    return user


@transaction.atomic
def user_unban(*, user: User, by: User | None) -> User:
    user.banned_until = None
    user.ban_reason = ""
    user.save(update_fields=["banned_until", "ban_reason"])
    hydration_invalidate(kind="user", ids=[user.pk])
    audit_record(actor=by, action="user.unban", target=user)
    events.record("user.unbanned", user_id=user.pk, by_id=getattr(by, "pk", None))
    logger.info("user unbanned", extra={"user_id": user.pk, "by": getattr(by, "pk", None)})
    return user
