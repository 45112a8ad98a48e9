# Persistent per-channel stream keys, and the reconnect grace period (disconnected_at).

import django.db.models.deletion
import live.models
from django.conf import settings
from django.db import migrations, models


def keys_to_channels(apps, schema_editor):
    """Each broadcaster keeps the key their encoder is configured with: the key of their active
    stream (else their latest) becomes the channel's."""
    Stream = apps.get_model("live", "Stream")
    LiveChannel = apps.get_model("live", "LiveChannel")
    seen = set()
    streams = Stream.objects.order_by(
        "owner_id", models.Case(models.When(status__in=["idle", "live"], then=0), default=1), "-created_at"
    )
    for owner_id, key in streams.values_list("owner_id", "stream_key"):
        if owner_id not in seen:
            seen.add(owner_id)
            LiveChannel.objects.create(owner_id=owner_id, stream_key=key)


def channels_to_keys(apps, schema_editor):
    Stream = apps.get_model("live", "Stream")
    LiveChannel = apps.get_model("live", "LiveChannel")
    keys = dict(LiveChannel.objects.values_list("owner_id", "stream_key"))
    for stream in Stream.objects.all():
        key = keys.pop(stream.owner_id, None)  # the first stream of each owner gets the channel key
        stream.stream_key = key or live.models.new_stream_key()
        stream.save(update_fields=["stream_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("live", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="stream",
            name="disconnected_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="LiveChannel",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("stream_key", models.CharField(default=live.models.new_stream_key, max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("key_rotated_at", models.DateTimeField(blank=True, null=True)),
                (
                    "owner",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="live_channel",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.RunPython(keys_to_channels, channels_to_keys),
        migrations.RemoveField(
            model_name="stream",
            name="stream_key",
        ),
    ]
