"""Automatic screening of new content that has no domain event of its own (chat messages: one
event row per message would cost the chat's hot path more than the screen itself).

The owning app calls ``screening.submit("chat_message", message.pk)`` inside its transaction; the
moderation app registers the receiver (it queues its classification task after commit). Without a
receiver nothing happens. Nothing in here imports a domain app.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

Receiver = Callable[[str, int], None]

_receiver: Receiver | None = None


def set_receiver(receiver: Receiver | None) -> None:
    global _receiver
    _receiver = receiver


def submit(kind: str, target_id: int) -> None:
    """Ask for ``kind`` ``target_id`` to be screened once the current transaction commits."""
    receiver = _receiver
    if receiver is None:
        return
    transaction.on_commit(lambda: receiver(kind, target_id), robust=True)
