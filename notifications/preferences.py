"""Default channel choices per kind, and which kinds aggregate into one row.

A user's ``Preference`` row overrides the defaults for one kind; kinds without a row use these.
"""

from dataclasses import dataclass

from notifications.models import FOLLOWER_KIND_VALUES, Kind


@dataclass(frozen=True)
class Channels:
    in_app: bool
    email: bool
    push: bool

    @property
    def any(self) -> bool:
        return self.in_app or self.email or self.push


ON_ALL = Channels(in_app=True, email=True, push=True)

DEFAULTS: dict[str, Channels] = {
    Kind.FOLLOW: Channels(in_app=True, email=False, push=True),
    Kind.FOLLOW_REQUEST: ON_ALL,
    Kind.FOLLOW_ACCEPTED: Channels(in_app=True, email=False, push=True),
    Kind.LIKE_POST: Channels(in_app=True, email=False, push=False),
    Kind.LIKE_VIDEO: Channels(in_app=True, email=False, push=False),
    Kind.LIKE_COMMENT: Channels(in_app=True, email=False, push=False),
    Kind.REPLY: ON_ALL,
    Kind.MENTION: ON_ALL,
    Kind.REPOST: Channels(in_app=True, email=False, push=False),
    Kind.QUOTE: Channels(in_app=True, email=False, push=True),
    Kind.COMMENT: Channels(in_app=True, email=False, push=True),
    Kind.COMMENT_REPLY: Channels(in_app=True, email=False, push=True),
    # Posts are frequent: hearing about every post of everyone you follow is opt-in.
    Kind.NEW_POST: Channels(in_app=False, email=False, push=False),
    Kind.NEW_VIDEO: Channels(in_app=True, email=False, push=True),
    Kind.LIVE_STARTED: Channels(in_app=True, email=False, push=True),
    Kind.VIDEO_READY: ON_ALL,
    Kind.VIDEO_FAILED: ON_ALL,
    Kind.COPYRIGHT_CLAIM: ON_ALL,
    Kind.PAYOUT_SENT: Channels(in_app=True, email=True, push=False),
    Kind.TIP_RECEIVED: ON_ALL,
    Kind.NEW_MEMBER: Channels(in_app=True, email=True, push=True),
    Kind.MODERATION_ACTION: Channels(in_app=True, email=True, push=False),
    # An outcome, not news: in the inbox only unless the user asks for more.
    Kind.REPORT_RESOLVED: Channels(in_app=True, email=False, push=False),
    # Advertisers: a rejection (with its reason) or a finished campaign asks them to act.
    Kind.AD_CAMPAIGN_REVIEWED: Channels(in_app=True, email=True, push=False),
    Kind.AD_CAMPAIGN_ENDED: Channels(in_app=True, email=True, push=False),
}

# Bursts of these collapse into one row per target ("alice and 12 others liked your post").
# Replies, mentions, comments and the like carry their own text and stay separate.
AGGREGATED_KINDS = frozenset(
    {Kind.FOLLOW, Kind.LIKE_POST, Kind.LIKE_VIDEO, Kind.LIKE_COMMENT, Kind.REPOST, Kind.NEW_MEMBER}
)

# Kinds fanned out to all of an author's followers by notify_followers().
FOLLOWER_KINDS = frozenset(Kind(value) for value in FOLLOWER_KIND_VALUES)


def default_for(kind: str) -> Channels:
    return DEFAULTS[kind]
