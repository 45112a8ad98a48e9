"""The old moderation fields go, once 0004 carried their state over."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('videos', '0004_moderation_state_data'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='comment',
            name='is_held',
        ),
        migrations.RemoveField(
            model_name='video',
            name='hidden_at',
        ),
        migrations.RemoveField(
            model_name='video',
            name='hidden_reason',
        ),
    ]
