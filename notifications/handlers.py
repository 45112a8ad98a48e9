"""How notifications reacts to other apps' domain events (registered in
``NotificationsConfig.ready()``). Each handler re-reads what it needs — the follow may be gone by
the time it runs, the post deleted, and then nobody is told — and calls this app's own services.

A handler runs once to effect (``socialflow.core.events``): ``notify`` writes in the handler's
transaction, and ``notify_followers`` writes a ``FollowerFanOut`` row whose Celery fan-out is
queued on commit and is itself idempotent (claimed once; chunks skip who already has the row, and
a unique constraint stops a duplicate chunk racing another)."""

from django.contrib.auth import get_user_model

from accounts import selectors as accounts_selectors
from live import selectors as live_selectors
from notifications.services import notifications_delete_for_targets, notify, notify_followers
from notifications.text import format_amount
from posts import selectors as posts_selectors
from socialflow.core import events, moderation
from videos import selectors as videos_selectors


def _users(*ids: int) -> list:
    found = get_user_model().objects.in_bulk(list(ids))
    return [found.get(pk) for pk in ids]


def on_user_followed(event) -> None:
    follower_id, followee_id = event.payload["follower_id"], event.payload["followee_id"]
    if not accounts_selectors.is_following(follower_id=follower_id, followee_id=followee_id):
        return
    follower, followee = _users(follower_id, followee_id)
    if follower is not None and followee is not None:
        notify(recipient=followee, kind="follow", actor=follower)


def on_follow_requested(event) -> None:
    payload = event.payload
    if not accounts_selectors.follow_request_pending(request_id=payload["request_id"]):
        return
    follower, followee = _users(payload["follower_id"], payload["followee_id"])
    if follower is not None and followee is not None:
        notify(
            recipient=followee, kind="follow_request", actor=follower, data={"request_id": str(payload["request_id"])}
        )


def on_follow_accepted(event) -> None:
    follower_id, followee_id = event.payload["follower_id"], event.payload["followee_id"]
    if not accounts_selectors.is_following(follower_id=follower_id, followee_id=followee_id):
        return
    follower, followee = _users(follower_id, followee_id)
    if follower is not None and followee is not None:
        notify(recipient=follower, kind="follow_accepted", actor=followee)


# --- posts ---------------------------------------------------------------------------------------


def on_post_created(event) -> None:
    """Reply, quote and mentions (one notification per person), and followers for an announced post."""
    payload = event.payload
    post = posts_selectors.post_for_event(post_id=payload["post_id"])
    if post is None:
        return
    author = post.author
    notified = set()
    if post.reply_to_id is not None:
        notify(recipient=post.reply_to.author, kind="reply", actor=author, target=post)
        notified.add(post.reply_to.author_id)
    if post.quote_of_id is not None:
        notify(recipient=post.quote_of.author, kind="quote", actor=author, target=post)
        notified.add(post.quote_of.author_id)
    # A replied-to or quoted author also @mentioned gets only that one.
    for user in _users(*payload["mentioned_user_ids"]):
        if user is not None and user.pk not in notified:
            notify(recipient=user, kind="mention", actor=author, target=post)
    if payload["announce"]:
        notify_followers(author=author, kind="new_post", target=post)


def on_post_mentioned(event) -> None:
    """Users an edit mentioned; the post is read now, so the excerpt shows the edited text."""
    post = posts_selectors.post_for_event(post_id=event.payload["post_id"])
    if post is None:
        return
    for user in _users(*event.payload["user_ids"]):
        if user is not None:
            notify(recipient=user, kind="mention", actor=post.author, target=post)


def on_post_reposted(event) -> None:
    payload = event.payload
    if posts_selectors.post_for_event(post_id=payload["post_id"]) is None:
        return  # the repost was undone meanwhile
    original = posts_selectors.post_for_event(post_id=payload["original_id"])
    [user] = _users(payload["user_id"])
    if original is not None and user is not None:
        notify(recipient=original.author, kind="repost", actor=user, target=original)


def on_post_liked(event) -> None:
    post = posts_selectors.post_for_event(post_id=event.payload["post_id"])
    [user] = _users(event.payload["user_id"])
    if post is not None and user is not None:
        notify(recipient=post.author, kind="like_post", actor=user, target=post)


def on_post_deleted(event) -> None:
    notifications_delete_for_targets(model="posts.post", object_ids=event.payload["post_ids"])


# --- videos and comments ------------------------------------------------------------------------


def on_video_ready(event) -> None:
    video = videos_selectors.video_for_event(video_id=event.payload["video_id"])
    if video is not None:
        notify(recipient=video.author, kind="video_ready", target=video)


def on_video_failed(event) -> None:
    video = videos_selectors.video_for_event(video_id=event.payload["video_id"])
    if video is not None:
        notify(recipient=video.author, kind="video_failed", target=video, data={"error": event.payload["error"]})


def on_video_published(event) -> None:
    video = videos_selectors.video_for_event(video_id=event.payload["video_id"])
    if video is not None:
        notify_followers(author=video.author, kind="new_video", target=video)


def on_video_liked(event) -> None:
    video = videos_selectors.video_for_event(video_id=event.payload["video_id"])
    [user] = _users(event.payload["user_id"])
    if video is not None and user is not None:
        notify(recipient=video.author, kind="like_video", actor=user, target=video)


def on_video_deleted(event) -> None:
    notifications_delete_for_targets(model="videos.video", object_ids=[event.payload["video_id"]])


def on_comment_created(event) -> None:
    """The creator hears of every comment; the replied-to author of a reply (unless the creator)."""
    payload = event.payload
    comment = videos_selectors.comment_for_event(comment_id=payload["comment_id"])
    if comment is None:
        return
    video_author, reply_to_author = _users(payload["video_author_id"], payload["reply_to_author_id"] or 0)
    if video_author is not None:
        notify(
            recipient=video_author,
            kind="comment",
            actor=comment.author,
            target=comment,
            data={"video_id": str(payload["video_id"])},
        )
    if reply_to_author is not None and reply_to_author.pk != payload["video_author_id"]:
        notify(recipient=reply_to_author, kind="comment_reply", actor=comment.author, target=comment)


def on_comment_liked(event) -> None:
    comment = videos_selectors.comment_for_event(comment_id=event.payload["comment_id"])
    [user] = _users(event.payload["user_id"])
    if comment is not None and user is not None:
        notify(recipient=comment.author, kind="like_comment", actor=user, target=comment)


def on_comment_deleted(event) -> None:
    notifications_delete_for_targets(model="videos.comment", object_ids=event.payload["comment_ids"])


# --- live ---------------------------------------------------------------------------------------


def on_stream_started(event) -> None:
    stream = live_selectors.stream_for_event(stream_id=event.payload["stream_id"])
    if stream is not None:
        notify_followers(
            author=stream.owner,
            kind="live_started",
            target=stream,
            data={"title": stream.title, "stream_id": str(stream.pk)},
        )


# --- moderation ---------------------------------------------------------------------------------


# Passive: the actor may be a site moderator or the creator moderating their own channel.
MODERATION_SENTENCES = {
    "removed": "Your {what} was removed",
    "held": "Your {what} was held for review",
    "visible": "Your {what} was restored",
}


def on_content_moderated(event) -> None:
    """Tell the owner what a moderator did to their content, and why (one notification per event:
    the outbox applies a handler's effect once). The target may be gone (a removed comment is
    deleted): the notification then has none. Nobody is told about their own action."""
    payload = event.payload
    if payload["owner_id"] == payload["actor_id"]:
        return
    (owner,) = _users(payload["owner_id"])
    if owner is None:
        return
    target = moderation.target_get(kind=payload["kind"], target_id=payload["target_id"])
    what = payload["kind"].replace("_", " ")
    sentence = MODERATION_SENTENCES.get(payload["status"], "A moderator acted on your {what}").format(what=what)
    if payload["reason"]:
        sentence = f"{sentence}: {payload['reason']}"
    data = {"sentence": sentence, "reason": payload["reason"], "status": payload["status"], "content": payload["kind"]}
    if payload["status"] != "visible":
        data["appeal_url"] = APPEAL_URL
    notify(recipient=owner, kind="moderation_action", target=target, data=data)


def on_content_marked_sensitive(event) -> None:
    """Tell the owner a moderator put their content behind a content warning, and why (taking the
    mark off is not news)."""
    payload = event.payload
    if not payload["sensitive"] or payload["owner_id"] == payload["actor_id"]:
        return
    (owner,) = _users(payload["owner_id"])
    if owner is None:
        return
    target = moderation.target_get(kind=payload["kind"], target_id=payload["target_id"])
    sentence = f"A moderator marked your {payload['kind'].replace('_', ' ')} as sensitive"
    if payload["reason"]:
        sentence = f"{sentence}: {payload['reason']}"
    data = {
        "sentence": sentence,
        "reason": payload["reason"],
        "status": "sensitive",
        "content": payload["kind"],
        "appeal_url": APPEAL_URL,
    }
    notify(recipient=owner, kind="moderation_action", target=target, data=data)


# The reporter hears the outcome, not who decided it nor what was reported beyond its kind; the
# payload carries the kind and outcome because notifications may not read moderation (siblings).
REPORT_OUTCOMES = {"removed": "removed", "dismissed": "no violation found"}


def on_report_resolved(event) -> None:
    payload = event.payload
    (reporter,) = _users(payload["reporter_id"])
    if reporter is None:
        return
    what = payload["target_type"].replace("_", " ")
    outcome = REPORT_OUTCOMES.get(payload["outcome"], "reviewed")
    data = {
        "sentence": f"Your report about a {what} was reviewed: {outcome}",
        "report_id": str(payload["report_id"]),
        "outcome": payload["outcome"],
        "content": payload["target_type"],
    }
    notify(recipient=reporter, kind="report_resolved", data=data)


# --- copyright ------------------------------------------------------------------------------------

CLAIM_STATUS_SENTENCES = {
    "disputed": ("The uploader disputed your copyright claim on “{title}”", None),
    "released": (
        "Your copyright claim on “{title}” was released",
        "The copyright claim on your video “{title}” was released",
    ),
    "upheld": (
        "Your copyright claim on “{title}” was upheld",
        "The copyright claim on your video “{title}” was upheld",
    ),
    "appealed": ("The uploader appealed your copyright claim on “{title}”", None),
}


def on_copyright_claim_created(event) -> None:
    """The uploader hears about the claim on their video; the claimant that it was made."""
    payload = event.payload
    video = videos_selectors.video_for_event(video_id=payload["video_id"])
    uploader, claimant = _users(payload["uploader_id"], payload["claimant_id"])
    if video is None:
        return
    data = {"claim_id": str(payload["claim_id"]), "policy": payload["policy"]}
    if uploader is not None:
        sentence = f"Copyright claim on your video “{video.title}” ({payload['policy']})"
        if payload["source"] == "takedown":
            sentence = f"Your video “{video.title}” received a copyright takedown notice"
        notify(recipient=uploader, kind="copyright_claim", target=video, data={**data, "sentence": sentence})
    if claimant is not None:
        sentence = f"Your copyright claim on “{video.title}” was made ({payload['policy']})"
        notify(recipient=claimant, kind="copyright_claim", data={**data, "sentence": sentence})


def on_copyright_claim_updated(event) -> None:
    """Both parties hear of a transition, except the one who made it."""
    payload = event.payload
    texts = CLAIM_STATUS_SENTENCES.get(payload["status"])
    video = videos_selectors.video_for_event(video_id=payload["video_id"])
    if texts is None or video is None:
        return
    uploader, claimant = _users(payload["uploader_id"], payload["claimant_id"])
    to_claimant, to_uploader = texts
    data = {"claim_id": str(payload["claim_id"]), "status": payload["status"]}
    if claimant is not None and to_claimant and payload["actor_id"] != claimant.pk:
        notify(
            recipient=claimant, kind="copyright_claim", data={**data, "sentence": to_claimant.format(title=video.title)}
        )
    if uploader is not None and to_uploader and payload["actor_id"] != uploader.pk:
        notify(
            recipient=uploader,
            kind="copyright_claim",
            target=video,
            data={**data, "sentence": to_uploader.format(title=video.title)},
        )


# Account standing (the moderation app's events): the user hears what happened, why, and where to
# appeal (the Studio page). The same kind as content moderation: one switch for "moderation".
APPEAL_URL = "/studio/moderation/"
ACCOUNT_SENTENCES = {
    "warn": "You received a warning",
    "strike": "You received a strike",
    "limit": "Uploads and live are suspended on your account",
    "suspend": "Your account is suspended",
    "ban": "Your account is banned",
}


def on_account_actioned(event) -> None:
    payload = event.payload
    (user,) = _users(payload["user_id"])
    if user is None:
        return
    sentence = ACCOUNT_SENTENCES.get(payload["kind"], "A moderator acted on your account")
    if payload["until"]:
        sentence = f"{sentence} until {payload['until'][:16].replace('T', ' ')} UTC"
    if payload["reason"]:
        sentence = f"{sentence}: {payload['reason']}"
    data = {
        "sentence": sentence,
        "reason": payload["reason"],
        "status": payload["kind"],
        "content": "account",
        "action_id": str(payload["action_id"]),
        "appeal_url": APPEAL_URL if payload["kind"] != "warn" else "",
    }
    notify(recipient=user, kind="moderation_action", data=data)


APPEAL_OUTCOMES = {"granted": "granted: the decision was reversed", "rejected": "rejected: the decision stands"}


def on_appeal_decided(event) -> None:
    payload = event.payload
    (user,) = _users(payload["user_id"])
    if user is None:
        return
    sentence = f"Your appeal was {APPEAL_OUTCOMES.get(payload['outcome'], 'decided')}"
    if payload["note"]:
        sentence = f"{sentence} ({payload['note']})"
    data = {
        "sentence": sentence,
        "status": payload["outcome"],
        "content": "appeal",
        "appeal_id": str(payload["appeal_id"]),
    }
    notify(recipient=user, kind="moderation_action", data=data)


def on_report_replied(event) -> None:
    payload = event.payload
    (reporter,) = _users(payload["reporter_id"])
    if reporter is None:
        return
    data = {"sentence": "A moderator replied about your report", "report_id": str(payload["report_id"])}
    notify(recipient=reporter, kind="report_resolved", data=data)


# --- monetization -------------------------------------------------------------------------------


def on_tip_received(event) -> None:
    payload = event.payload
    creator = _users(payload["creator_id"])[0]
    fan = _users(payload["fan_id"])[0] if payload["fan_id"] else None
    if creator is None:
        return
    amount = {"amount": payload["amount_minor"], "currency": str(payload["currency"]).lower()}
    notify(recipient=creator, kind="tip_received", actor=fan, data={"amount": amount, "tip_id": str(payload["tip_id"])})


def on_membership_started(event) -> None:
    payload = event.payload
    creator, member = _users(payload["creator_id"], payload["user_id"])
    if creator is not None and member is not None:
        notify(
            recipient=creator, kind="new_member", actor=member, data={"membership_id": str(payload["membership_id"])}
        )


def on_payout_sent(event) -> None:
    payload = event.payload
    user = _users(payload["user_id"])[0]
    if user is not None:
        amount = {"amount": payload["amount_minor"], "currency": str(payload["currency"]).lower()}
        notify(recipient=user, kind="payout_sent", data={"amount": amount, "payout_id": str(payload["payout_id"])})


# --- ads (monetization) ---------------------------------------------------------------------------


def on_ad_campaign_reviewed(event) -> None:
    """The advertiser hears a moderator's decision; a rejection with the moderator's reason."""
    payload = event.payload
    (advertiser,) = _users(payload["advertiser_id"])
    if advertiser is None:
        return
    name = payload["campaign_name"]
    if payload["status"] == "rejected":
        sentence = f"Your ad campaign “{name}” was rejected"
        sentence = f"{sentence}: {payload['reason']}" if payload["reason"] else sentence
    else:
        sentence = f"Your ad campaign “{name}” was approved and may now be shown"
    data = {
        "sentence": sentence,
        "title": name,
        "campaign_id": str(payload["campaign_id"]),
        "status": payload["status"],
        "reason": payload["reason"],
    }
    notify(recipient=advertiser, kind="ad_campaign_reviewed", data=data)


def on_ad_campaign_ended(event) -> None:
    payload = event.payload
    (advertiser,) = _users(payload["advertiser_id"])
    if advertiser is None:
        return
    currency = str(payload["currency"]).lower()
    spent = {"amount": payload["spent_minor"], "currency": currency}
    budget = {"amount": payload["budget_minor"], "currency": currency}
    name = payload["campaign_name"]
    if payload["reason"] == "budget_spent":
        sentence = f"Your ad campaign “{name}” has spent its budget of {format_amount(budget)}"
    else:
        sentence = f"Your ad campaign “{name}” has ended: it spent {format_amount(spent)} of {format_amount(budget)}"
    data = {
        "sentence": sentence,
        "title": name,
        "campaign_id": str(payload["campaign_id"]),
        "reason": payload["reason"],
        "amount": spent,
        "budget": budget,
    }
    notify(recipient=advertiser, kind="ad_campaign_ended", data=data)


HANDLERS = {
    "user.followed": on_user_followed,
    "user.follow_requested": on_follow_requested,
    "user.follow_accepted": on_follow_accepted,
    "post.created": on_post_created,
    "post.mentioned": on_post_mentioned,
    "post.reposted": on_post_reposted,
    "post.liked": on_post_liked,
    "post.deleted": on_post_deleted,
    "video.ready": on_video_ready,
    "video.failed": on_video_failed,
    "video.published": on_video_published,
    "video.liked": on_video_liked,
    "video.deleted": on_video_deleted,
    "comment.created": on_comment_created,
    "comment.liked": on_comment_liked,
    "comment.deleted": on_comment_deleted,
    "stream.started": on_stream_started,
    "content.moderated": on_content_moderated,
    "report.resolved": on_report_resolved,
    "copyright.claim_created": on_copyright_claim_created,
    "copyright.claim_updated": on_copyright_claim_updated,
    "content.marked_sensitive": on_content_marked_sensitive,
    "report.replied": on_report_replied,
    "account.actioned": on_account_actioned,
    "appeal.decided": on_appeal_decided,
    "tip.received": on_tip_received,
    "payout.sent": on_payout_sent,
    "membership.started": on_membership_started,
    "ad_campaign.reviewed": on_ad_campaign_reviewed,
    "ad_campaign.ended": on_ad_campaign_ended,
}


def register() -> None:
    for name, handler in HANDLERS.items():
        events.register(name, handler, name=f"notifications.{handler.__name__}")
