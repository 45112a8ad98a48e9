"""Posts, replies, quotes, reposts, edits, deletes, likes, bookmarks and moderation hide/restore.

Every write that changes what timelines should hold queues a task after commit (fan-out on
create, removal on delete/hide); counters move with F() in the same transaction as their row.
What other apps do about it (notifications) follows from the domain events recorded here
(``post.created``, ``post.mentioned``, ``post.reposted``, ``post.liked``, ``post.deleted``).
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import selectors as accounts_selectors
from accounts.models import Block, User
from accounts.services import user_counter_add
from posts.lib.entities import parse_hashtags, parse_mentions
from posts.models import (
    POST_VISIBILITIES,
    Bookmark,
    Hashtag,
    Like,
    Media,
    Mention,
    Post,
    PostEdit,
    PostHashtag,
    Visibility,
)
from posts.selectors import post_get_visible
from posts.services.media import media_snapshot
from socialflow.core import access, events
from socialflow.core.audit import audit_record
from socialflow.core.exceptions import InvalidInput, NotFound, PermissionDenied
from socialflow.core.moderation import ModerationStatus, moderation_apply
from socialflow.ratelimit import action_rate_limit_hit
from socialflow.reliability.queue import enqueue_on_commit
from videos.selectors import video_get_visible


def _post_counter_add(*, post_id: int, field: str, delta: int) -> None:
    from django.db.models.functions import Greatest

    Post.objects.filter(pk=post_id).update(**{field: Greatest(F(field) + delta, 0)})


def _clean_text(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > settings.POST_MAX_LENGTH:
        raise InvalidInput(f"Posts are at most {settings.POST_MAX_LENGTH} characters.", field="text")
    if "\x00" in text:
        raise InvalidInput("Text contains a NUL character.", field="text")
    return text


def _mentionable_users(*, author, text: str) -> list[User]:
    """Mentioned accounts that exist for others (``user_get_by_username``'s rule), are not the
    author and share no block with them."""
    usernames = parse_mentions(text)
    if not usernames:
        return []
    blocked = Block.objects.filter(Q(blocker_id=author.pk) | Q(blocked_id=author.pk)).values_list(
        "blocker_id", "blocked_id"
    )
    excluded = {uid for pair in blocked for uid in pair} | {author.pk}
    users = accounts_selectors.users_get_by_usernames(usernames=usernames).exclude(pk__in=excluded)
    order = {name: i for i, name in enumerate(usernames)}
    return sorted(users, key=lambda u: order.get(u.username.lower(), 0))


def _entities(*, hashtags: list[str], mentions: list[User], reply_to: Post | None = None) -> dict:
    entities = {
        "hashtags": hashtags,
        "mentions": [{"id": str(u.pk), "username": u.username} for u in mentions],
    }
    if reply_to is not None:
        entities["reply_to"] = {"id": str(reply_to.pk), "username": reply_to.author.username}
    return entities


def _link_hashtags(*, post: Post, names: list[str]) -> None:
    for name in names:
        hashtag, _ = Hashtag.objects.get_or_create(name=name[:100])
        _, created = PostHashtag.objects.get_or_create(post=post, hashtag=hashtag)
        if created:
            Hashtag.objects.filter(pk=hashtag.pk).update(posts_count=F("posts_count") + 1)


def _unlink_hashtags(*, post: Post, names: list[str] | None = None) -> None:
    links = PostHashtag.objects.filter(post=post)
    if names is not None:
        links = links.filter(hashtag__name__in=names)
    hashtag_ids = list(links.values_list("hashtag_id", flat=True))
    links.delete()
    from django.db.models.functions import Greatest

    Hashtag.objects.filter(pk__in=hashtag_ids).update(posts_count=Greatest(F("posts_count") - 1, 0))


def _attach_media(*, post: Post, author, media_ids) -> list[dict]:
    try:
        ids = [int(i) for i in media_ids]
    except (TypeError, ValueError):
        raise InvalidInput("Media ids must be ids returned by POST media.", field="media_ids") from None
    ids = list(dict.fromkeys(ids))
    if len(ids) > settings.POST_MAX_MEDIA:
        raise InvalidInput(f"At most {settings.POST_MAX_MEDIA} images per post.", field="media_ids")
    attached = Media.objects.filter(pk__in=ids, owner_id=author.pk, post__isnull=True).update(post=post)
    if attached != len(ids):
        raise InvalidInput("Unknown media, or already attached to another post.", field="media_ids")
    media = {m.pk: m for m in Media.objects.filter(pk__in=ids)}
    return [media_snapshot(media=media[i]) for i in ids]


def _check_video(*, video_id, author) -> int:
    """The id of a video the author may see (attached by id: see Post.video_id)."""
    try:
        return video_get_visible(video_id=video_id, viewer=author).pk
    except (NotFound, PermissionDenied):
        raise InvalidInput("No such video.", field="video_id") from None


@transaction.atomic
def post_create(
    *,
    author,
    text: str = "",
    reply_to_id=None,
    quote_of_id=None,
    media_ids=(),
    video_id=None,
    visibility: str = Visibility.PUBLIC,
) -> Post:
    """Create a post (or a reply / quote), link hashtags and mentions, record ``post.created``, fan
    out on commit.

    A reply to a post the author cannot see is a 404; a reply to a direct post stays direct.
    Quotes and reposts only of public or unlisted posts. Raises 429 past POST_RATE_LIMIT.
    """
    text = _clean_text(text)
    allowed = [v.value for v in POST_VISIBILITIES]
    if visibility not in allowed:
        raise InvalidInput(f"One of {', '.join(allowed)}.", field="visibility")
    if not text and not media_ids and video_id is None and quote_of_id is None:
        raise InvalidInput("A post needs text, an image, a video or a quoted post.", field="text")
    limit, period = settings.POST_RATE_LIMIT
    action_rate_limit_hit(key=f"post:{author.pk}", limit=limit, period_s=period)

    reply_to = quote_of = None
    if reply_to_id is not None:
        reply_to = post_get_visible(post_id=reply_to_id, viewer=author)
        reply_to = reply_to.repost_of if reply_to.repost_of_id else reply_to
        if reply_to.visibility == Visibility.DIRECT:
            visibility = Visibility.DIRECT
    if quote_of_id is not None:
        quote_of = post_get_visible(post_id=quote_of_id, viewer=author)
        quote_of = quote_of.repost_of if quote_of.repost_of_id else quote_of
        if not access.can_act(author, "quote", quote_of, kind="post"):
            raise InvalidInput("Only public posts can be quoted.", field="quote_of")
    if video_id is not None:
        video_id = _check_video(video_id=video_id, author=author)

    hashtags = parse_hashtags(text)
    mentions = _mentionable_users(author=author, text=text)
    post = Post.objects.create(
        author=author,
        text=text,
        visibility=visibility,
        reply_to=reply_to,
        thread_root_id=(reply_to.thread_root_id or reply_to.pk) if reply_to else None,
        quote_of=quote_of,
        video_id=video_id,
        entities=_entities(hashtags=hashtags, mentions=mentions, reply_to=reply_to),
    )
    if media_ids:
        post.attachments = _attach_media(post=post, author=author, media_ids=media_ids)
        post.save(update_fields=["attachments"])
    _link_hashtags(post=post, names=hashtags)
    Mention.objects.bulk_create([Mention(post=post, user=u) for u in mentions], ignore_conflicts=True)

    user_counter_add(user_id=author.pk, field="posts_count", delta=1)
    if reply_to is not None:
        _post_counter_add(post_id=reply_to.pk, field="replies_count", delta=1)
    if quote_of is not None:
        _post_counter_add(post_id=quote_of.pk, field="quotes_count", delta=1)
    events.record(
        "post.created",
        post_id=post.pk,
        author_id=author.pk,
        reply_to_id=getattr(reply_to, "pk", None),
        quote_of_id=getattr(quote_of, "pk", None),
        mentioned_user_ids=[u.pk for u in mentions],
        announce=reply_to is None and visibility == Visibility.PUBLIC and not author.is_private,
    )  # posts.timeline_fanout handles it: the post into its audience's home timelines
    return post


@transaction.atomic
def post_update(*, post: Post, text: str) -> Post:
    """Edit the text; the previous version goes to the edit history. Re-links hashtags and
    mentions (new mentions are notified; old ones are not notified twice)."""
    if post.repost_of_id is not None:
        raise InvalidInput("A repost cannot be edited.", code="repost")
    post = Post.objects.select_for_update().select_related("author").get(pk=post.pk)
    if post.deleted_at is not None:
        raise NotFound("No such post.", code="not_found")
    text = _clean_text(text)
    if not text and not post.attachments and post.video_id is None and post.quote_of_id is None:
        raise InvalidInput("A post needs text, an image, a video or a quoted post.", field="text")
    if text == post.text:
        return post
    PostEdit.objects.create(
        post=post, text=post.text, entities=post.entities, created_at=post.edited_at or post.created_at
    )
    old_tags = set(post.entities.get("hashtags", []))
    old_mentions = {int(m["id"]) for m in post.entities.get("mentions", [])}
    hashtags = parse_hashtags(text)
    mentions = _mentionable_users(author=post.author, text=text)
    _unlink_hashtags(post=post, names=sorted(old_tags - set(hashtags)))
    _link_hashtags(post=post, names=[t for t in hashtags if t not in old_tags])
    Mention.objects.filter(post=post).exclude(user_id__in=[u.pk for u in mentions]).delete()
    Mention.objects.bulk_create([Mention(post=post, user=u) for u in mentions], ignore_conflicts=True)
    post.text = text
    reply_to_entity = post.entities.get("reply_to")
    post.entities = _entities(hashtags=hashtags, mentions=mentions)
    if reply_to_entity:
        post.entities["reply_to"] = reply_to_entity
    post.edited_at = timezone.now()
    post.save(update_fields=["text", "entities", "edited_at"])
    events.record("post.edited", post_id=post.pk, author_id=post.author_id)
    added = [u.pk for u in mentions if u.pk not in old_mentions]
    if added:
        events.record("post.mentioned", post_id=post.pk, author_id=post.author_id, user_ids=added)
    return post


def _post_soft_delete(*, post_id: int) -> Post | None:
    """Mark deleted (once) and undo what the post counted. None if it was already deleted."""
    now = timezone.now()
    if not Post.objects.filter(pk=post_id, deleted_at__isnull=True).update(deleted_at=now):
        return None
    post = Post.objects.get(pk=post_id)
    user_counter_add(user_id=post.author_id, field="posts_count", delta=-1)
    if post.repost_of_id:
        _post_counter_add(post_id=post.repost_of_id, field="reposts_count", delta=-1)
    if post.reply_to_id:
        _post_counter_add(post_id=post.reply_to_id, field="replies_count", delta=-1)
    if post.quote_of_id:
        _post_counter_add(post_id=post.quote_of_id, field="quotes_count", delta=-1)
    _unlink_hashtags(post=post)
    return post


@transaction.atomic
def post_delete(*, post: Post, by=None) -> None:
    """Delete a post and its reposts (soft; idempotent); timelines are cleaned after commit.
    ``by``: staff deleting someone else's post (the admin), written to the audit trail."""
    deleted = _post_soft_delete(post_id=post.pk)
    if deleted is None:
        return
    if by is not None and by.pk != post.author_id:
        audit_record(actor=by, action="post.delete", target=post)
    removed = [post.pk]
    for repost_id in Post.objects.filter(repost_of_id=post.pk, deleted_at__isnull=True).values_list("pk", flat=True):
        if _post_soft_delete(post_id=repost_id) is not None:
            removed.append(repost_id)
    events.record("post.deleted", post_ids=removed, author_id=deleted.author_id)
    enqueue_on_commit("posts.tasks.timeline_remove_posts", removed)


def post_video_detach(*, video_id: int) -> int:
    """A deleted video leaves the posts that attached it (``Post.video_id`` is a plain id, so
    nothing cascades); returns how many posts changed. The posts stay, without the video."""
    return Post.objects.filter(video_id=video_id).update(video_id=None)


@transaction.atomic
def post_hide(*, post: Post, by=None, reason: str = "") -> bool:
    """Moderation: remove a post (feeds, search, threads; its reposts with it). Audited, the author
    told; False when it was removed already."""
    return moderation_apply(actor=by, target=post, status=ModerationStatus.REMOVED, reason=reason) is not None


@transaction.atomic
def post_restore(*, post: Post, by=None, reason: str = "") -> bool:
    """Moderation: undo a removal. The post reappears in lists and is fanned out again."""
    return moderation_apply(actor=by, target=post, status=ModerationStatus.VISIBLE, reason=reason) is not None


def post_moderated(*, target: Post, previous: str, status: str) -> None:
    """``moderation_apply``'s follow-up for a post: timelines drop it (and its reposts) when it
    leaves view and take it again when it is restored (after commit)."""
    if previous == ModerationStatus.VISIBLE:
        reposts = list(Post.objects.filter(repost_of_id=target.pk).values_list("pk", flat=True))
        enqueue_on_commit("posts.tasks.timeline_remove_posts", [target.pk, *reposts])
    elif status == ModerationStatus.VISIBLE:
        enqueue_on_commit("posts.tasks.fanout_post", target.pk)


def _repost_target(*, post: Post, user) -> Post:
    target = post.repost_of if post.repost_of_id else post
    if not access.can_act(user, "repost", target, kind="post"):
        raise InvalidInput("Only public posts can be reposted.", code="not_repostable")
    return target


@transaction.atomic
def repost_create(*, user, post: Post) -> Post:
    """Repost ``post`` (the original, if ``post`` is itself a repost). Idempotent."""
    target = _repost_target(post=post, user=user)
    existing = Post.objects.filter(author_id=user.pk, repost_of_id=target.pk, deleted_at__isnull=True).first()
    if existing is not None:
        return existing
    limit, period = settings.POST_RATE_LIMIT
    action_rate_limit_hit(key=f"post:{user.pk}", limit=limit, period_s=period)
    try:
        with transaction.atomic():
            repost = Post.objects.create(author=user, repost_of=target, visibility=Visibility.PUBLIC)
    except IntegrityError:  # a concurrent repost won
        return Post.objects.get(author_id=user.pk, repost_of_id=target.pk, deleted_at__isnull=True)
    user_counter_add(user_id=user.pk, field="posts_count", delta=1)
    _post_counter_add(post_id=target.pk, field="reposts_count", delta=1)
    events.record(
        "post.reposted", post_id=repost.pk, original_id=target.pk, user_id=user.pk, original_author_id=target.author_id
    )  # posts.timeline_fanout handles it
    return repost


@transaction.atomic
def repost_delete(*, user, post: Post) -> bool:
    target_id = post.repost_of_id or post.pk
    repost = Post.objects.filter(author_id=user.pk, repost_of_id=target_id, deleted_at__isnull=True).first()
    if repost is None:
        return False
    post_delete(post=repost)
    return True


def _target(post: Post) -> Post:
    return post.repost_of if post.repost_of_id else post


@transaction.atomic
def like_create(*, user, post: Post) -> Like:
    """Like a post (a repost's original). Idempotent: the counter moves only for a new like."""
    post = _target(post)
    like, created = Like.objects.get_or_create(user_id=user.pk, post_id=post.pk)
    if created:
        _post_counter_add(post_id=post.pk, field="likes_count", delta=1)
        events.record("post.liked", post_id=post.pk, user_id=user.pk, author_id=post.author_id)
    return like


@transaction.atomic
def like_delete(*, user, post: Post) -> bool:
    post = _target(post)
    deleted, _ = Like.objects.filter(user_id=user.pk, post_id=post.pk).delete()
    if deleted:
        _post_counter_add(post_id=post.pk, field="likes_count", delta=-1)
    return bool(deleted)


@transaction.atomic
def bookmark_create(*, user, post: Post) -> Bookmark:
    bookmark, _ = Bookmark.objects.get_or_create(user_id=user.pk, post_id=_target(post).pk)
    return bookmark


@transaction.atomic
def bookmark_delete(*, user, post: Post) -> bool:
    deleted, _ = Bookmark.objects.filter(user_id=user.pk, post_id=_target(post).pk).delete()
    return bool(deleted)
