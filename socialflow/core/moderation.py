"""One moderation state for every kind of content, and the one way to change it.

A model that moderators act on mixes in ``Moderatable`` (``moderation_status``: visible, held or
removed; ``moderation_reason``; ``moderated_by``; ``moderated_at``) and its app registers it from
``AppConfig.ready()``::

    moderation.register(Video, kind="video", owner_field="author", on_change=_video_moderated)

Every moderator action goes through ``moderation_apply`` (admin actions, API moderator paths, the
moderation app later). In one transaction it moves the state (row locked; nothing happens when the
target already has that status), appends an ``AuditEntry`` (who, what, target, why, when), records
the domain event ``content.moderated`` (notifications tells the owner) and runs the owning app's
``on_change`` (what else must follow: a video's signed media links die, a post leaves timelines, a
chat room drops the message, a comment is deleted). Who may *see* moderated content is the access
layer's business (``access.moderation_hidden_q``), not this module's.

Nothing in here imports a domain app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from socialflow.core import events
from socialflow.core.audit import audit_record
from socialflow.core.exceptions import NotFound
from socialflow.core.models import AuditEntry
from socialflow.hydration import hydration_invalidate


class ModerationStatus(models.TextChoices):
    VISIBLE = "visible", "Visible"
    HELD = "held", "Held for review"
    REMOVED = "removed", "Removed by a moderator"


# The audit action's verb for each status moved to: ``video.removed``, ``comment.held``, ...
VERBS = {ModerationStatus.VISIBLE: "restored", ModerationStatus.HELD: "held", ModerationStatus.REMOVED: "removed"}


class Moderatable(models.Model):
    """The moderation state of one row. Children that declare their own ``Meta.constraints`` add
    ``*Moderatable.Meta.constraints`` to them (Django does not merge an abstract parent's Meta)."""

    moderation_status = models.CharField(
        max_length=16, choices=ModerationStatus.choices, default=ModerationStatus.VISIBLE
    )
    moderation_reason = models.CharField(max_length=500, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    # Shown, behind a content warning (clients blur media): set by ``moderation_mark_sensitive``.
    sensitive = models.BooleanField(default=False)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(moderation_status__in=["visible", "held", "removed"]),
                name="%(app_label)s_%(class)s_moderation_status_valid",
            )
        ]


OnChange = Callable[..., None]


@dataclass(frozen=True)
class Moderated:
    """How one model takes part: its ``kind`` (the access layer's name for it), the field holding
    its owner (told about the action) and ``on_change(target=, previous=, status=)``, run inside
    ``moderation_apply``'s transaction after the state, the audit entry and the event."""

    model: type[models.Model]
    kind: str
    owner_field: str
    on_change: OnChange | None = None


_registry: dict[str, Moderated] = {}


def register(model: type[models.Model], *, kind: str, owner_field: str, on_change: OnChange | None = None) -> None:
    if not issubclass(model, Moderatable):
        raise TypeError(f"{model.__name__} must mix in Moderatable to be moderated")
    _registry[kind] = Moderated(model=model, kind=kind, owner_field=owner_field, on_change=on_change)


def kinds() -> list[str]:
    return sorted(_registry)


def spec_for(target) -> Moderated:
    for spec in _registry.values():
        if isinstance(target, spec.model):
            return spec
    raise LookupError(f"{type(target).__name__} is not registered with socialflow.core.moderation")


def target_get(*, kind: str, target_id):
    """The moderated object of ``kind`` by id, or ``None`` (unknown kind, or gone since)."""
    spec = _registry.get(kind)
    if spec is None:
        return None
    return spec.model._base_manager.filter(pk=target_id).first()


@transaction.atomic
def moderation_apply(*, actor, target, status: str, reason: str = "") -> AuditEntry | None:
    """Move ``target`` to ``status`` on behalf of ``actor`` (a moderator, a creator moderating their
    own channel, or ``None`` for the system) and record it.

    Steps, in the caller's transaction: lock the row and read its status (NotFound when gone);
    return ``None`` if it already has ``status`` (a repeated action records nothing); store the new
    state with a conditional update from the status read (a concurrent moderator who moved it first
    wins, and this call records nothing); append the ``AuditEntry``; record ``content.moderated``;
    run the model's ``on_change``. ``target`` is updated in memory. Returns the audit entry.
    """
    status = ModerationStatus(status)
    spec = spec_for(target)
    reason = (reason or "").strip()[:500]
    manager = spec.model._base_manager
    previous = manager.select_for_update().filter(pk=target.pk).values_list("moderation_status", flat=True).first()
    if previous is None:
        raise NotFound(f"This {spec.kind.replace('_', ' ')} no longer exists.")
    if previous == status:
        return None
    state = {
        "moderation_status": status.value,
        "moderation_reason": reason,
        "moderated_by": actor if getattr(actor, "pk", None) is not None else None,
        "moderated_at": timezone.now(),
    }
    if not manager.filter(pk=target.pk, moderation_status=previous).update(**state):
        return None
    hydration_invalidate(kind=spec.kind, ids=[target.pk])  # who may see it changed
    for name, value in state.items():
        setattr(target, name, value)
    entry = audit_record(
        actor=state["moderated_by"],
        action=f"{spec.kind}.{VERBS[status]}",
        target=target,
        reason=reason,
        metadata={"previous_status": previous, "status": status.value},
    )
    events.record(
        "content.moderated",
        kind=spec.kind,
        target_id=str(target.pk),
        owner_id=getattr(target, f"{spec.owner_field}_id"),
        actor_id=getattr(state["moderated_by"], "pk", None),
        status=status.value,
        previous_status=previous,
        reason=reason,
        audit_id=entry.pk,
    )
    if spec.on_change is not None:
        spec.on_change(target=target, previous=previous, status=status.value)
    return entry


@transaction.atomic
def moderation_mark_sensitive(*, actor, target, sensitive: bool = True, reason: str = "") -> AuditEntry | None:
    """Mark ``target`` sensitive (or not): it stays visible, behind a content warning, as Mastodon's
    moderators do with media. Audited (``<kind>.sensitive`` / ``<kind>.not_sensitive``) and recorded
    as ``content.marked_sensitive`` (notifications tells the owner, with the reason). ``None`` when
    the target already had that mark."""
    spec = spec_for(target)
    reason = (reason or "").strip()[:500]
    manager = spec.model._base_manager
    current = manager.select_for_update().filter(pk=target.pk).values_list("sensitive", flat=True).first()
    if current is None:
        raise NotFound(f"This {spec.kind.replace('_', ' ')} no longer exists.")
    if current == sensitive:
        return None
    manager.filter(pk=target.pk).update(sensitive=sensitive)
    hydration_invalidate(kind=spec.kind, ids=[target.pk])  # ``sensitive`` is shown
    target.sensitive = sensitive
    actor = actor if getattr(actor, "pk", None) is not None else None
    entry = audit_record(
        actor=actor,
        action=f"{spec.kind}.{'sensitive' if sensitive else 'not_sensitive'}",
        target=target,
        reason=reason,
        metadata={"sensitive": sensitive},
    )
    events.record(
        "content.marked_sensitive",
        kind=spec.kind,
        target_id=str(target.pk),
        owner_id=getattr(target, f"{spec.owner_field}_id"),
        actor_id=getattr(actor, "pk", None),
        sensitive=sensitive,
        reason=reason,
        audit_id=entry.pk,
    )
    return entry
