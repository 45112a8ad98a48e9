"""The persona matrix: every REST endpoint × persona × object state, and the status it answers.

Every ``/api/v1`` route and method of the URL conf is classified below (``ENDPOINTS``); a route the
table does not classify fails ``test_every_endpoint_is_classified``, so a new endpoint cannot ship
without saying who may call it. Object endpoints run against one object per state (public,
unlisted, followers-only, private, members-only, hidden/removed, private account) as each persona
(owner, follower, member, blocked, muted, stranger, anonymous, moderator, staff); lists that show
the object also say whether it is there. The expectations are written from the rules (see
docs/architecture.md, "The access layer"), not recorded from the code.

Fast by construction: the world (a few dozen rows, factories, no media) is built once per module
inside a transaction; each case runs in a savepoint that is rolled back, so writes never leak.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache, caches
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as accounts_services
from accounts.models import FollowRequest, User
from accounts.tests.factories import UserFactory
from live.models import Stream, StreamBan
from live.tests.factories import ChatMessageFactory, StreamFactory
from notifications.tests.factories import NotificationFactory
from posts.models import Hashtag, PostHashtag
from posts.models import Visibility as PostVisibility
from posts.tests.factories import PostFactory
from socialflow.core import access
from socialflow.core.moderation import ModerationStatus
from socialflow.redis import breaker
from videos.models import Playlist, PlaylistItem
from videos.models import Visibility as VideoVisibility
from videos.tests.factories import CommentFactory, PlaylistFactory, VideoFactory

PERSONAS = ("owner", "follower", "member", "blocked", "muted", "stranger", "anonymous", "moderator", "staff")
STATES = ("public", "unlisted", "followers", "private", "members", "hidden", "private_account")
MODERATORS = frozenset({"moderator", "staff"})
WORD = "zebrafinch"  # in every post's and video's text, for search

# --- who sees what (the rules, per kind) -----------------------------------------------------------


def sees_post(persona: str, state: str) -> bool:
    """Posts: no moderator bypass; hidden is gone for everyone, the author included; 'private' is a
    direct post mentioning nobody; a private account's public post is for its followers."""
    if state == "hidden" or persona == "blocked":
        return False
    if persona == "owner":
        return True
    return {
        "public": True,
        "unlisted": True,
        "followers": persona == "follower",
        "private": False,
        "members": persona == "member",
        "private_account": persona == "follower",
    }[state] and (persona != "anonymous" or state in ("public", "unlisted"))


def sees_video(persona: str, state: str) -> bool:
    """Videos: owner and moderators/staff see everything; a private account does not change a
    video's audience (videos have their own visibility)."""
    if persona in ("owner", *MODERATORS):
        return True
    if state in ("hidden", "private") or persona == "blocked":
        return False
    if state == "followers":
        return persona == "follower"
    if state == "members":
        return persona == "member"
    return True


def sees_playlist(persona: str, state: str) -> bool:
    return state != "private" or persona == "owner"


def sees_stream(persona: str, state: str) -> bool:
    return True  # streams are public while the owner's account exists (a block stops the chat only)


def sees_chat_message(persona: str, state: str) -> bool:
    """With its stream; one a moderator removed only for its author (the streamer here) and moderators."""
    return state != "hidden" or persona in ("owner", *MODERATORS)


KIND_STATES = {
    "post": STATES,
    "video": STATES,
    "comment": STATES,  # a comment by the owner on the owner's video in that state
    "playlist": ("public", "unlisted", "private", "private_account"),
    "stream": ("public", "members", "private_account"),  # members: a members-only chat
    "chat_message": ("public", "members", "private_account", "hidden"),  # hidden: removed, public stream
    "user": ("public", "private_account"),
    "notification": ("public",),
}
SEES: dict[str, Callable[[str, str], bool]] = {
    "post": sees_post,
    "video": sees_video,
    "comment": sees_video,
    "playlist": sees_playlist,
    "stream": sees_stream,
    "chat_message": sees_chat_message,
    "user": lambda persona, state: True,  # every live profile; a block shows it with its flags
    "notification": lambda persona, state: persona == "owner",
}

# --- the endpoint table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    """An endpoint on one object of ``kind``; ``expect(persona, state, sees) -> status``.

    ``listed(persona, state, sees) -> bool`` (optional): whether the object appears in the answer."""

    kind: str
    expect: Callable[[str, str, bool], int]
    body: dict | Callable[[World, str], dict] | None = None
    listed: Callable[[str, str, bool], bool] | None = None


@dataclass(frozen=True)
class Plain:
    """An endpoint on no object (the caller's own things, or public lists): one status per persona;
    ``listed`` checks whether the objects of ``kind`` in each state are in the answer."""

    expect: Callable[[str], int]
    body: dict | None = None
    query: str = ""
    kind: str | None = None
    listed: Callable[[str, str, bool], bool] | None = None


@dataclass(frozen=True)
class Exempt:
    reason: str


def signed_in(ok: int, anonymous: int = 401) -> Callable[[str], int]:
    return lambda persona: anonymous if persona == "anonymous" else ok


def everyone(ok: int) -> Callable[[str], int]:
    return lambda persona: ok


def read(ok: int = 200) -> Callable[[str, str, bool], int]:
    """A read anyone may make of what they may see (404 hides the rest)."""
    return lambda persona, state, sees: ok if sees else 404


def act(ok: int = 200) -> Callable[[str, str, bool], int]:
    """An action any signed-in viewer may take on what they may see."""
    return lambda persona, state, sees: 401 if persona == "anonymous" else ok if sees else 404


def owner_only(ok: int = 200, *, also: frozenset = frozenset()) -> Callable[[str, str, bool], int]:
    """The owner's (and ``also``'s) action on a visible object: 404 if invisible, 403 if visible."""

    def expect(persona, state, sees):
        if persona == "anonymous":
            return 401
        if not sees:
            return 404
        return ok if persona == "owner" or persona in also else 403

    return expect


def stream_role(ok: int = 200, *, moderators: bool = True, anonymous: int = 401) -> Callable[[str, str, bool], int]:
    """The streamer's (and the room's moderators') controls; streams are visible, so 403 otherwise."""
    allowed = {"owner", *MODERATORS} if moderators else {"owner"}
    return lambda persona, state, sees: anonymous if persona == "anonymous" else ok if persona in allowed else 403


def repost(persona, state, sees):
    if persona == "anonymous":
        return 401
    if not sees:
        return 404
    return 200 if state in ("public", "unlisted") else 400  # only what everyone sees may be shared


def follow(persona, state, sees):
    if persona == "anonymous":
        return 401
    if persona == "owner":
        return 400  # not yourself
    if persona == "blocked":
        return 403
    return 200  # a private account gets a follow request ("requested": true)


def graph_undo(persona, state, sees):
    return 401 if persona == "anonymous" else 200  # idempotent, yourself included


def block_or_mute(persona, state, sees):
    return 401 if persona == "anonymous" else 400 if persona == "owner" else 200


def connections(persona, state, sees):
    """A private account's connections: the owner and followers; nobody's across a block."""
    if persona == "blocked":
        return 403
    if state == "private_account" and persona not in ("owner", "follower"):
        return 403
    return 200


def in_public_lists(persona, state, sees):
    """Hashtags and search: public posts (a private account's for its followers), never a muted author."""
    return sees and state in ("public", "private_account") and persona != "muted"


def for_you(persona, state, sees):
    """For you: followed accounts' posts and popular public ones; never one's own or a muted author's."""
    return sees and persona not in ("owner", "muted") and (persona == "follower" or state == "public")


def video_listed(persona, state, sees):
    """Video lists and search: listed (public, followers, members) and seen; never a muted author."""
    return sees and state in ("public", "followers", "members", "private_account") and persona != "muted"


def _playlist_item(world: World, state: str) -> dict:
    return {"video_id": str(world.objects["video"]["public"].pk)}


def _report_post(world: World, state: str) -> dict:
    return {"target_type": "post", "target_id": str(world.objects["post"][state].pk), "reason": "spam"}


def analytics_owner(persona, state, sees):
    return 401 if persona == "anonymous" else 200 if persona == "owner" else 404


def _share_video(world: World, state: str) -> dict:
    return {"video": str(world.objects["video"][state].pk)}


def report(persona, state, sees):
    """Reporting: what one may see, never one's own (a hidden post is gone for its author too)."""
    if persona == "anonymous":
        return 401
    if not sees:
        return 404
    return 400 if persona == "owner" else 201


ENDPOINTS: dict[tuple[str, str], Obj | Plain | Exempt] = {
    # accounts
    ("auth-register", "POST"): Exempt("sign-up flow (no object, anonymous by nature): accounts/tests"),
    ("auth-email-verify", "POST"): Exempt("sign-up flow: accounts/tests"),
    ("auth-email-resend", "POST"): Exempt("sign-up flow: accounts/tests"),
    ("auth-token", "POST"): Exempt("login: accounts/tests"),
    ("auth-token-refresh", "POST"): Exempt("login: accounts/tests"),
    ("auth-logout", "POST"): Exempt("login: accounts/tests"),
    ("auth-password-reset", "POST"): Exempt("password flow: accounts/tests"),
    ("auth-password-reset-confirm", "POST"): Exempt("password flow: accounts/tests"),
    ("auth-password-change", "POST"): Plain(signed_in(400), body={}),
    ("auth-2fa-totp", "POST"): Plain(signed_in(200)),
    ("auth-2fa-totp", "DELETE"): Plain(signed_in(400)),
    ("auth-2fa-totp-confirm", "POST"): Plain(signed_in(400), body={}),
    ("auth-2fa-recovery-codes", "POST"): Plain(signed_in(400), body={}),
    ("me", "GET"): Plain(signed_in(200)),
    ("me", "PATCH"): Plain(signed_in(200), body={"bio": "hi"}),
    ("me", "DELETE"): Plain(signed_in(204)),
    ("user-profile", "GET"): Obj("user", read()),
    ("users-follow", "POST"): Obj("user", follow),
    ("users-follow", "DELETE"): Obj("user", graph_undo),
    ("users-block", "POST"): Obj("user", block_or_mute),
    ("users-block", "DELETE"): Obj("user", graph_undo),
    ("users-mute", "POST"): Obj("user", block_or_mute),
    ("users-mute", "DELETE"): Obj("user", graph_undo),
    ("users-followers", "GET"): Obj("user", connections),
    ("users-following", "GET"): Obj("user", connections),
    ("follow-requests", "GET"): Plain(signed_in(200)),
    ("follow-requests-accept", "POST"): Plain(signed_in(404)),  # the id names nobody's request
    ("follow-requests-reject", "POST"): Plain(signed_in(404)),
    # posts
    ("posts-create", "POST"): Plain(signed_in(201), body={"text": "hello"}),
    ("posts-detail", "GET"): Obj("post", read()),
    ("posts-detail", "PATCH"): Obj("post", owner_only(), body={"text": "edited"}),
    ("posts-detail", "DELETE"): Obj("post", owner_only(204)),
    ("posts-replies", "GET"): Obj("post", read()),
    ("posts-edits", "GET"): Obj("post", read()),
    ("posts-like", "POST"): Obj("post", act()),
    ("posts-like", "DELETE"): Obj("post", act()),
    ("posts-repost", "POST"): Obj("post", repost),
    ("posts-repost", "DELETE"): Obj("post", act()),
    ("posts-bookmark", "POST"): Obj("post", act()),
    ("posts-bookmark", "DELETE"): Obj("post", act()),
    ("bookmarks", "GET"): Plain(signed_in(200)),
    ("media-upload", "POST"): Plain(signed_in(415), body={}),  # multipart only
    ("users-posts", "GET"): Obj("post", lambda p, s, sees: 200, listed=lambda p, s, sees: sees),
    ("feed-home", "GET"): Plain(
        signed_in(200), kind="post", listed=lambda p, s, sees: sees and p in ("owner", "follower")
    ),
    ("feed-for-you", "GET"): Plain(signed_in(200), kind="post", listed=for_you),
    ("hashtags-trending", "GET"): Plain(everyone(200)),
    ("hashtags-posts", "GET"): Plain(everyone(200), kind="post", listed=in_public_lists),
    ("search", "GET"): Plain(everyone(200), query=f"q={WORD}&type=posts", kind="post", listed=in_public_lists),
    ("search-suggest", "GET"): Plain(everyone(200), query="q=own"),
    ("search-trending", "GET"): Plain(everyone(200)),
    # videos
    ("upload-create", "POST"): Exempt("tus protocol (Upload-Length headers), the caller's own upload: videos/tests"),
    ("upload-detail", "GET"): Exempt("tus protocol on the caller's own upload: videos/tests"),
    ("upload-detail", "HEAD"): Exempt("tus protocol on the caller's own upload: videos/tests"),
    ("upload-detail", "PATCH"): Exempt("tus protocol on the caller's own upload: videos/tests"),
    ("upload-detail", "DELETE"): Exempt("tus protocol on the caller's own upload: videos/tests"),
    ("video-list", "GET"): Plain(everyone(200), query=f"q={WORD}", kind="video", listed=video_listed),
    ("video-list", "POST"): Plain(signed_in(400), body={}),
    ("video-detail", "GET"): Obj("video", read()),
    ("video-detail", "PATCH"): Obj("video", owner_only(), body={"title": "renamed"}),
    ("video-detail", "DELETE"): Obj("video", owner_only(204)),
    ("video-comments", "GET"): Obj(
        "video", read(), listed=lambda p, s, sees: sees and p != "muted"
    ),  # the owner's comment; muted authors leave comment lists
    ("video-comments", "POST"): Obj("video", act(201), body={"text": "nice"}),
    ("video-like", "POST"): Obj("video", act()),
    ("video-like", "DELETE"): Obj("video", act()),
    ("video-dislike", "POST"): Obj("video", act()),
    ("video-dislike", "DELETE"): Obj("video", act()),
    ("video-up-next", "GET"): Obj("video", read()),
    ("video-views", "POST"): Obj("video", read(201), body={}),
    ("video-watch", "POST"): Obj("video", read(400), body={}),  # visible: the body is checked next
    ("video-comment-detail", "GET"): Obj("comment", read()),
    ("video-comment-detail", "DELETE"): Obj("comment", owner_only(204, also=MODERATORS)),
    ("video-comment-like", "POST"): Obj("comment", act()),
    ("video-comment-like", "DELETE"): Obj("comment", act()),
    ("video-comment-pin", "POST"): Obj("comment", owner_only()),
    ("video-comment-pin", "DELETE"): Obj("comment", owner_only()),
    ("video-comment-hold", "POST"): Obj("comment", owner_only()),
    ("video-comment-approve", "POST"): Obj("comment", owner_only()),
    ("playlist-list", "GET"): Plain(signed_in(200, anonymous=200)),
    ("playlist-list", "POST"): Plain(signed_in(201), body={"title": "mine"}),
    ("playlist-detail", "GET"): Obj("playlist", read()),
    ("playlist-detail", "PATCH"): Obj("playlist", owner_only(), body={"title": "renamed"}),
    ("playlist-detail", "DELETE"): Obj("playlist", owner_only(204)),
    ("playlist-items", "POST"): Obj("playlist", owner_only(201), body=_playlist_item),
    ("playlist-remove-item", "DELETE"): Obj("playlist", owner_only(204)),
    # live
    ("live-stream-list", "GET"): Plain(
        everyone(200), query="status=all", kind="stream", listed=lambda p, s, sees: True
    ),
    ("live-stream-list", "POST"): Plain(
        lambda p: 401 if p == "anonymous" else 409 if p == "owner" else 201, body={"title": "new"}
    ),  # one active stream per owner
    ("live-stream-detail", "GET"): Obj("stream", read()),
    ("live-stream-detail", "PATCH"): Obj("stream", stream_role(moderators=False), body={"title": "renamed"}),
    ("live-stream-chat", "GET"): Obj(
        "chat_message", lambda p, s, sees: 200, listed=lambda p, s, sees: s != "hidden"
    ),  # the stream's history: a removed message leaves it for everyone
    ("live-stream-chat-delete", "DELETE"): Obj("chat_message", stream_role(204)),
    ("live-stream-end", "POST"): Obj("stream", stream_role()),
    ("live-stream-rotate-key", "POST"): Obj("stream", stream_role(moderators=False)),
    ("live-stream-bans", "GET"): Obj("stream", stream_role(anonymous=403)),  # a read: no 401 first
    ("live-stream-bans", "POST"): Obj("stream", stream_role(201), body={"username": "bystander"}),
    ("live-stream-unban", "DELETE"): Obj("stream", stream_role(204)),
    ("live-channel", "GET"): Plain(signed_in(200)),
    ("live-channel-rotate-key", "POST"): Plain(signed_in(200)),
    ("live-ingest-publish", "POST"): Exempt("nginx-rtmp callback with the ingest secret, no persona: live/tests"),
    ("live-ingest-publish-done", "POST"): Exempt("nginx-rtmp callback: live/tests/test_ingest.py"),
    ("live-ingest-record-done", "POST"): Exempt("nginx-rtmp callback: live/tests/test_ingest.py"),
    ("live-ingest-update", "POST"): Exempt("nginx-rtmp callback: live/tests/test_ingest.py"),
    ("live-hls", "GET"): Exempt("HLS files by unguessable playback id (public like the stream): live/tests"),
    # analytics: a video's report is its owner's alone (moderators and staff too get 404; a track
    # claimant is analytics/tests); the channel's and realtime are the caller's own; a share of
    # what the caller may see is counted, anonymous ones too
    ("analytics-video", "GET"): Obj("video", analytics_owner),
    ("analytics-channel", "GET"): Plain(signed_in(200)),
    ("analytics-realtime", "GET"): Plain(signed_in(200)),
    ("analytics-shares", "POST"): Obj("video", read(202), body=_share_video),
    # monetization: the caller's own ledger only (monetization/tests/test_api.py)
    ("monetization-earnings", "GET"): Plain(signed_in(200)),
    # copyright: the caller's own references and the claims they are a party to; writes need the
    # rights-holder capability (no persona has it); a claim is seen by its two parties only
    # (copyright/tests/test_api.py), so the id here names nobody's claim.
    ("copyright-references", "GET"): Plain(signed_in(200)),
    ("copyright-references", "POST"): Plain(signed_in(403), body={}),
    ("copyright-claims", "GET"): Plain(signed_in(200)),
    ("copyright-claims", "POST"): Plain(signed_in(403), body={}),
    ("copyright-claim", "GET"): Plain(signed_in(404)),
    ("copyright-claim-dispute", "POST"): Plain(signed_in(404), body={"reason": "mine"}),
    ("copyright-claim-release", "POST"): Plain(signed_in(404)),
    ("copyright-claim-uphold", "POST"): Plain(signed_in(404)),
    ("copyright-claim-appeal", "POST"): Plain(signed_in(404), body={"reason": "mine"}),
    # a tip needs a recipient and an amount; paying is monetization/tests/test_stripe_flow.py
    ("monetization-tips", "POST"): Plain(signed_in(400), body={}),
    ("monetization-connect", "POST"): Exempt("calls Stripe for any signed-in user: monetization/tests/test_payouts.py"),
    ("monetization-payouts", "GET"): Plain(signed_in(200)),
    ("monetization-payouts", "POST"): Plain(signed_in(400), body={}),
    ("monetization-tiers", "GET"): Plain(signed_in(200)),
    # creator plans: the caller's own (monetization/tests/test_plans.py)
    ("monetization-plans", "GET"): Plain(signed_in(200)),
    ("monetization-plan", "GET"): Plain(signed_in(200)),
    ("monetization-plan", "POST"): Plain(signed_in(400), body={}),
    ("monetization-plan", "DELETE"): Plain(signed_in(409)),
    ("monetization-tiers", "POST"): Plain(signed_in(400), body={}),
    ("monetization-membership-checkout", "POST"): Exempt(
        "a creator's tier by username: monetization/tests/test_memberships.py"
    ),
    # ads: an advertiser's own campaigns (the id here names nobody's); an ad is served before any
    # video the caller may see (no campaign in this world: 204), events name a served decision
    # (monetization/tests/ads/test_api.py)
    ("ads-campaigns", "GET"): Plain(signed_in(200)),
    ("ads-campaigns", "POST"): Plain(signed_in(400), body={}),
    ("ads-campaign", "GET"): Plain(signed_in(404)),
    ("ads-campaign", "PATCH"): Plain(signed_in(404), body={"name": "renamed"}),
    ("ads-serve", "GET"): Obj("video", read(204)),
    ("ads-events", "POST"): Plain(everyone(400), body={}),
    # advertiser billing: the caller's own balance, top-ups and refunds (monetization/tests/ads/test_billing.py,
    # test_refunds.py)
    ("ads-balance", "GET"): Plain(signed_in(200)),
    ("ads-top-ups", "GET"): Plain(signed_in(200)),
    ("ads-top-ups", "POST"): Plain(signed_in(400), body={}),
    # a refund of all the caller's refundable balance: nobody here has any (409 insufficient_balance)
    ("ads-refunds", "GET"): Plain(signed_in(200)),
    ("ads-refunds", "POST"): Plain(signed_in(409), body={}),
    # notifications
    ("notifications-list", "GET"): Plain(signed_in(200), kind="notification", listed=lambda p, s, sees: p == "owner"),
    ("notifications-unread-count", "GET"): Plain(signed_in(200)),
    ("notifications-mark-read", "POST"): Plain(signed_in(200), body={"all": True}),
    ("notifications-preferences", "GET"): Plain(signed_in(200)),
    ("notifications-preferences", "PATCH"): Plain(signed_in(200), body={"email_mode": "off"}),
    ("notifications-devices", "GET"): Plain(signed_in(200)),
    ("notifications-devices", "POST"): Plain(signed_in(400), body={}),
    ("notifications-device", "DELETE"): Plain(signed_in(404)),  # the id names nobody's device
    ("notifications-webpush-key", "GET"): Plain(everyone(200)),
    ("notifications-unsubscribe", "POST"): Plain(everyone(400), body={}),
    # moderation
    ("reports", "POST"): Obj("post", report, body=_report_post),
    ("reports", "GET"): Plain(signed_in(200)),
    # a report's thread is its reporter's alone; the id names nobody's report here
    ("report-messages", "GET"): Plain(signed_in(404)),
    ("report-messages", "POST"): Plain(signed_in(404), body={"text": "more details"}),
    ("moderation-actions", "GET"): Plain(signed_in(200)),  # the caller's own account actions
    ("appeals", "GET"): Plain(signed_in(200)),
    ("appeals", "POST"): Plain(signed_in(400), body={"text": "why"}),  # names neither action nor content
    ("notifications-detail", "GET"): Obj(
        "notification", lambda p, s, sees: 401 if p == "anonymous" else read()(p, s, sees)
    ),
    ("notifications-detail", "DELETE"): Obj(
        "notification", lambda p, s, sees: 401 if p == "anonymous" else read(204)(p, s, sees)
    ),
}

# --- the URL conf ------------------------------------------------------------------------------------

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def api_endpoints() -> dict[tuple[str, str], URLPattern]:
    """Every (route name, method) under /api/v1 that a view implements."""
    found: dict[tuple[str, str], URLPattern] = {}

    def walk(patterns, prefix: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
                continue
            route = prefix + str(pattern.pattern)
            if not route.startswith("api/v1/") or pattern.name is None:
                continue
            callback = pattern.callback
            actions = getattr(callback, "actions", None)
            view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            if actions:  # a viewset route (DRF adds HEAD to GET routes itself)
                methods = [m.upper() for m in actions if m != "head"]
            elif view_class is not None:
                methods = [m for m in (*METHODS, "HEAD") if hasattr(view_class, m.lower())]
            else:  # a function view (live HLS: GET/HEAD)
                methods = ["GET"]
            for method in methods:
                found[(pattern.name, method)] = pattern

    walk(get_resolver().url_patterns, "")
    return found


def test_every_endpoint_is_classified():
    """A new endpoint must say who may call it: add it to ENDPOINTS (or Exempt with a reason)."""
    found = set(api_endpoints())
    assert sorted(found - set(ENDPOINTS)) == [], "endpoints the persona matrix does not classify"
    assert sorted(set(ENDPOINTS) - found) == [], "classified endpoints that no longer exist"


# --- the world ---------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    owners: dict[str, User]  # state -> the owner of that state's objects
    objects: dict[str, dict[str, object]] = field(default_factory=dict)  # kind -> state -> object


class Members(access.MembershipProvider):
    """The 'member' persona is a member of every owner's channel (what monetization will provide)."""

    def __init__(self, member_id: int, creator_ids: list[int]):
        self.member_id, self.creators = member_id, creator_ids

    def is_member(self, *, user_id, creator_id):
        return user_id == self.member_id and creator_id in self.creators

    def creator_ids(self, *, user_id):
        return list(self.creators) if user_id == self.member_id else []


def _build() -> World:
    users = {p: UserFactory(username=p) for p in PERSONAS if p != "anonymous"}
    User.objects.filter(pk=users["moderator"].pk).update(role=User.Role.MODERATOR)
    User.objects.filter(pk=users["staff"].pk).update(is_staff=True)
    owners = dict.fromkeys(STATES, users["owner"])
    owners["private_account"] = UserFactory(username="owner_private", is_private=True)
    owners["members"] = UserFactory(username="owner_members")  # streams: one active stream per owner
    bystander = UserFactory(username="bystander")
    for user in {o.pk: o for o in owners.values()}.values():
        accounts_services.follow_create(follower=users["follower"], followee=user)
        if user.is_private:
            request = FollowRequest.objects.get(requester=users["follower"], target=user)
            accounts_services.follow_request_accept(target=user, request_id=request.pk)
        accounts_services.block_create(blocker=user, blocked=users["blocked"])
        accounts_services.mute_create(muter=users["muted"], muted=user)
    for persona in ("moderator", "staff"):
        users[persona].refresh_from_db()
    world = World(users=users, owners=owners)

    tag = Hashtag.objects.create(name=WORD)
    post_visibility = {
        "public": PostVisibility.PUBLIC,
        "unlisted": PostVisibility.UNLISTED,
        "followers": PostVisibility.FOLLOWERS,
        "private": PostVisibility.DIRECT,
        "members": PostVisibility.MEMBERS,
        "hidden": PostVisibility.PUBLIC,
        "private_account": PostVisibility.PUBLIC,
    }
    video_visibility = {
        "public": VideoVisibility.PUBLIC,
        "unlisted": VideoVisibility.UNLISTED,
        "followers": VideoVisibility.FOLLOWERS,
        "private": VideoVisibility.PRIVATE,
        "members": VideoVisibility.MEMBERS,
        "hidden": VideoVisibility.PUBLIC,
        "private_account": VideoVisibility.PUBLIC,
    }
    hidden = {"moderation_status": ModerationStatus.REMOVED, "moderated_at": timezone.now()}
    world.objects = {kind: {} for kind in KIND_STATES}
    for state in STATES:
        owner, extra = owners[state], (hidden if state == "hidden" else {})
        post = PostFactory(
            author=owner, text=f"{WORD} {state} #{WORD}", visibility=post_visibility[state], **extra,
            entities={"hashtags": [WORD], "mentions": []},
        )  # fmt: skip
        PostHashtag.objects.create(post=post, hashtag=tag)
        video = VideoFactory(author=owner, title=f"{WORD} {state}", visibility=video_visibility[state], **extra)
        world.objects["post"][state] = post
        world.objects["video"][state] = video
        world.objects["comment"][state] = CommentFactory(video=video, author=owner)
    playlist_visibility = {
        "public": "public",
        "unlisted": "unlisted",
        "private": "private",
        "private_account": "public",
    }
    for state, visibility in playlist_visibility.items():
        playlist = PlaylistFactory(owner=owners[state], visibility=visibility)
        PlaylistItem.objects.create(playlist=playlist, video=world.objects["video"]["public"], position=0)
        Playlist.objects.filter(pk=playlist.pk).update(items_count=1)
        world.objects["playlist"][state] = playlist
    for state in KIND_STATES["stream"]:
        stream = StreamFactory(owner=owners[state], status=Stream.Status.LIVE, members_only=state == "members")
        world.objects["stream"][state] = stream
        world.objects["chat_message"][state] = ChatMessageFactory(stream=stream, user=owners[state])
        StreamBan.objects.create(stream=stream, user=UserFactory(), banned_by=owners[state])
    world.objects["chat_message"]["hidden"] = ChatMessageFactory(
        stream=world.objects["stream"]["public"], user=owners["hidden"], **hidden
    )
    for state in KIND_STATES["user"]:
        world.objects["user"][state] = owners[state]
    world.objects["notification"]["public"] = NotificationFactory(recipient=users["owner"], actor=bystander)
    return world


@pytest.fixture(autouse=True)
def _media_root():
    """Overrides the per-test media directory of the root conftest: ``world`` sets one for the module."""


@pytest.fixture(autouse=True)
def _clean_cache():
    """Overrides the root conftest's: one clear before each case is enough (rate limits and
    cached lists start fresh), and it halves the cache round trips of 3,000 cases."""
    breaker.reset()
    cache.clear()
    caches["local"].clear()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once, in a transaction rolled back after the module (each case nests a savepoint)."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        registered = access.membership_provider()
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = _build()
            owner_ids = sorted({o.pk for o in built.owners.values()})
            access.set_membership_provider(Members(built.users["member"].pk, owner_ids))
            yield built
        finally:
            access.set_membership_provider(registered)
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- the cases ---------------------------------------------------------------------------------------


def _url(world: World, name: str, kind: str | None, state: str | None) -> str:
    obj = world.objects[kind][state] if kind and state else None
    by_name = {
        "user-profile": lambda: f"users/{obj.username}",
        "users-follow": lambda: f"users/{obj.username}/follow",
        "users-block": lambda: f"users/{obj.username}/block",
        "users-mute": lambda: f"users/{obj.username}/mute",
        "users-followers": lambda: f"users/{obj.username}/followers",
        "users-following": lambda: f"users/{obj.username}/following",
        "follow-requests-accept": lambda: "follow-requests/999999/accept",
        "follow-requests-reject": lambda: "follow-requests/999999/reject",
        "posts-detail": lambda: f"posts/{obj.pk}",
        "posts-replies": lambda: f"posts/{obj.pk}/replies",
        "posts-edits": lambda: f"posts/{obj.pk}/edits",
        "posts-like": lambda: f"posts/{obj.pk}/like",
        "posts-repost": lambda: f"posts/{obj.pk}/repost",
        "posts-bookmark": lambda: f"posts/{obj.pk}/bookmark",
        "users-posts": lambda: f"users/{obj.author.username}/posts",
        "hashtags-posts": lambda: f"hashtags/{WORD}/posts",
        "video-detail": lambda: f"videos/{obj.pk}",
        "video-comments": lambda: f"videos/{obj.pk}/comments",
        "video-like": lambda: f"videos/{obj.pk}/like",
        "video-dislike": lambda: f"videos/{obj.pk}/dislike",
        "video-up-next": lambda: f"videos/{obj.pk}/up-next",
        "video-views": lambda: f"videos/{obj.pk}/views",
        "video-watch": lambda: f"videos/{obj.pk}/watch",
        "video-comment-detail": lambda: f"comments/{obj.pk}",
        "video-comment-like": lambda: f"comments/{obj.pk}/like",
        "video-comment-pin": lambda: f"comments/{obj.pk}/pin",
        "video-comment-hold": lambda: f"comments/{obj.pk}/hold",
        "video-comment-approve": lambda: f"comments/{obj.pk}/approve",
        "playlist-detail": lambda: f"playlists/{obj.pk}",
        "playlist-items": lambda: f"playlists/{obj.pk}/items",
        "playlist-remove-item": lambda: f"playlists/{obj.pk}/items/{world.objects['video']['public'].pk}",
        "live-stream-detail": lambda: f"live/streams/{obj.pk}",
        "live-stream-chat": lambda: f"live/streams/{obj.stream_id}/chat",
        "live-stream-chat-delete": lambda: f"live/streams/{obj.stream_id}/chat/{obj.pk}",
        "live-stream-end": lambda: f"live/streams/{obj.pk}/end",
        "live-stream-rotate-key": lambda: f"live/streams/{obj.pk}/rotate-key",
        "live-stream-bans": lambda: f"live/streams/{obj.pk}/bans",
        "live-stream-unban": lambda: f"live/streams/{obj.pk}/bans/{obj.bans.get().user.username}",
        "notifications-device": lambda: "notifications/devices/999999",
        "report-messages": lambda: "reports/999999/messages",
        "notifications-detail": lambda: f"notifications/{obj.pk}",
        "reports": lambda: "reports",
        "copyright-claim": lambda: "copyright/claims/999999",
        "copyright-claim-dispute": lambda: "copyright/claims/999999/dispute",
        "copyright-claim-release": lambda: "copyright/claims/999999/release",
        "copyright-claim-uphold": lambda: "copyright/claims/999999/uphold",
        "copyright-claim-appeal": lambda: "copyright/claims/999999/appeal",
        "analytics-video": lambda: f"analytics/videos/{obj.pk}",
        "analytics-shares": lambda: "analytics/shares",
        "ads-campaign": lambda: "ads/campaigns/999999",
        "ads-serve": lambda: f"ads/serve?video={obj.pk}",
    }
    if name in by_name:
        return "/api/v1/" + by_name[name]()
    route = {
        "auth-password-change": "auth/password/change",
        "auth-2fa-totp": "auth/2fa/totp",
        "auth-2fa-totp-confirm": "auth/2fa/totp/confirm",
        "auth-2fa-recovery-codes": "auth/2fa/recovery-codes",
        "me": "me",
        "follow-requests": "follow-requests",
        "posts-create": "posts",
        "bookmarks": "bookmarks",
        "media-upload": "media",
        "feed-home": "feed/home",
        "feed-for-you": "feed/for-you",
        "hashtags-trending": "hashtags/trending",
        "search": "search",
        "search-suggest": "search/suggest",
        "search-trending": "search/trending",
        "video-list": "videos",
        "playlist-list": "playlists",
        "live-stream-list": "live/streams",
        "live-channel": "live/channel",
        "live-channel-rotate-key": "live/channel/rotate-key",
        "monetization-earnings": "monetization/earnings",
        "copyright-references": "copyright/references",
        "copyright-claims": "copyright/claims",
        "moderation-actions": "moderation/actions",
        "appeals": "appeals",
        "analytics-channel": "analytics/channel",
        "analytics-realtime": "analytics/realtime",
        "monetization-tips": "monetization/tips",
        "monetization-connect": "monetization/connect",
        "monetization-payouts": "monetization/payouts",
        "monetization-tiers": "monetization/tiers",
        "monetization-plans": "monetization/plans",
        "monetization-plan": "monetization/plan",
        "ads-campaigns": "ads/campaigns",
        "ads-events": "ads/events",
        "ads-balance": "ads/balance",
        "ads-top-ups": "ads/balance/top-ups",
        "ads-refunds": "ads/balance/refunds",
        "notifications-list": "notifications",
        "notifications-unread-count": "notifications/unread-count",
        "notifications-mark-read": "notifications/mark-read",
        "notifications-preferences": "notifications/preferences",
        "notifications-devices": "notifications/devices",
        "notifications-webpush-key": "notifications/webpush/public-key",
        "notifications-unsubscribe": "notifications/unsubscribe",
    }[name]
    return f"/api/v1/{route}"


def _client(world: World, persona: str, state: str | None) -> APIClient:
    client = APIClient()
    if persona == "owner" and state in ("private_account", "members"):
        user = world.owners[state]
    else:
        user = world.users.get(persona)
    if user is not None:
        # A copy per case: a service that changes the caller (deleting the account) changes only
        # the copy, and the database change is rolled back with the case.
        clone = copy.copy(user)
        clone._state = copy.copy(user._state)
        clone._state.fields_cache = {}
        client.force_authenticate(clone)
    return client


def _as(world: World, persona: str, state: str) -> str:
    """In a list, the 'owner' persona owns only the objects of the states it owns (the private
    account's and the members stream's have owners of their own): elsewhere it is a stranger."""
    if persona == "owner" and world.owners[state].pk != world.users["owner"].pk:
        return "stranger"
    return persona


def _ids_in(body) -> set[str]:
    items = body.get("results", body) if isinstance(body, dict) else body
    found = set()
    for item in items:
        found.add(str(item.get("id")))
        if isinstance(item.get("repost_of"), dict):
            found.add(str(item["repost_of"].get("id")))
    return found


def _call(world: World, name: str, method: str, persona: str, state: str | None, spec):
    kind = getattr(spec, "kind", None)
    url = _url(world, name, kind if isinstance(spec, Obj) else None, state if isinstance(spec, Obj) else None)
    if isinstance(spec, Plain) and spec.query:
        url += f"?{spec.query}"
    body = spec.body(world, state) if callable(spec.body) else spec.body
    client = _client(world, persona, state)
    data = None if body is None else json.dumps(body)
    return client.generic(method, url, data=data, content_type="application/json")


def _cases():
    for (name, method), spec in ENDPOINTS.items():
        if isinstance(spec, Obj):
            for state in KIND_STATES[spec.kind]:
                for persona in PERSONAS:
                    yield pytest.param(name, method, persona, state, id=f"{method} {name} × {persona} × {state}")
        elif isinstance(spec, Plain):
            for persona in PERSONAS:
                yield pytest.param(name, method, persona, None, id=f"{method} {name} × {persona}")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "persona", "state"), list(_cases()))
def test_persona_matrix(world, name, method, persona, state):
    spec = ENDPOINTS[(name, method)]
    response = _call(world, name, method, persona, state, spec)
    if isinstance(spec, Obj):
        sees = SEES[spec.kind](persona, state)
        expected = spec.expect(persona, state, sees)
        assert response.status_code == expected, response.content[:300]
        if spec.listed is not None and response.status_code == 200:
            target = world.objects[spec.kind][state]
            shown = _ids_in(response.json())
            listed_id = str(world.objects["comment"][state].pk) if name == "video-comments" else str(target.pk)
            assert (listed_id in shown) == spec.listed(persona, state, sees), f"listed: {sorted(shown)}"
        return
    assert response.status_code == spec.expect(persona), response.content[:300]
    if spec.listed is not None and response.status_code == 200:
        shown = _ids_in(response.json())
        wrong = {
            state: (str(obj.pk) in shown)
            for state, obj in world.objects[spec.kind].items()
            if (str(obj.pk) in shown) != spec.listed(persona, state, SEES[spec.kind](_as(world, persona, state), state))
        }
        assert wrong == {}, f"listed (state: shown?) disagrees with the rules: {wrong}"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("kind", ["videos", "users"])
def test_search_by_type(world, kind, persona):
    """``search?type=videos|users`` (the matrix's ``search`` row is ``type=posts``)."""
    client = _client(world, persona, None)
    query = WORD if kind == "videos" else "owner"
    response = client.get(f"/api/v1/search?q={query}&type={kind}")
    assert response.status_code == 200
    if kind == "videos":
        shown = _ids_in(response.json())
        expected = {
            state: video_listed(_as(world, persona, state), state, sees_video(_as(world, persona, state), state))
            for state in STATES
        }
        assert {state: str(world.objects["video"][state].pk) in shown for state in STATES} == expected
    else:
        shown = {user["username"] for user in response.json()["results"]}
        # Accounts blocked either way or muted leave the searcher's results; nobody else does.
        hidden = persona in ("blocked", "muted")
        assert shown == (set() if hidden else {"owner", "owner_private", "owner_members"})
