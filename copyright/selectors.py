"""Reads of the copyright domain: claims as their parties see them, references, the revenue split
by matched duration, and what a tracking claimant may see of a video."""

from fractions import Fraction

from django.db.models import Q, QuerySet

from copyright.models import EFFECTIVE, Claim, Match, Policy, Reference, RightsHolder
from socialflow.core.exceptions import InvalidInput, NotFound
from socialflow.core.money import Money
from socialflow.core.revenue import ClaimShareProvider
from videos import selectors as videos_selectors

ROLES = ("uploader", "claimant")


def is_rights_holder(*, user) -> bool:
    return getattr(user, "pk", None) is not None and RightsHolder.objects.filter(user_id=user.pk).exists()


def references_of(*, user) -> QuerySet:
    return Reference.objects.filter(owner_id=user.pk).order_by("-created_at", "-id")


def claims_for(*, user, role: str | None = None) -> QuerySet:
    """Claims where ``user`` is a party: on their videos (``uploader``), theirs (``claimant``), or both."""
    if role not in (None, "", *ROLES):
        raise InvalidInput(errors={"role": ["uploader or claimant."]})
    if role == "uploader":
        where = Q(uploader_id=user.pk)
    elif role == "claimant":
        where = Q(claimant_id=user.pk)
    else:
        where = Q(uploader_id=user.pk) | Q(claimant_id=user.pk)
    return (
        Claim.objects.filter(where)
        .select_related("reference", "video", "claimant", "uploader")
        .order_by("-created_at", "-id")
    )


def claim_get_for_party(*, claim_id, user) -> Claim:
    """One claim, for its uploader or claimant only (404 for anyone else)."""
    claim = (
        Claim.objects.select_related("reference", "video", "claimant", "uploader").filter(pk=claim_id).first()
        if str(claim_id).isdigit()
        else None
    )
    if claim is None or getattr(user, "pk", None) not in (claim.uploader_id, claim.claimant_id):
        raise NotFound("No such claim.")
    return claim


def matches_for_review() -> QuerySet:
    return Match.objects.filter(status=Match.Status.REVIEW).select_related("reference").order_by("-created_at")


def tracked_stats(*, claim: Claim, user) -> dict | None:
    """The video's figures for a claimant whose claim tracks it (``track`` policy, in effect)."""
    if claim.claimant_id != user.pk or claim.policy != Policy.TRACK or claim.status not in EFFECTIVE:
        return None
    video = videos_selectors.video_for_event(video_id=claim.video_id)
    if video is None:
        return None
    return {
        "views": video.views_count,
        "likes": video.likes_count,
        "comments": video.comments_count,
        "duration_ms": video.duration_ms,
    }


def is_tracking_claimant(*, user_id: int, video_id: int) -> bool:
    """Whether ``user_id`` holds a ``track`` claim in effect on the video: such a claimant may read
    the video's analytics (registered as ``socialflow.core.revenue``'s analytics claimant provider)."""
    return Claim.objects.filter(
        video_id=video_id, claimant_id=user_id, policy=Policy.TRACK, status__in=EFFECTIVE
    ).exists()


def revenue_weights(*, video_id: int, video_duration_ms: int | None = None) -> list[tuple[int, Fraction]]:
    """Each monetizing claimant's exact fraction of the video's revenue: matched duration / video
    duration (30 s of 120 s → 1/4), summed per claimant; all claimants together at most 1 (scaled
    down proportionally past it). By claimant id."""
    claims = list(
        Claim.objects.filter(video_id=video_id, policy=Policy.MONETIZE, status__in=EFFECTIVE).values_list(
            "claimant_id", "duration_ms"
        )
    )
    if not claims:
        return []
    if video_duration_ms is None:
        video = videos_selectors.video_for_event(video_id=video_id)
        video_duration_ms = (video.duration_ms if video else None) or 0
    by_claimant: dict[int, int] = {}
    for claimant_id, duration_ms in claims:
        by_claimant[claimant_id] = by_claimant.get(claimant_id, 0) + duration_ms
    denominator = max(video_duration_ms, sum(by_claimant.values()))
    if denominator <= 0:
        return []
    return [
        (claimant_id, Fraction(by_claimant[claimant_id], denominator))
        for claimant_id in sorted(by_claimant)
        if by_claimant[claimant_id]
    ]


def revenue_split(*, video_id: int, amount: Money, video_duration_ms: int | None = None) -> list[tuple[int, Money]]:
    """Each monetizing claimant's share of ``amount`` (``revenue_weights``). Cent-exact: each share
    rounds down, the remainder stays the uploader's."""
    if amount.amount_minor <= 0:
        return []
    shares = []
    for claimant_id, weight in revenue_weights(video_id=video_id, video_duration_ms=video_duration_ms):
        cents = int(amount.amount_minor * weight)  # floor: non-negative
        if cents:
            shares.append((claimant_id, Money(cents, amount.currency)))
    return shares


class ClaimShares(ClaimShareProvider):
    """``socialflow.core.revenue``'s provider: the monetize claims' split."""

    def split(self, *, video_id: int, amount: Money) -> list[tuple[int, Money]]:
        return revenue_split(video_id=video_id, amount=amount)

    def weights(self, *, video_id: int) -> list[tuple[int, Fraction]]:
        return revenue_weights(video_id=video_id)
