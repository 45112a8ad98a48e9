"""Reads for posts and the social graph."""

from dataclasses import dataclass

from django.db.models import Q

from posts.models import Block, Follow, FollowRequest, Mute


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


def hidden_author_ids_for(*, viewer_id: int) -> set[int]:
    """Authors whose content ``viewer`` must not see: blocked either way, or muted by the viewer."""
    blocked = Block.objects.filter(Q(blocker_id=viewer_id) | Q(blocked_id=viewer_id)).values_list(
        "blocker_id", "blocked_id"
    )
    hidden = {uid for pair in blocked for uid in pair if uid != viewer_id}
    hidden.update(Mute.objects.filter(muter_id=viewer_id).values_list("muted_id", flat=True))
    return hidden
