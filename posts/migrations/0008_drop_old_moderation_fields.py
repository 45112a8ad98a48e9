"""The old moderation fields go, once 0006 carried their state over."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('posts', '0007_moderation_state_data'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='post',
            name='hidden_at',
        ),
        migrations.RemoveField(
            model_name='post',
            name='hidden_reason',
        ),
    ]
