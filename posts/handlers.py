"""How posts reacts to other apps' domain events (registered in ``PostsConfig.ready()``).

A new post or repost (``post.created``, ``post.reposted``, recorded by posts itself) is pushed into
its audience's home timelines. The event outbox is the durable queue here: a fan-out whose message
was lost (a killed worker, a killed Redis's last writes) is re-driven by the events reconcile, where a
bare Celery task would be gone for good. Pushing twice is harmless.

A deleted video (``video.deleted``) is detached from the posts that attached it.

Home timelines follow the social graph: after a follow, unfollow, block, mute or unmute, the
affected timeline is brought in line with the graph *as it is when the handler runs* — the
author's recent posts merged in if the reader follows them and has not muted them, taken out
otherwise. So handlers are idempotent and the order events arrive in does not matter (a follow
handled after the unfollow that undid it merges nothing). Reads filter by the graph anyway; this
keeps timelines dense.
"""

from accounts import selectors as accounts_selectors
from posts.feeds import home
from posts.services import post_video_detach
from socialflow.core import events


def timeline_sync(*, user_id: int, author_id: int) -> None:
    if accounts_selectors.is_following(follower_id=user_id, followee_id=author_id, unless_muted=True):
        home.timeline_merge_author(user_id=user_id, author_id=author_id)
    else:
        home.timeline_unmerge_author(user_id=user_id, author_id=author_id)


def on_follow_changed(event) -> None:
    """user.followed, user.follow_accepted, user.unfollowed."""
    timeline_sync(user_id=event.payload["follower_id"], author_id=event.payload["followee_id"])


def on_blocked(event) -> None:
    blocker, blocked = event.payload["blocker_id"], event.payload["blocked_id"]
    timeline_sync(user_id=blocker, author_id=blocked)
    timeline_sync(user_id=blocked, author_id=blocker)


def on_mute_changed(event) -> None:
    """user.muted, user.unmuted."""
    timeline_sync(user_id=event.payload["muter_id"], author_id=event.payload["muted_id"])


def on_post_published(event) -> None:
    """post.created, post.reposted: the post (the repost, for a repost) into home timelines."""
    home.timeline_fanout(post_id=event.payload["post_id"])


def on_video_deleted(event) -> None:
    post_video_detach(video_id=event.payload["video_id"])


def register() -> None:
    for name in ("user.followed", "user.follow_accepted", "user.unfollowed"):
        events.register(name, on_follow_changed, name=f"posts.timeline_sync.{name}")
    events.register("user.blocked", on_blocked, name="posts.timeline_sync.user.blocked")
    for name in ("user.muted", "user.unmuted"):
        events.register(name, on_mute_changed, name=f"posts.timeline_sync.{name}")
    for name in ("post.created", "post.reposted"):
        events.register(name, on_post_published, name=f"posts.timeline_fanout.{name}")
    events.register("video.deleted", on_video_deleted, name="posts.video_detach")
