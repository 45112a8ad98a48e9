"""Carry today's moderation state into the shared fields: a hidden video is removed (with its
reason and time; the moderator too when the reason is the admin's "Hidden by <username>"), a held
comment is held. The reverse puts it back."""

import re

from django.conf import settings
from django.db import migrations

ADMIN_REASON = re.compile(r"^hidden by (\S+)$", re.IGNORECASE)


def _moderator(User, reason: str):
    match = ADMIN_REASON.match(reason.strip())
    if match is None:
        return None, reason
    return User.objects.filter(username=match.group(1)).first(), ""


def forwards(apps, schema_editor):
    Video = apps.get_model("videos", "Video")
    Comment = apps.get_model("videos", "Comment")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    for video in Video.objects.filter(hidden_at__isnull=False).only("pk", "hidden_at", "hidden_reason").iterator():
        moderator, reason = _moderator(User, video.hidden_reason)
        Video.objects.filter(pk=video.pk).update(
            moderation_status="removed",
            moderation_reason=reason,
            moderated_by=moderator,
            moderated_at=video.hidden_at,
        )
    Comment.objects.filter(is_held=True).update(moderation_status="held")


def backwards(apps, schema_editor):
    Video = apps.get_model("videos", "Video")
    Comment = apps.get_model("videos", "Comment")
    for video in Video.objects.exclude(moderation_status="visible").select_related("moderated_by").iterator():
        reason = video.moderation_reason or (f"Hidden by {video.moderated_by.username}" if video.moderated_by else "")
        Video.objects.filter(pk=video.pk).update(hidden_at=video.moderated_at, hidden_reason=reason)
    Comment.objects.filter(moderation_status="held").update(is_held=True)


class Migration(migrations.Migration):

    dependencies = [
        ("videos", "0003_moderation_state"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
