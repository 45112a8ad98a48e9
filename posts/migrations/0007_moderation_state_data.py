"""Carry today's moderation state into the shared fields: a hidden post is removed (with its
reason and time; the moderator too when the reason is the admin's "hidden by <username>"). The
reverse puts it back."""

import re

from django.conf import settings
from django.db import migrations

ADMIN_REASON = re.compile(r"^hidden by (\S+)$", re.IGNORECASE)


def forwards(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    for post in Post.objects.filter(hidden_at__isnull=False).only("pk", "hidden_at", "hidden_reason").iterator():
        reason, moderator = post.hidden_reason, None
        match = ADMIN_REASON.match(reason.strip())
        if match is not None:
            moderator, reason = User.objects.filter(username=match.group(1)).first(), ""
        Post.objects.filter(pk=post.pk).update(
            moderation_status="removed",
            moderation_reason=reason,
            moderated_by=moderator,
            moderated_at=post.hidden_at,
        )


def backwards(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    for post in Post.objects.exclude(moderation_status="visible").select_related("moderated_by").iterator():
        reason = post.moderation_reason or (f"hidden by {post.moderated_by.username}" if post.moderated_by else "")
        Post.objects.filter(pk=post.pk).update(hidden_at=post.moderated_at, hidden_reason=reason)


class Migration(migrations.Migration):

    dependencies = [
        ("posts", "0006_moderation_state"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
