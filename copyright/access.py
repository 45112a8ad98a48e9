"""The copyright rule on videos: a claim in effect with the ``block`` policy hides the video from
viewers in its territories (every territory when it names none). Its uploader, moderators and
staff still see it. Registered from ``CopyrightConfig.ready()``.

The viewer's country is ``socialflow.core.territory.viewer_country()`` (a header set by the edge).
An unknown country counts as inside every territory: a territorial block fails closed.
"""

from django.db.models import Q

from copyright.models import EFFECTIVE, Claim, Policy
from socialflow.core import access, territory


def _blocking_claims(country: str | None):
    claims = Claim.objects.filter(status__in=EFFECTIVE, policy=Policy.BLOCK)
    if country is not None:
        claims = claims.filter(Q(territories="") | Q(territories__contains=f",{country},"))
    return claims


def _exempt(viewer) -> bool:
    return access.is_moderator(viewer) or access.is_staff(viewer)


def blocked_visible_q(viewer, prefix: str = "") -> Q:
    if _exempt(viewer):
        return Q()
    blocked = Q(**{f"{prefix}pk__in": _blocking_claims(territory.viewer_country()).values("video_id")})
    uid = access.viewer_id(viewer)
    if uid is None:
        return ~blocked
    return ~blocked | Q(**{f"{prefix}author_id": uid})


def blocked_can_view(viewer, video) -> bool:
    if _exempt(viewer) or (access.viewer_id(viewer) is not None and video.author_id == access.viewer_id(viewer)):
        return True
    return not _blocking_claims(territory.viewer_country()).filter(video_id=video.pk).exists()


RULE = access.Rule("copyright.block", visible_q=blocked_visible_q, can_view=blocked_can_view)


def register() -> None:
    access.add_rule("video", RULE)
