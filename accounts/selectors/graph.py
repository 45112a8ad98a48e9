"""Reads of the social graph: follows, follow requests, blocks and mutes.

Every app that filters by the graph (feeds, search, video and stream visibility, notifications)
reads it through these functions; none of them imports another app.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import Block, Follow, FollowRequest, Mute, User
from socialflow.core import access
from socialflow.core.exceptions import PermissionDenied


@dataclass(frozen=True)
class Relationship:
    is_following: bool = False
    is_followed_by: bool = False
    follow_requested: bool = False
    is_blocked: bool = False
    is_blocking_you: bool = False
    is_muted: bool = False


def user_relationship(*, viewer, target) -> Relationship:
    """How ``viewer`` relates to ``target`` (anonymous or self: all false). Four queries at most."""
    if viewer is None or not viewer.is_authenticated or viewer.pk == target.pk:
        return Relationship()
    follows = set(
        Follow.objects.filter(Q(follower=viewer, followee=target) | Q(follower=target, followee=viewer)).values_list(
            "follower_id", flat=True
        )
    )
    blocks = set(
        Block.objects.filter(Q(blocker=viewer, blocked=target) | Q(blocker=target, blocked=viewer)).values_list(
            "blocker_id", flat=True
        )
    )
    return Relationship(
        is_following=viewer.pk in follows,
        is_followed_by=target.pk in follows,
        follow_requested=FollowRequest.objects.filter(requester=viewer, target=target).exists(),
        is_blocked=viewer.pk in blocks,
        is_blocking_you=target.pk in blocks,
        is_muted=Mute.objects.filter(muter=viewer, muted=target).exists(),
    )


def is_blocked_either_way(*, user_a_id: int, user_b_id: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=user_a_id, blocked_id=user_b_id) | Q(blocker_id=user_b_id, blocked_id=user_a_id)
    ).exists()


def is_following(*, follower_id: int, followee_id: int, unless_muted: bool = False) -> bool:
    """Whether ``follower_id`` follows ``followee_id`` now (and, with ``unless_muted``, has not
    muted them): what a home timeline should hold. A block removes follows, so it answers False."""
    follows = Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).exists()
    if not follows or not unless_muted:
        return follows
    return not Mute.objects.filter(muter_id=follower_id, muted_id=followee_id).exists()


def follow_request_pending(*, request_id: int) -> bool:
    return FollowRequest.objects.filter(pk=request_id).exists()


def hidden_author_ids_for(*, viewer_id: int) -> set[int]:
    """Authors whose content ``viewer`` must not see: blocked either way, or muted by the viewer.

    One query (a UNION of the three relations).
    """
    rows = (
        Block.objects.filter(blocker_id=viewer_id)
        .values_list("blocked_id", flat=True)
        .union(
            Block.objects.filter(blocked_id=viewer_id).values_list("blocker_id", flat=True),
            Mute.objects.filter(muter_id=viewer_id).values_list("muted_id", flat=True),
        )
    )
    return set(rows)


def follower_ids(*, user_id: int) -> list[int]:
    """Ids of everyone following ``user_id`` (not deleted accounts)."""
    return list(
        Follow.objects.filter(followee_id=user_id, follower__deleted_at__isnull=True).values_list(
            "follower_id", flat=True
        )
    )


def following_ids(*, user_id: int) -> list[int]:
    return list(
        Follow.objects.filter(follower_id=user_id, followee__deleted_at__isnull=True).values_list(
            "followee_id", flat=True
        )
    )


def access_follow_lists(*, owner: User, viewer) -> None:
    """A private account's followers/following are for the owner and approved followers only, and
    nobody's across a block (the ``user`` kind's ``see_connections``)."""
    refusal = access.policy_for("user").see_connections(viewer, owner)
    if refusal == "blocked":
        raise PermissionDenied("You cannot see this account's connections.", code="blocked")
    if refusal == "private":
        raise PermissionDenied("This account is private.", code="private")


def followers_of(*, user: User) -> QuerySet:
    return Follow.objects.filter(followee_id=user.pk, follower__deleted_at__isnull=True).select_related("follower")


def following_of(*, user: User) -> QuerySet:
    return Follow.objects.filter(follower_id=user.pk, followee__deleted_at__isnull=True).select_related("followee")


def follow_requests_for(*, user) -> QuerySet:
    return FollowRequest.objects.filter(target_id=user.pk, requester__deleted_at__isnull=True).select_related(
        "requester"
    )
