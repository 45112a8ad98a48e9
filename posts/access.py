"""Access rules of the ``post`` kind. Registered from ``PostsConfig.ready()``.

A post, for someone other than its author:
- never when deleted, hidden by moderation (``access.moderation_hidden_q``) or by a deleted account
  (its author still sees a post *held* for review, with the reason, not one a moderator removed);
- public and unlisted: everyone, unless the author's account is private (then: approved followers);
- followers: approved followers; members: the channel's members (``access.members_q``, today the
  author only); direct: the people mentioned;
- never across a block, either way;
- a repost is visible only while the reposted post is (the same rule, through ``repost_of__``).

Unlike videos, moderators see posts like everyone else (the admin is their tool for hidden posts).
Muting is a list preference, not access: ``posts.selectors`` drops muted authors from lists.
"""

from django.db.models import Q

from accounts import access as graph
from posts.models import Mention, Post, Visibility
from socialflow.core import access

OPEN_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED)
FOLLOWER_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.FOLLOWERS)


def alive_q(prefix: str = "") -> Q:
    """Not deleted, not hidden by moderation, and by an account that still exists."""
    return Q(
        **{f"{prefix}deleted_at__isnull": True, f"{prefix}author__deleted_at__isnull": True}
    ) & access.moderation_shown_q(prefix)


def is_alive(post) -> bool:
    return post.deleted_at is None and not access.is_moderation_hidden(post) and post.author.deleted_at is None


def _one_q(viewer, p: str) -> Q:
    """The rule for the one post at prefix ``p`` (not its reposted post)."""
    open_q = Q(**{f"{p}visibility__in": OPEN_VISIBILITIES, f"{p}author__is_private": False})
    uid = access.viewer_id(viewer)
    if uid is None:
        return alive_q(p) & open_q
    author = f"{p}author_id"
    followed = Q(**{f"{p}visibility__in": FOLLOWER_VISIBILITIES}) & graph.followed_q(viewer, field=author)
    members = Q(**{f"{p}visibility": Visibility.MEMBERS}) & access.members_q(viewer, field=author)
    direct = Q(
        **{f"{p}visibility": Visibility.DIRECT, f"{p}pk__in": Mention.objects.filter(user_id=uid).values("post_id")}
    )
    audience = Q(**{author: uid}) | open_q | followed | members | direct
    own_held = Q(**{author: uid, f"{p}deleted_at__isnull": True}) & access.moderation_held_q(p)
    return (alive_q(p) & audience & ~graph.blocked_either_way_q(viewer, field=author)) | own_held


def _mentions(post, uid: int) -> bool:
    mentions = getattr(post, "entities", None) or {}
    if "mentions" in mentions:  # the snapshot the services write (no query on the feed's path)
        return any(m.get("id") == str(uid) for m in mentions["mentions"])
    return Mention.objects.filter(post_id=post.pk, user_id=uid).exists()


def _can_view_one(viewer, post, *, follows_author: bool | None, blocked_ids) -> bool:
    uid = access.viewer_id(viewer)
    if uid is not None and post.author_id == uid and post.deleted_at is None and access.is_moderation_held(post):
        return True  # held for review: its author sees it, and why (the API's ``held``)
    if not is_alive(post):
        return False
    if uid is not None and post.author_id == uid:
        return True
    if uid is not None:
        blocked = post.author_id in blocked_ids if blocked_ids is not None else None
        if blocked if blocked is not None else graph.is_blocked_either_way(viewer, post.author_id):
            return False
    if post.visibility in OPEN_VISIBILITIES and not post.author.is_private:
        return True
    if uid is None:
        return False
    if post.visibility == Visibility.DIRECT:
        return _mentions(post, uid)
    if post.visibility == Visibility.MEMBERS:
        return access.is_member(viewer, creator_id=post.author_id)
    if post.visibility in FOLLOWER_VISIBILITIES:
        return follows_author if follows_author is not None else graph.follows(viewer, post.author_id)
    return False


class PostPolicy(access.Policy):
    def visible_q(self, viewer, prefix: str = "") -> Q:
        repost = f"{prefix}repost_of__"
        return _one_q(viewer, prefix) & (Q(**{f"{prefix}repost_of__isnull": True}) | _one_q(viewer, repost))

    def can_view(self, viewer, obj, *, blocked_ids=None) -> bool:
        """``blocked_ids`` (the viewer's blocks either way) and the ``viewer_follows_author`` /
        ``viewer_follows_original_author`` flags of a hydrated feed post spare the queries."""
        if not _can_view_one(
            viewer, obj, follows_author=getattr(obj, "viewer_follows_author", None), blocked_ids=blocked_ids
        ):
            return False
        return obj.repost_of_id is None or _can_view_one(
            viewer,
            obj.repost_of,
            follows_author=getattr(obj, "viewer_follows_original_author", None),
            blocked_ids=blocked_ids,
        )

    def can_act(self, viewer, action: str, obj) -> bool:
        uid = access.viewer_id(viewer)
        if uid is None:
            return False
        if action in ("edit", "delete"):
            return obj.author_id == uid
        if action in ("repost", "quote"):
            # Sharing re-publishes to the sharer's audience: only what everyone may see already.
            target = obj.repost_of if obj.repost_of_id else obj
            return target.visibility in OPEN_VISIBILITIES and not target.author.is_private
        return True


def register() -> None:
    access.register_policy("post", PostPolicy(), model=Post)
