"""How notifications reacts to other apps' domain events (registered in
``NotificationsConfig.ready()``). Each handler re-reads what it needs — the follow may be gone by
the time it runs, and then nobody is told — and calls this app's own ``notify``."""

from django.contrib.auth import get_user_model

from accounts import selectors as accounts_selectors
from notifications.services import notify
from socialflow.core import events


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


HANDLERS = {
    "user.followed": on_user_followed,
    "user.follow_requested": on_follow_requested,
    "user.follow_accepted": on_follow_accepted,
}


def register() -> None:
    for name, handler in HANDLERS.items():
        events.register(name, handler, name=f"notifications.{handler.__name__}")
