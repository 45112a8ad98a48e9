"""Human sentences for notifications ("alice and 12 others liked your post") and their links."""

import contextlib
import functools

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse

from notifications.models import Kind, Notification
from socialflow.core import links
from socialflow.core.money import Money, MoneyError

# "{actors}" is "alice", "alice and bob" or "alice and 12 others"; "{title}" comes from data.
SENTENCES: dict[str, str] = {
    Kind.FOLLOW: "{actors} followed you",
    Kind.FOLLOW_REQUEST: "{actors} asked to follow you",
    Kind.FOLLOW_ACCEPTED: "{actors} accepted your follow request",
    Kind.LIKE_POST: "{actors} liked your post",
    Kind.LIKE_VIDEO: "{actors} liked your video{title_suffix}",
    Kind.LIKE_COMMENT: "{actors} liked your comment",
    Kind.REPLY: "{actors} replied to your post",
    Kind.MENTION: "{actors} mentioned you",
    Kind.REPOST: "{actors} reposted your post",
    Kind.QUOTE: "{actors} quoted your post",
    Kind.COMMENT: "{actors} commented on your video{title_suffix}",
    Kind.COMMENT_REPLY: "{actors} replied to your comment",
    Kind.NEW_POST: "{actors} posted",
    Kind.NEW_VIDEO: "{actors} uploaded a new video{title_suffix}",
    Kind.LIVE_STARTED: "{actors} is live{title_suffix}",
    Kind.VIDEO_READY: "Your video{title_suffix} is ready",
    Kind.VIDEO_FAILED: "Your video{title_suffix} could not be processed",
    Kind.COPYRIGHT_CLAIM: "Copyright claim on your video{title_suffix}",
    Kind.PAYOUT_SENT: "Your payout{amount_suffix} is on its way",
    Kind.TIP_RECEIVED: "{actors} sent you a tip{amount_suffix}",
    Kind.NEW_MEMBER: "{actors} became a member",
    Kind.MODERATION_ACTION: "A moderator took action on your content{reason_suffix}",
    Kind.REPORT_RESOLVED: "Your report was reviewed",
    # The handlers write the whole sentence (approved or rejected and why; spent or ended).
    Kind.AD_CAMPAIGN_REVIEWED: "Your ad campaign{title_suffix} was reviewed",
    Kind.AD_CAMPAIGN_ENDED: "Your ad campaign{title_suffix} has ended",
}


def actors_phrase(names: list[str], count: int) -> str:
    if not names:
        return "Someone"
    if count <= 1:
        return names[0]
    if count == 2 and len(names) >= 2:
        return f"{names[0]} and {names[1]}"
    others = count - 1
    return f"{names[0]} and {others} other{'s' if others != 1 else ''}"


def format_amount(amount) -> str:
    """``{"amount": 1234, "currency": "usd"}`` (minor units) → ``$12.34``, by ``Money``'s display
    rule; ``""`` when the data is not an amount in a known currency (the sentence then omits it)."""
    if not isinstance(amount, dict):
        return ""
    try:
        return Money(amount.get("amount"), str(amount.get("currency", ""))).format()
    except MoneyError:
        return ""


def actor_names(notification: Notification) -> list[str]:
    links = getattr(notification, "recent_actor_links", None)
    if links:
        return [link.actor.name for link in links]
    return [notification.actor.name] if notification.actor_id and notification.actor else []


def sentence(notification: Notification) -> str:
    data = notification.data if isinstance(notification.data, dict) else {}
    if isinstance(data.get("sentence"), str) and data["sentence"]:
        return data["sentence"]
    title = data.get("title")
    amount = format_amount(data.get("amount"))
    template = SENTENCES.get(notification.kind, "{actors} sent you a notification")
    return template.format(
        actors=actors_phrase(actor_names(notification), notification.actors_count),
        title_suffix=f" “{title}”" if isinstance(title, str) and title else "",
        amount_suffix=f" of {amount}" if amount else "",
        reason_suffix=f": {reason}" if isinstance(reason := data.get("reason"), str) and reason else "",
    )


def absolute(path_or_url: str) -> str:
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return f"{settings.SITE_URL}/{path_or_url.lstrip('/')}"


def link(notification: Notification) -> str:
    """Absolute URL to open for this notification: the caller's ``data["url"]``, else the public
    page of its target (a video or a post), else the inbox."""
    data = notification.data if isinstance(notification.data, dict) else {}
    url = data.get("url")
    if isinstance(url, str) and url.startswith(("/", "http://", "https://")):
        return absolute(url)
    return absolute(_target_path(notification) or _inbox_path())


def _target_path(notification: Notification) -> str | None:
    """The public page of what the notification is about (a video's watch page, a post's
    permalink: ``socialflow.core.links``), when it has one and is not a moderation notice."""
    if not notification.target_content_type_id or notification.kind == "moderation_action":
        return None
    content_type = ContentType.objects.get_for_id(notification.target_content_type_id)
    return links.path_for_target(content_type.app_label, content_type.model, notification.target_object_id)


@functools.cache
def _inbox_path() -> str:
    return reverse("notifications:inbox")


OWNER_VIDEO_KINDS = frozenset({Kind.VIDEO_READY, Kind.VIDEO_FAILED, Kind.COPYRIGHT_CLAIM})


def describe_target(*, kind: str, target) -> dict:
    """What a sentence, an email and a push need to know about the target, taken from the object in
    hand when the notification is made (so lists, emails and pushes never load targets):
    ``title`` (videos, streams), ``excerpt`` (posts, comments) and a ``url`` when a page exists."""
    if target is None:
        return {}
    described: dict = {}
    title = getattr(target, "title", None)
    if isinstance(title, str) and title:
        described["title"] = title[:200]
    for attr in ("text", "body"):
        value = getattr(target, attr, None)
        if isinstance(value, str) and value:
            described["excerpt"] = value[:280]
            break
    label = target._meta.label_lower
    if label == "videos.video" and kind in OWNER_VIDEO_KINDS:
        with contextlib.suppress(NoReverseMatch):  # the videos Studio page may not be installed
            described["url"] = reverse("videos:edit", kwargs={"video_id": target.pk})
    return described
