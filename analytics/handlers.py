"""Domain events analytics records as raw rows (likes, comments, follows). Each row is keyed by the
event's id, so a handler re-run adds nothing; the flush folds them into the daily aggregates."""

from analytics import services
from analytics.models import Kind
from socialflow.core import events


def on_video_liked(event):
    p = event.payload
    services.raw_event_from_domain_event(
        event=event, kind=Kind.LIKE, channel_id=p["author_id"], video_id=p["video_id"], viewer_key=f"u:{p['user_id']}"
    )


def on_comment_created(event):
    p = event.payload
    services.raw_event_from_domain_event(
        event=event,
        kind=Kind.COMMENT,
        channel_id=p["video_author_id"],
        video_id=p["video_id"],
        viewer_key=f"u:{p['author_id']}",
    )


def on_followed(event):
    p = event.payload
    services.raw_event_from_domain_event(
        event=event, kind=Kind.FOLLOW, channel_id=p["followee_id"], viewer_key=f"u:{p['follower_id']}"
    )


def on_unfollowed(event):
    p = event.payload
    services.raw_event_from_domain_event(
        event=event, kind=Kind.UNFOLLOW, channel_id=p["followee_id"], viewer_key=f"u:{p['follower_id']}"
    )


def register():
    events.register("video.liked", on_video_liked, name="analytics.video_liked")
    events.register("comment.created", on_comment_created, name="analytics.comment_created")
    events.register("user.followed", on_followed, name="analytics.user_followed")
    events.register("user.follow_accepted", on_followed, name="analytics.user_follow_accepted")
    events.register("user.unfollowed", on_unfollowed, name="analytics.user_unfollowed")
