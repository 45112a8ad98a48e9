"""The old moderation fields go, once 0004 carried their state over."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('live', '0004_moderation_state_data'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='chatmessage',
            name='deleted_by',
        ),
    ]
