"""Reads of the moderation domain: reports, their targets and the moderators' queue.

Targets are read through their owning app's selectors (or the core moderation registry), never
through their models: moderation sits in the reacting layer and uses other apps by interface only.
"""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from live import selectors as live_selectors
from moderation.models import (
    COPYRIGHT_REASONS,
    AccountAction,
    Appeal,
    Decision,
    Report,
    ReportMessage,
    Signal,
    TargetType,
)
from posts import selectors as posts_selectors
from socialflow.core import moderation
from socialflow.core.exceptions import NotFound
from socialflow.core.ids import parse_id
from videos import selectors as videos_selectors

# Who owns a target (a reporter may not report themself or their own content).
OWNER_FIELD = {
    TargetType.POST: "author_id",
    TargetType.VIDEO: "author_id",
    TargetType.COMMENT: "author_id",
    TargetType.CHAT_MESSAGE: "user_id",
    TargetType.STREAM: "owner_id",
    TargetType.USER: "pk",
}


def target_get(*, target_type: str, target_id: int):
    """The object a report names, or None when it does not exist (not a visibility check)."""
    if target_type == TargetType.POST:
        return posts_selectors.post_for_event(post_id=target_id)
    if target_type == TargetType.VIDEO:
        return videos_selectors.video_for_event(video_id=target_id)
    if target_type == TargetType.COMMENT:
        return videos_selectors.comment_for_event(comment_id=target_id)
    if target_type == TargetType.STREAM:
        return live_selectors.stream_for_event(stream_id=target_id)
    if target_type == TargetType.CHAT_MESSAGE:
        return moderation.target_get(kind="chat_message", target_id=target_id)
    if target_type == TargetType.USER:
        return User.objects.filter(pk=target_id).first()
    return None


def target_owner_id(*, target_type: str, target) -> int | None:
    return getattr(target, OWNER_FIELD[target_type], None)


def report_open_for(*, reporter, target_type: str, target_id: int) -> Report | None:
    return Report.objects.filter(
        reporter=reporter, target_type=target_type, target_id=target_id, status=Report.Status.OPEN
    ).first()


def reports_of_reporter(*, reporter) -> QuerySet[Report]:
    """The caller's own reports, newest first (the API's list; cursor-paged on created_at, id)."""
    return Report.objects.filter(reporter=reporter).order_by("-created_at", "-id")


def reports_open_on_target(*, target_type: str, target_id: int) -> QuerySet[Report]:
    return Report.objects.filter(target_type=target_type, target_id=target_id, status=Report.Status.OPEN)


def report_queue() -> QuerySet[Report]:
    """Every report for the admin: open ones first, the most severe first, then the targets with
    the most open reports, oldest first. ``open_on_target`` counts the open reports on the target."""
    same_target_open = (
        Report.objects.filter(
            target_type=OuterRef("target_type"), target_id=OuterRef("target_id"), status=Report.Status.OPEN
        )
        .order_by()
        .values("target_type")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Report.objects.select_related("reporter", "resolved_by", "target_content_type")
        .annotate(
            open_on_target=Coalesce(Subquery(same_target_open, output_field=IntegerField()), Value(0)),
        )
        .order_by("-severity", "-open_on_target", "created_at", "id")
    )


def reports_for_copyright() -> QuerySet[Report]:
    """Open reports the copyright domain should review (reason ``rights``)."""
    return Report.objects.filter(reason__in=COPYRIGHT_REASONS, status=Report.Status.OPEN).order_by("created_at", "id")


def report_of_reporter(*, reporter, report_id) -> Report:
    """The caller's own report (404 for anyone else's: a report's existence is private)."""
    pk = parse_id(report_id)
    report = Report.objects.filter(pk=pk, reporter=reporter).first() if pk is not None else None
    if report is None:
        raise NotFound("No such report.")
    return report


def report_messages(*, report: Report) -> QuerySet[ReportMessage]:
    return ReportMessage.objects.filter(report=report).order_by("created_at", "id")


def account_actions_of(*, user) -> QuerySet[AccountAction]:
    """Enforcement on the user's account, newest first."""
    return AccountAction.objects.filter(user=user).order_by("-created_at", "-id")


def appeals_of(*, user) -> QuerySet[Appeal]:
    return Appeal.objects.filter(user=user).select_related("action").order_by("-created_at", "-id")


def moderated_content_of(*, user, limit: int = 50) -> list[Signal]:
    """Automatic decisions that held or removed the user's content (what, why, when), newest first."""
    return list(
        Signal.objects.filter(author=user).exclude(decision=Decision.ALLOW).order_by("-created_at", "-id")[:limit]
    )
