"""Graded enforcement on accounts (warn, strike, limit, suspend, ban), the strike rule, appeals,
and moderators' reviews of automatic decisions.

Every action is an ``AccountAction`` row, an ``AuditEntry`` and the event ``account.actioned``
(notifications tells the user the reason and where to appeal). ``MODERATION_STRIKES_LIMIT``
active strikes within ``MODERATION_STRIKE_WINDOW`` add an automatic ``limit`` (no uploads, no
live) for ``MODERATION_STRIKE_SUSPENSION``; videos and live ask ``socialflow.core.restrictions``,
whose provider here (``restriction_refusal``) reads the active limits. An appeal is decided by a
moderator other than the one who acted; a granted appeal revokes the action (and lifts a ban) or
restores the content."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import User
from moderation import selectors
from moderation.models import DETAILS_MAX_LENGTH, AccountAction, Appeal, Decision, Report, Signal, TargetType
from moderation.services.reports import target_remove, target_restore
from socialflow.core import events, restrictions
from socialflow.core.audit import audit_record
from socialflow.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from socialflow.core.ids import parse_id
from socialflow.core.moderation import ModerationStatus

Kind = AccountAction.Kind
NEEDS_DURATION = (Kind.LIMIT, Kind.SUSPEND)


def _notify(action: AccountAction) -> None:
    events.record(
        "account.actioned",
        user_id=action.user_id,
        action_id=action.pk,
        kind=action.kind,
        reason=action.reason,
        until=action.until,
    )


@transaction.atomic
def account_action_create(
    *,
    user: User,
    kind: str,
    by,
    reason: str,
    duration: timedelta | None = None,
    report: Report | None = None,
    signal: Signal | None = None,
) -> AccountAction:
    """Warn, strike, limit (``duration``), suspend (``duration``: a ban until then) or ban."""
    if kind not in Kind.values:
        raise InvalidInput(f"Unknown action; one of: {', '.join(Kind.values)}.", field="kind")
    reason = (reason or "").strip()[:500]
    if not reason:
        raise InvalidInput("Give the user a reason.", field="reason")
    if by is not None and by.pk == user.pk:
        raise InvalidInput("You cannot act on your own account.", field="user")
    if kind in NEEDS_DURATION and (duration is None or duration <= timedelta(0)):
        raise InvalidInput("A limit or a suspension needs a duration.", field="duration")
    until = timezone.now() + duration if kind in NEEDS_DURATION else None
    action = AccountAction.objects.create(
        user=user, kind=kind, reason=reason, until=until, created_by=by, report=report, signal=signal
    )
    if kind == Kind.SUSPEND:
        accounts_services.user_ban(user=user, by=by, until=until, reason=reason)
    elif kind == Kind.BAN:
        accounts_services.user_ban(user=user, by=by, until=None, reason=reason)
    audit_record(
        actor=by,
        action=f"account.{kind}",
        target=user,
        reason=reason,
        metadata={"action_id": action.pk, "until": until, "report_id": getattr(report, "pk", None)},
    )
    _notify(action)
    if kind == Kind.STRIKE:
        _apply_strike_rule(user=user)
    return action


def active_strikes(*, user_id: int) -> int:
    since = timezone.now() - settings.MODERATION_STRIKE_WINDOW
    return AccountAction.objects.filter(
        user_id=user_id, kind=Kind.STRIKE, revoked_at__isnull=True, created_at__gte=since
    ).count()


def _apply_strike_rule(*, user: User) -> AccountAction | None:
    strikes = active_strikes(user_id=user.pk)
    if strikes < settings.MODERATION_STRIKES_LIMIT or active_limit(user_id=user.pk) is not None:
        return None
    until = timezone.now() + settings.MODERATION_STRIKE_SUSPENSION
    action = AccountAction.objects.create(
        user=user,
        kind=Kind.LIMIT,
        until=until,
        automatic=True,
        reason=f"{strikes} strikes within {settings.MODERATION_STRIKE_WINDOW.days} days: "
        f"uploads and live are suspended until {until:%Y-%m-%d %H:%M} UTC",
    )
    audit_record(actor=None, action="account.limit", target=user, reason=action.reason, metadata={"strikes": strikes})
    _notify(action)
    return action


def active_limit(*, user_id: int) -> AccountAction | None:
    return (
        AccountAction.objects.filter(
            user_id=user_id, kind=Kind.LIMIT, revoked_at__isnull=True, until__gt=timezone.now()
        )
        .order_by("-until")
        .first()
    )


WHAT = {restrictions.UPLOAD: "upload videos", restrictions.LIVE: "go live"}


def restriction_refusal(user_id: int, capability: str) -> str | None:
    """The restrictions provider: why this account may not upload or go live now."""
    limit = active_limit(user_id=user_id)
    if limit is None:
        return None
    return f"Your account may not {WHAT[capability]} until {limit.until:%Y-%m-%d %H:%M} UTC: {limit.reason}"


@transaction.atomic
def account_action_revoke(*, action: AccountAction, by, reason: str = "") -> bool:
    """Undo an action (an appeal granted, or a moderator's mistake): a suspension or ban is lifted."""
    if not AccountAction.objects.filter(pk=action.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    ):
        return False
    action.refresh_from_db()
    if action.kind in (Kind.SUSPEND, Kind.BAN):
        user = User.objects.get(pk=action.user_id)
        if user.is_banned:
            accounts_services.user_unban(user=user, by=by)
    audit_record(actor=by, action=f"account.{action.kind}_revoked", target=action.user, reason=reason)
    return True


# --- appeals ---------------------------------------------------------------------------------------------


def appeal_create(*, user: User, text: str, action_id=None, target_type: str = "", target_id=None) -> Appeal:
    """Appeal an action on one's account (``action_id``) or a decision on one's content
    (``target_type`` + ``target_id``, held or removed). One appeal each; 409 for a second."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Say why the decision was wrong.", field="text")
    if len(text) > DETAILS_MAX_LENGTH:
        raise InvalidInput(f"At most {DETAILS_MAX_LENGTH} characters.", field="text")
    fields: dict = {"user": user, "text": text}
    if action_id not in (None, ""):
        pk = parse_id(action_id)
        action = AccountAction.objects.filter(pk=pk, user=user).first() if pk is not None else None
        if action is None:
            raise NotFound("No such action on your account.")
        if action.kind == Kind.WARN:
            raise InvalidInput("A warning has no effect to appeal.", field="action_id")
        fields["action"] = action
    elif target_type:
        if target_type not in (TargetType.POST, TargetType.VIDEO, TargetType.COMMENT, TargetType.CHAT_MESSAGE):
            raise InvalidInput("Only posts, videos, comments and chat messages can be appealed.", field="target_type")
        pk = parse_id(target_id)
        target = selectors.target_get(target_type=target_type, target_id=pk) if pk is not None else None
        if target is None or selectors.target_owner_id(target_type=target_type, target=target) != user.pk:
            raise NotFound(f"No such {target_type.replace('_', ' ')} of yours.")
        if target.moderation_status == ModerationStatus.VISIBLE:
            raise InvalidInput("This content was not held or removed.", field="target_id")
        fields.update(target_type=target_type, target_id=pk)
    else:
        raise InvalidInput("Name the action (action_id) or the content (target_type, target_id).", field="action_id")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(**fields)
    except IntegrityError:
        raise Conflict("You already appealed this decision.", code="already_appealed") from None
    return appeal


def _who_decided(appeal: Appeal) -> int | None:
    if appeal.action_id is not None:
        return appeal.action.created_by_id
    target = selectors.target_get(target_type=appeal.target_type, target_id=appeal.target_id)
    return getattr(target, "moderated_by_id", None)


@transaction.atomic
def appeal_decide(*, appeal: Appeal, by, grant: bool, note: str = "") -> Appeal:
    """Grant (reverse the decision) or reject an appeal; ``by`` may not be who made the decision."""
    if appeal.status != Appeal.Status.PENDING:
        raise Conflict("This appeal was already decided.", code="decided")
    if _who_decided(appeal) == by.pk:
        raise PermissionDenied("Another moderator must review an appeal of your own decision.", code="own_decision")
    note = (note or "").strip()[:500]
    status = Appeal.Status.GRANTED if grant else Appeal.Status.REJECTED
    if not Appeal.objects.filter(pk=appeal.pk, status=Appeal.Status.PENDING).update(
        status=status, decided_by=by, decided_at=timezone.now(), decision_note=note
    ):
        raise Conflict("This appeal was already decided.", code="decided")
    appeal.refresh_from_db()
    if grant:
        if appeal.action_id is not None:
            account_action_revoke(action=appeal.action, by=by, reason=f"Appeal granted: {note}")
        else:
            target_restore(
                target_type=appeal.target_type, target_id=appeal.target_id, by=by, reason=f"Appeal granted: {note}"
            )
            Signal.objects.filter(
                target_type=appeal.target_type, target_id=appeal.target_id, review=Signal.Review.PENDING
            ).update(review=Signal.Review.OVERTURNED, reviewed_by=by, reviewed_at=timezone.now())
    audit_record(actor=by, action=f"appeal.{status}", target=appeal, reason=note)
    events.record("appeal.decided", appeal_id=appeal.pk, user_id=appeal.user_id, outcome=status, note=note)
    return appeal


# --- reviews of automatic decisions ----------------------------------------------------------------------


@transaction.atomic
def signals_review(*, signals: list[Signal], by, confirm: bool, reason: str = "") -> int:
    """A moderator's verdict on automatic decisions. Confirm: the content stays held → removed (a
    held item confirmed is removed). Overturn: the content is restored. Both feed the spam model."""
    now = timezone.now()
    done = 0
    for signal in signals:
        verdict = Signal.Review.CONFIRMED if confirm else Signal.Review.OVERTURNED
        if (
            not Signal.objects.filter(pk=signal.pk)
            .exclude(review=verdict)
            .update(review=verdict, reviewed_by=by, reviewed_at=now)
        ):
            continue
        done += 1
        note = reason or f"Automatic {signal.classifier} decision {'confirmed' if confirm else 'overturned'}"
        target = selectors.target_get(target_type=signal.target_type, target_id=signal.target_id)
        if target is not None and signal.target_type != TargetType.USER:
            if confirm and signal.decision != Decision.ALLOW:
                target_remove(target_type=signal.target_type, target=target, by=by, reason=note)
            elif not confirm:
                target_restore(target_type=signal.target_type, target_id=signal.target_id, by=by, reason=note)
        audit_record(
            actor=by,
            action=f"signal.{verdict}",
            target=signal,
            reason=note,
            metadata={"classifier": signal.classifier, "score": signal.score},
        )
    return done


@transaction.atomic
def signals_escalate(*, signals: list[Signal], by, reason: str = "") -> int:
    count = 0
    for signal in signals:
        if Signal.objects.filter(pk=signal.pk, escalated=False).update(escalated=True):
            audit_record(actor=by, action="signal.escalate", target=signal, reason=reason)
            count += 1
    return count


def user_action_summary(*, user: User) -> dict:
    """What the user's Studio page shows at the top."""
    return {
        "strikes": active_strikes(user_id=user.pk),
        "strikes_limit": settings.MODERATION_STRIKES_LIMIT,
        "limit": active_limit(user_id=user.pk),
    }
