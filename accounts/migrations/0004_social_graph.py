"""The social graph moves from posts to accounts: model state only, the tables and rows stay.

``posts_follow``, ``posts_followrequest``, ``posts_block`` and ``posts_mute`` keep their names
(``db_table``), constraints and indexes, so no row is copied and nothing is locked. The matching
``posts`` migration 0004 removes the models from the posts state without touching the database.
The content types move too, so admin permissions and log entries keep pointing at the same rows.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ("follow", "followrequest", "block", "mute")


def move_content_types(apps, schema_editor, source="posts", target="accounts"):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if not content_type.objects.using(db).filter(app_label=target, model=model).exists():
            content_type.objects.using(db).filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="accounts", target="posts")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_site_name"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The tables were created by posts 0001; they must exist before this state takes them over.
        ("posts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Block',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('blocked', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('blocker', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'posts_block',
                        'indexes': [models.Index(fields=['blocked'], name='posts_block_blocked_693279_idx')],
                        'constraints': [models.UniqueConstraint(fields=('blocker', 'blocked'), name='posts_block_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='Follow',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('followee', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('follower', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'posts_follow',
                        'indexes': [models.Index(fields=['followee', '-created_at'], name='posts_follo_followe_0433cb_idx')],
                        'constraints': [models.UniqueConstraint(fields=('follower', 'followee'), name='posts_follow_unique'), models.CheckConstraint(condition=models.Q(('follower', models.F('followee')), _negated=True), name='posts_follow_not_self')],
                    },
                ),
                migrations.CreateModel(
                    name='FollowRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('requester', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('target', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'posts_followrequest',
                        'indexes': [models.Index(fields=['target', '-created_at'], name='posts_follo_target__473ce6_idx')],
                        'constraints': [models.UniqueConstraint(fields=('requester', 'target'), name='posts_followrequest_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='Mute',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('muted', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('muter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'posts_mute',
                        'constraints': [models.UniqueConstraint(fields=('muter', 'muted'), name='posts_mute_unique')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
