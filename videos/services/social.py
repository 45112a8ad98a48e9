"""Likes/dislikes on videos, and threaded comments (reply, like, delete, pin, hold).

Others react to the domain events recorded here (``video.liked``, ``comment.created``,
``comment.liked``, ``comment.deleted``)."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from socialflow.core import events
from socialflow.core.exceptions import NotFound
from socialflow.core.moderation import ModerationStatus, moderation_apply
from videos.models import Comment, CommentLike, Video, VideoReaction
from videos.services.cache import video_cache_invalidate

_COUNTER = {VideoReaction.Kind.LIKE: "likes_count", VideoReaction.Kind.DISLIKE: "dislikes_count"}


def _add(model, pk: int, field: str, delta: int) -> None:
    model.objects.filter(pk=pk).update(**{field: Greatest(F(field) + delta, 0)})
    if model is Video:  # its counts are in its cached representation
        video_cache_invalidate(video_ids=[pk])


@transaction.atomic
def video_react(*, user, video: Video, kind: str) -> VideoReaction:
    """Like or dislike (mutually exclusive, idempotent). Locks the user's reaction row if present."""
    reaction = VideoReaction.objects.select_for_update().filter(user=user, video=video).first()
    if reaction is not None:
        if reaction.kind == kind:
            return reaction
        _add(Video, video.pk, _COUNTER[reaction.kind], -1)
        reaction.kind = kind
        reaction.save(update_fields=["kind"])
    else:
        try:
            with transaction.atomic():
                reaction = VideoReaction.objects.create(user=user, video=video, kind=kind)
        except IntegrityError:  # a concurrent request created it first
            return VideoReaction.objects.get(user=user, video=video)
    _add(Video, video.pk, _COUNTER[kind], 1)
    if kind == VideoReaction.Kind.LIKE:
        events.record("video.liked", video_id=video.pk, user_id=user.pk, author_id=video.author_id)
    return reaction


@transaction.atomic
def video_unreact(*, user, video: Video, kind: str) -> None:
    deleted, _ = VideoReaction.objects.filter(user=user, video=video, kind=kind).delete()
    if deleted:
        _add(Video, video.pk, _COUNTER[kind], -1)


@transaction.atomic
def comment_create(*, video: Video, author, text: str, parent: Comment | None = None) -> Comment:
    """A comment or a reply. A reply to a reply joins the top-level thread (one level, as YouTube)."""
    reply_to = parent
    if parent is not None and parent.parent_id is not None:
        parent = Comment.objects.get(pk=parent.parent_id)
    comment = Comment.objects.create(video=video, author=author, parent=parent, text=text.strip())
    _add(Video, video.pk, "comments_count", 1)
    if parent is not None:
        _add(Comment, parent.pk, "replies_count", 1)
    events.record(
        "comment.created",
        comment_id=comment.pk,
        video_id=video.pk,
        author_id=author.pk,
        video_author_id=video.author_id,
        reply_to_author_id=getattr(reply_to, "author_id", None),
    )
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, by=None, reason: str = "") -> None:
    """Delete a comment and its replies. By anyone but its author (the creator, a moderator) it is
    a moderator's removal: through ``moderation_apply`` (audited, the author told), whose follow-up
    (``comment_moderated``) deletes it the same way."""
    if by is None or by.pk == comment.author_id:
        _comment_destroy(comment)
        return
    try:
        entry = moderation_apply(actor=by, target=comment, status=ModerationStatus.REMOVED, reason=reason)
    except NotFound:
        return  # deleted meanwhile: nothing to remove
    if entry is None:  # already removed (by a racing moderator, or left so): the delete still happens
        _comment_destroy(comment)


def _comment_destroy(comment: Comment) -> None:
    """Counters follow exactly what this call removed: a racing second delete of the same comment
    removes nothing and so moves no counter (nor records ``comment.deleted``)."""
    ids = [comment.pk, *Comment.objects.filter(parent_id=comment.pk).values_list("pk", flat=True)]
    _, per_model = Comment.objects.filter(pk=comment.pk).delete()
    removed = per_model.get(Comment._meta.label, 0)
    if not removed:
        return
    events.record("comment.deleted", comment_ids=ids, video_id=comment.video_id)
    if comment.parent_id:
        _add(Comment, comment.parent_id, "replies_count", -1)
    _add(Video, comment.video_id, "comments_count", -removed)


@transaction.atomic
def comment_like(*, user, comment: Comment) -> CommentLike:
    try:
        with transaction.atomic():
            like = CommentLike.objects.create(user=user, comment=comment)
    except IntegrityError:
        return CommentLike.objects.get(user=user, comment=comment)
    _add(Comment, comment.pk, "likes_count", 1)
    events.record("comment.liked", comment_id=comment.pk, user_id=user.pk, author_id=comment.author_id)
    return like


@transaction.atomic
def comment_unlike(*, user, comment: Comment) -> None:
    deleted, _ = CommentLike.objects.filter(user=user, comment=comment).delete()
    if deleted:
        _add(Comment, comment.pk, "likes_count", -1)


@transaction.atomic
def comment_pin(*, comment: Comment) -> Comment:
    """The creator pins one top-level comment (pinning another unpins the previous one)."""
    Comment.objects.filter(video_id=comment.video_id, pinned_at__isnull=False).exclude(pk=comment.pk).update(
        pinned_at=None
    )
    if comment.pinned_at is None:
        comment.pinned_at = timezone.now()
        comment.save(update_fields=["pinned_at"])
    return comment


@transaction.atomic
def comment_unpin(*, comment: Comment) -> Comment:
    Comment.objects.filter(pk=comment.pk).update(pinned_at=None)
    comment.pinned_at = None
    return comment


@transaction.atomic
def comment_hold(*, comment: Comment, by=None, reason: str = "") -> Comment:
    """Hold for review (the creator or a moderator): only its author and the creator still see it."""
    moderation_apply(actor=by, target=comment, status=ModerationStatus.HELD, reason=reason)
    return comment


@transaction.atomic
def comment_approve(*, comment: Comment, by=None, reason: str = "") -> Comment:
    moderation_apply(actor=by, target=comment, status=ModerationStatus.VISIBLE, reason=reason)
    return comment


def comment_moderated(*, target: Comment, previous: str, status: str) -> None:
    """``moderation_apply``'s follow-up for a comment: a held comment is not pinned; a removed one
    is deleted with its replies (what a moderator's delete always did; the audit entry keeps it)."""
    if status == ModerationStatus.HELD:
        Comment.objects.filter(pk=target.pk).update(pinned_at=None)
        target.pinned_at = None
    elif status == ModerationStatus.REMOVED:
        _comment_destroy(target)
