import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


"""The shared moderation state (socialflow.core.moderation.Moderatable): the new fields."""


class Migration(migrations.Migration):

    dependencies = [
        ('videos', '0002_video_media_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='comment',
            name='moderated_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='comment',
            name='moderated_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='comment',
            name='moderation_reason',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='comment',
            name='moderation_status',
            field=models.CharField(choices=[('visible', 'Visible'), ('held', 'Held for review'), ('removed', 'Removed by a moderator')], default='visible', max_length=16),
        ),
        migrations.AddField(
            model_name='video',
            name='moderated_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='video',
            name='moderated_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='video',
            name='moderation_reason',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='video',
            name='moderation_status',
            field=models.CharField(choices=[('visible', 'Visible'), ('held', 'Held for review'), ('removed', 'Removed by a moderator')], default='visible', max_length=16),
        ),
        migrations.AddConstraint(
            model_name='comment',
            constraint=models.CheckConstraint(condition=models.Q(('moderation_status__in', ['visible', 'held', 'removed'])), name='videos_comment_moderation_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='video',
            constraint=models.CheckConstraint(condition=models.Q(('moderation_status__in', ['visible', 'held', 'removed'])), name='videos_video_moderation_status_valid'),
        ),
    ]
