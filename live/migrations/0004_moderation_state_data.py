"""Carry today's chat deletions into the shared moderation state: a message deleted by someone
other than its author (the streamer, a moderator; or an account gone since) is removed, with that
actor and time, and is no longer "deleted"; a message its author deleted stays deleted. The
reverse puts it back."""

from django.db import migrations
from django.db.models import F, Q


def forwards(apps, schema_editor):
    ChatMessage = apps.get_model("live", "ChatMessage")
    by_others = ChatMessage.objects.filter(deleted_at__isnull=False).filter(
        Q(deleted_by__isnull=True) | ~Q(deleted_by=F("user"))
    )
    by_others.update(
        moderation_status="removed",
        moderated_by=F("deleted_by"),
        moderated_at=F("deleted_at"),
        deleted_at=None,
    )


def backwards(apps, schema_editor):
    ChatMessage = apps.get_model("live", "ChatMessage")
    ChatMessage.objects.filter(deleted_at__isnull=False).update(deleted_by=F("user"))
    ChatMessage.objects.exclude(moderation_status="visible").update(
        deleted_at=F("moderated_at"), deleted_by=F("moderated_by")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("live", "0003_moderation_state"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
