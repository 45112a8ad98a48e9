import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


"""The shared moderation state (socialflow.core.moderation.Moderatable): the new fields."""


class Migration(migrations.Migration):

    dependencies = [
        ('live', '0002_channel_key_and_reconnect'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='chatmessage',
            name='moderated_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='chatmessage',
            name='moderated_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='chatmessage',
            name='moderation_reason',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='chatmessage',
            name='moderation_status',
            field=models.CharField(choices=[('visible', 'Visible'), ('held', 'Held for review'), ('removed', 'Removed by a moderator')], default='visible', max_length=16),
        ),
        migrations.AddConstraint(
            model_name='chatmessage',
            constraint=models.CheckConstraint(condition=models.Q(('moderation_status__in', ['visible', 'held', 'removed'])), name='live_chatmessage_moderation_status_valid'),
        ),
    ]
