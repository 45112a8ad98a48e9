"""Revenue shares of a video's earnings owed to others (copyright claimants), as a seam.

The app that routes revenue (monetization) asks ``claim_shares(video_id=…, amount=Money)`` and
gets ``[(user_id, Money), …]`` for the claimants plus the uploader's rest, cent-exact (the shares
add up to ``amount``). Until an app registers a provider (copyright does, with
``set_claim_share_provider``) nobody claims anything: the uploader keeps it all, which
``claim_shares`` says by returning an empty list. Nothing in here imports a domain app.
"""

from socialflow.core.money import Money


class ClaimShareProvider:
    """Who else is owed part of a video's revenue: ``split`` returns claimants' shares only."""

    def split(self, *, video_id: int, amount: Money) -> list[tuple[int, Money]]:
        raise NotImplementedError


_provider: ClaimShareProvider | None = None


def set_claim_share_provider(provider: ClaimShareProvider | None) -> None:
    global _provider
    _provider = provider


def claim_shares(*, video_id: int, amount: Money) -> list[tuple[int, Money]]:
    """(claimant user id, share) for each claimant; what they leave (``amount`` minus their sum) is the uploader's."""
    if _provider is None:
        return []
    return _provider.split(video_id=video_id, amount=amount)
