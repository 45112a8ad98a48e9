"""The audit trail: every moderator and staff action, one append-only ``AuditEntry`` each.

Call ``audit_record`` inside the action's transaction, so the entry commits exactly when the action
does::

    audit_record(actor=request.user, action="user.ban", target=user, reason=reason,
                 metadata={"until": until})

``action`` is ``<kind>.<verb>`` (``video.removed``, ``comment.held``, ``user.ban``, ...). The
target is kept as content type + id + a short repr, so the entry still says what it was about after
the target is deleted. Nothing in here imports a domain app.
"""

import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder

from socialflow.core.models import AuditEntry

REPR_LENGTH = AuditEntry._meta.get_field("target_repr").max_length
REASON_LENGTH = AuditEntry._meta.get_field("reason").max_length


def target_repr(target) -> str:
    text = " ".join(str(target).split())
    return text if len(text) <= REPR_LENGTH else text[: REPR_LENGTH - 1] + "…"


def audit_record(*, actor, action: str, target=None, reason: str = "", metadata: dict | None = None) -> AuditEntry:
    """Append one entry. ``actor`` is the user acting (``None`` for the system)."""
    content_type = ContentType.objects.get_for_model(target) if target is not None else None
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) is not None else None,
        action=action,
        target_content_type=content_type,
        target_id=str(target.pk) if target is not None else "",
        target_repr=target_repr(target) if target is not None else "",
        reason=(reason or "").strip()[:REASON_LENGTH],
        # Through JSON now, so the stored metadata is what a reader gets back (datetimes as strings).
        metadata=json.loads(json.dumps(metadata or {}, cls=DjangoJSONEncoder)),
    )
