"""Writes of the moderation domain: making reports and the moderators' decisions on them.

A decision resolves reports (``dismissed``: no violation; ``resolved``: the content was removed),
writes the audit trail and records ``report.resolved`` per report, which notifications turns into
the reporter's "your report was reviewed". Removing content goes through the owning app's
service, which calls ``socialflow.core.moderation.moderation_apply`` (itself audited).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services as accounts_services
from live import services as live_services
from moderation import selectors
from moderation.models import DETAILS_MAX_LENGTH, SEVERITY, Reason, Report, ReportMessage, TargetType
from posts import services as posts_services
from socialflow.core import access, events
from socialflow.core.audit import audit_record
from socialflow.core.exceptions import InvalidInput, NotFound, PermissionDenied
from socialflow.core.ids import parse_id
from socialflow.core.moderation import ModerationStatus, moderation_apply, moderation_mark_sensitive
from videos import services as videos_services


def report_create(*, reporter, target_type: str, target_id, reason: str, details: str = "") -> tuple[Report, bool]:
    """Report a target the reporter can see. Returns ``(report, created)``: a reporter's second
    report of a target while the first is open returns the open one (``created`` False).

    400 for an unknown type or reason, details over the limit, or the reporter's own account or
    content; 404 for a target that does not exist or that the reporter may not see."""
    if target_type not in TargetType.values:
        raise InvalidInput(f"Unknown target type; one of: {', '.join(TargetType.values)}.", field="target_type")
    if reason not in Reason.values:
        raise InvalidInput(f"Unknown reason; one of: {', '.join(Reason.values)}.", field="reason")
    details = (details or "").strip()
    if len(details) > DETAILS_MAX_LENGTH:
        raise InvalidInput(f"At most {DETAILS_MAX_LENGTH} characters.", field="details")
    what = TargetType(target_type).label.lower()
    pk = parse_id(target_id)
    target = selectors.target_get(target_type=target_type, target_id=pk) if pk is not None else None
    if target is None or not access.can_view(reporter, target, kind=target_type):
        raise NotFound(f"No such {what}.")
    if selectors.target_owner_id(target_type=target_type, target=target) == reporter.pk:
        message = (
            "You cannot report yourself." if target_type == TargetType.USER else f"You cannot report your own {what}."
        )
        raise InvalidInput(message, field="target_id")
    existing = selectors.report_open_for(reporter=reporter, target_type=target_type, target_id=pk)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter,
                target_type=target_type,
                target=target,
                reason=reason,
                details=details,
                severity=SEVERITY[reason],
            )
            if report.for_copyright:
                # Routed to the copyright domain: it registers a handler (moderation may not call it).
                events.record(
                    "report.rights",
                    report_id=report.pk,
                    reporter_id=reporter.pk,
                    target_type=target_type,
                    target_id=str(pk),
                    details=details,
                )
    except IntegrityError:
        # A concurrent request of the same reporter made it first (the partial unique constraint).
        existing = selectors.report_open_for(reporter=reporter, target_type=target_type, target_id=pk)
        if existing is None:
            raise
        return existing, False
    return report, True


def _resolve(*, reports: list[Report], by, status: str, note: str) -> int:
    """Close open ``reports`` (conditional update: one another moderator closed first stays theirs)
    and record ``report.resolved`` for each closed here."""
    now = timezone.now()
    note = (note or "").strip()[:500]
    outcome = "removed" if status == Report.Status.RESOLVED else "dismissed"
    closed = 0
    for report in reports:
        changed = Report.objects.filter(pk=report.pk, status=Report.Status.OPEN).update(
            status=status, resolved_by=by, resolved_at=now, resolution_note=note
        )
        if not changed:
            continue
        closed += 1
        report.status, report.resolved_by, report.resolved_at, report.resolution_note = status, by, now, note
        events.record(
            "report.resolved",
            report_id=report.pk,
            reporter_id=report.reporter_id,
            target_type=report.target_type,
            outcome=outcome,
        )
    return closed


@transaction.atomic
def reports_dismiss(*, reports, by, note: str = "") -> int:
    """No violation: close the open ``reports``, one ``report.dismiss`` audit entry each. Returns
    how many were closed here."""
    reports = [r for r in reports if r.status == Report.Status.OPEN]
    closed = 0
    for report in reports:
        if _resolve(reports=[report], by=by, status=Report.Status.DISMISSED, note=note):
            closed += 1
            audit_record(
                actor=by,
                action="report.dismiss",
                target=report,
                reason=note,
                metadata={"target_type": report.target_type, "target_id": str(report.target_id)},
            )
    return closed


def _remove(*, target_type: str, target, by, reason: str) -> None:
    """The owning app's removal (each audits itself through moderation_apply, or the ban)."""
    if target_type == TargetType.POST:
        posts_services.post_hide(post=target, by=by, reason=reason)
    elif target_type == TargetType.VIDEO:
        videos_services.video_hide(video=target, by=by, reason=reason)
    elif target_type == TargetType.COMMENT:
        videos_services.comment_delete(comment=target, by=by, reason=reason)
    elif target_type == TargetType.CHAT_MESSAGE:
        live_services.chat_message_delete(message=target, by=by, reason=reason)
    elif target_type == TargetType.STREAM:
        # A stream is not moderatable content: removing it takes it off the air (audited).
        live_services.stream_end(stream=target, by=by)
    elif target_type == TargetType.USER and not target.is_permanently_banned:
        accounts_services.user_ban(user=target, by=by, until=None, reason=reason)


@transaction.atomic
def report_target_remove(*, report: Report, by, reason: str = "") -> int:
    """Violation: remove the reported target through its owning app and close every open report
    on it (not only this one). A target gone meanwhile is simply closed. Returns the reports closed."""
    reason = (reason or "").strip() or f"Reported: {Reason(report.reason).label}"
    target = selectors.target_get(target_type=report.target_type, target_id=report.target_id)
    if target is not None:
        _remove(target_type=report.target_type, target=target, by=by, reason=reason)
    open_reports = list(
        selectors.reports_open_on_target(target_type=report.target_type, target_id=report.target_id).order_by("pk")
    )
    return _resolve(reports=open_reports, by=by, status=Report.Status.RESOLVED, note=reason)


# --- the thread between reporter and moderators ---------------------------------------------------


def report_message_add(*, report: Report, author, text: str, by_moderator: bool = False) -> ReportMessage:
    """Add a message to a report's thread: the reporter (``by_moderator`` False) or a moderator.
    A moderator's message records ``report.replied`` (the reporter hears, without who wrote it)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Write a message.", field="text")
    if len(text) > DETAILS_MAX_LENGTH:
        raise InvalidInput(f"At most {DETAILS_MAX_LENGTH} characters.", field="text")
    if not by_moderator and author.pk != report.reporter_id:
        raise PermissionDenied("Only the reporter and moderators write in a report's thread.")
    with transaction.atomic():
        message = ReportMessage.objects.create(report=report, author=author, text=text, by_moderator=by_moderator)
        if by_moderator:
            audit_record(actor=author, action="report.message", target=report, reason=text[:200])
            events.record("report.replied", report_id=report.pk, reporter_id=report.reporter_id)
    return message


# --- escalation and restore -------------------------------------------------------------------------


@transaction.atomic
def reports_escalate(*, reports: list[Report], by, reason: str = "") -> int:
    """Ask staff for a second look (the admin's "escalated" filter); audited."""
    count = 0
    for report in reports:
        if Report.objects.filter(pk=report.pk, escalated=False).update(escalated=True):
            audit_record(actor=by, action="report.escalate", target=report, reason=reason)
            count += 1
    return count


def _moderatable(target_type: str, target):
    return target is not None and target_type in (
        TargetType.POST,
        TargetType.VIDEO,
        TargetType.COMMENT,
        TargetType.CHAT_MESSAGE,
    )


@transaction.atomic
def target_restore(*, target_type: str, target_id: int, by, reason: str = "") -> bool:
    """Put held or removed content back (visible), audited through ``moderation_apply``; for a
    user, lift a ban. False when there was nothing to restore."""
    target = selectors.target_get(target_type=target_type, target_id=target_id)
    if target_type == TargetType.USER and target is not None:
        if target.is_banned:
            accounts_services.user_unban(user=target, by=by)
            return True
        return False
    if not _moderatable(target_type, target):
        return False
    return moderation_apply(actor=by, target=target, status=ModerationStatus.VISIBLE, reason=reason) is not None


# What a content warning makes sense on: media a viewer may not want to see unannounced.
SENSITIVE_TARGETS = (TargetType.POST, TargetType.VIDEO)


@transaction.atomic
def report_target_mark_sensitive(*, report: Report, by, reason: str = "") -> int:
    """A softer outcome than removal: the reported post or video stays up behind a content warning
    (audited, the author told why) and every open report on it is closed. Returns the reports
    closed; 0 when the target cannot carry the mark (a comment, a user, a chat message, a stream)."""
    if report.target_type not in SENSITIVE_TARGETS:
        return 0
    reason = (reason or "").strip() or f"Reported: {Reason(report.reason).label}"
    target = selectors.target_get(target_type=report.target_type, target_id=report.target_id)
    if target is not None:
        moderation_mark_sensitive(actor=by, target=target, sensitive=True, reason=reason)
    open_reports = list(
        selectors.reports_open_on_target(target_type=report.target_type, target_id=report.target_id).order_by("pk")
    )
    return _resolve(reports=open_reports, by=by, status=Report.Status.RESOLVED, note=f"Marked sensitive: {reason}")


@transaction.atomic
def target_hold(*, target_type: str, target, by, reason: str) -> bool:
    """Hold content for review (hidden from all but its author, who is told why)."""
    if not _moderatable(target_type, target):
        return False
    return moderation_apply(actor=by, target=target, status=ModerationStatus.HELD, reason=reason) is not None


def target_remove(*, target_type: str, target, by, reason: str) -> None:
    """Remove content: a moderator's through its owning app (the same paths as a report's removal);
    the system's (``by`` None: an automatic decision) through ``moderation_apply`` directly."""
    if by is None:
        if _moderatable(target_type, target):
            moderation_apply(actor=None, target=target, status=ModerationStatus.REMOVED, reason=reason)
        return
    _remove(target_type=target_type, target=target, by=by, reason=reason)
