"""How moderation reacts to other apps' events (registered in ``ModerationConfig.ready()``): new and
edited content is queued for the automatic classifiers (``moderation.tasks.classify``), after the
handler's run commits. Chat messages come through ``socialflow.core.screening`` (no event per
message). ``MODERATION_AUTO_CLASSIFY`` off (the test settings) queues nothing."""

from django.conf import settings

from accounts.models import User
from moderation.models import AccountAction, TargetType
from moderation.services import account_action_create
from socialflow.core import events, screening
from socialflow.reliability.queue import enqueue, enqueue_on_commit

CLASSIFY_TASK = "moderation.tasks.classify"


def classify_soon(target_type: str, target_id) -> None:
    if settings.MODERATION_AUTO_CLASSIFY:
        enqueue_on_commit(CLASSIFY_TASK, target_type, int(target_id))


def on_post_created(event) -> None:
    """post.created and post.edited."""
    classify_soon(TargetType.POST, event.payload["post_id"])


def on_comment_created(event) -> None:
    classify_soon(TargetType.COMMENT, event.payload["comment_id"])


def on_video_ready(event) -> None:
    """The thumbnail and sampled frames exist once the video is ready (title and description too)."""
    classify_soon(TargetType.VIDEO, event.payload["video_id"])


def on_avatar_changed(event) -> None:
    classify_soon(TargetType.USER, event.payload["user_id"])


def on_copyright_strike(event) -> None:
    """An upheld copyright takedown is a strike against the uploader: it counts towards the strike
    rule (MODERATION_STRIKES_LIMIT within MODERATION_STRIKE_WINDOW suspends uploads and live) and can
    be appealed like any other."""
    user = User.objects.filter(pk=event.payload["user_id"], deleted_at__isnull=True).first()
    if user is None:
        return
    account_action_create(
        user=user,
        kind=AccountAction.Kind.STRIKE,
        by=None,
        reason=f"Copyright: a takedown of your video was upheld (claim {event.payload['claim_id']})",
    )


def on_screening(kind: str, target_id: int) -> None:
    """``socialflow.core.screening``'s receiver (already after commit)."""
    if settings.MODERATION_AUTO_CLASSIFY and kind in TargetType.values:
        enqueue(CLASSIFY_TASK, kind, int(target_id))


HANDLERS = {
    "post.created": on_post_created,
    "post.edited": on_post_created,
    "comment.created": on_comment_created,
    "video.ready": on_video_ready,
    "user.avatar_changed": on_avatar_changed,
    "copyright.strike": on_copyright_strike,
}


def register() -> None:
    for name, handler in HANDLERS.items():
        events.register(name, handler, name=f"moderation.{handler.__name__}.{name}")
    screening.set_receiver(on_screening)
