"""Follows, follow requests, blocks and mutes.

Counters (``followers_count``/``following_count``) change with F() updates in the same
transaction as the row they count, and only when a row really appeared or disappeared, so
repeated or concurrent calls never drift (and ``counters_recount`` repairs anything else).

Other apps react through domain events recorded in the same transaction (``user.followed``,
``user.follow_requested``, ``user.follow_accepted``, ``user.unfollowed``, ``user.blocked``,
``user.muted``, ``user.unmuted``): notifications tells people, posts keeps home timelines in step.
This app calls neither of them.
"""

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Block, Follow, FollowRequest, Mute
from accounts.services.users import user_counter_add
from socialflow.core import access, events
from socialflow.core.exceptions import InvalidInput, NotFound, PermissionDenied
from socialflow.core.ids import parse_id
from socialflow.ratelimit import action_rate_limit_hit


def _not_self(actor, target, action: str) -> None:
    if actor.pk == target.pk:
        raise InvalidInput(f"You cannot {action} yourself.", code="self")


def _follow_add(*, follower_id: int, followee_id: int) -> Follow | None:
    """Create the follow edge (None if it already existed) and count it."""
    try:
        with transaction.atomic():
            follow = Follow.objects.create(follower_id=follower_id, followee_id=followee_id)
    except IntegrityError:
        return None
    user_counter_add(user_id=follower_id, field="following_count", delta=1)
    user_counter_add(user_id=followee_id, field="followers_count", delta=1)
    return follow


def _follow_remove(*, follower_id: int, followee_id: int) -> bool:
    deleted, _ = Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).delete()
    if deleted:
        user_counter_add(user_id=follower_id, field="following_count", delta=-1)
        user_counter_add(user_id=followee_id, field="followers_count", delta=-1)
        events.record("user.unfollowed", follower_id=follower_id, followee_id=followee_id)
    return bool(deleted)


@transaction.atomic
def follow_create(*, follower, followee) -> Follow | FollowRequest:
    """Follow ``followee``; a private account gets a ``FollowRequest`` instead. Idempotent.

    Raises 400 for self, 403 across a block, 404 for a deleted account, 429 past the daily limit.
    """
    _not_self(follower, followee, "follow")
    if followee.is_deleted:
        raise NotFound("No such user.", code="not_found")
    if not access.can_act(follower, "follow", followee, kind="user"):  # a block either way
        raise PermissionDenied("You cannot follow this account.", code="blocked")
    existing = Follow.objects.filter(follower_id=follower.pk, followee_id=followee.pk).first()
    if existing is not None:
        return existing
    if followee.is_private:
        pending = FollowRequest.objects.filter(requester_id=follower.pk, target_id=followee.pk).first()
        if pending is not None:
            return pending
    limit, period = settings.FOLLOW_RATE_LIMIT
    action_rate_limit_hit(key=f"follow:{follower.pk}", limit=limit, period_s=period)
    if followee.is_private:
        request, created = FollowRequest.objects.get_or_create(requester_id=follower.pk, target_id=followee.pk)
        if created:
            events.record(
                "user.follow_requested", follower_id=follower.pk, followee_id=followee.pk, request_id=request.pk
            )
        return request
    follow = _follow_add(follower_id=follower.pk, followee_id=followee.pk)
    if follow is None:  # a concurrent request won the race
        return Follow.objects.get(follower_id=follower.pk, followee_id=followee.pk)
    events.record("user.followed", follower_id=follower.pk, followee_id=followee.pk)
    return follow


@transaction.atomic
def follow_delete(*, follower, followee) -> bool:
    """Unfollow (or withdraw a pending request). Idempotent; True if something was removed."""
    removed = _follow_remove(follower_id=follower.pk, followee_id=followee.pk)
    withdrawn, _ = FollowRequest.objects.filter(requester_id=follower.pk, target_id=followee.pk).delete()
    return removed or bool(withdrawn)


def _request_for(*, target, request_id) -> FollowRequest:
    request_id = parse_id(request_id)
    if request_id is None:
        raise NotFound("No such follow request.", code="not_found")
    request = (
        FollowRequest.objects.select_for_update()
        .select_related("requester")
        .filter(pk=request_id, target_id=target.pk)
        .first()
    )
    if request is None:
        raise NotFound("No such follow request.", code="not_found")
    return request


@transaction.atomic
def follow_request_accept(*, target, request_id) -> Follow:
    """Approve a pending request addressed to ``target``: the requester now follows them."""
    request = _request_for(target=target, request_id=request_id)
    requester = request.requester
    request.delete()
    follow = _follow_add(follower_id=requester.pk, followee_id=target.pk)
    if follow is None:
        return Follow.objects.get(follower_id=requester.pk, followee_id=target.pk)
    events.record("user.follow_accepted", follower_id=requester.pk, followee_id=target.pk)
    return follow


@transaction.atomic
def follow_request_reject(*, target, request_id) -> None:
    _request_for(target=target, request_id=request_id).delete()


@transaction.atomic
def block_create(*, blocker, blocked) -> Block:
    """Block ``blocked``: follows and follow requests both ways go, content hides both ways."""
    _not_self(blocker, blocked, "block")
    block, created = Block.objects.get_or_create(blocker_id=blocker.pk, blocked_id=blocked.pk)
    if created:
        _follow_remove(follower_id=blocker.pk, followee_id=blocked.pk)
        _follow_remove(follower_id=blocked.pk, followee_id=blocker.pk)
        FollowRequest.objects.filter(requester_id=blocker.pk, target_id=blocked.pk).delete()
        FollowRequest.objects.filter(requester_id=blocked.pk, target_id=blocker.pk).delete()
        events.record("user.blocked", blocker_id=blocker.pk, blocked_id=blocked.pk)
    return block


@transaction.atomic
def block_delete(*, blocker, blocked) -> bool:
    deleted, _ = Block.objects.filter(blocker_id=blocker.pk, blocked_id=blocked.pk).delete()
    return bool(deleted)


@transaction.atomic
def mute_create(*, muter, muted) -> Mute:
    """Mute ``muted``: their posts leave the muter's feeds (nobody else's)."""
    _not_self(muter, muted, "mute")
    mute, created = Mute.objects.get_or_create(muter_id=muter.pk, muted_id=muted.pk)
    if created:
        events.record("user.muted", muter_id=muter.pk, muted_id=muted.pk)
    return mute


@transaction.atomic
def mute_delete(*, muter, muted) -> bool:
    deleted, _ = Mute.objects.filter(muter_id=muter.pk, muted_id=muted.pk).delete()
    if deleted:
        events.record("user.unmuted", muter_id=muter.pk, muted_id=muted.pk)
    return bool(deleted)
