"""How notifications reacts to other apps' domain events (registered in
``NotificationsConfig.ready()``). Each handler re-reads what it needs — the follow may be gone by
the time it runs, and then nobody is told — and calls this app's own ``notify``."""

from django.contrib.auth import get_user_model

from accounts import selectors as accounts_selectors
from notifications.services import notify
from socialflow.core import events, moderation


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
    notify(recipient=owner, kind="moderation_action", target=target, data=data)


HANDLERS = {
    "content.moderated": on_content_moderated,
    "user.followed": on_user_followed,
    "user.follow_requested": on_follow_requested,
    "user.follow_accepted": on_follow_accepted,
}


def register() -> None:
    for name, handler in HANDLERS.items():
        events.register(name, handler, name=f"notifications.{handler.__name__}")
