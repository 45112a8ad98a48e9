"""The social graph now lives in accounts (accounts 0004): drop the models from the posts state only.

The tables ``posts_follow``, ``posts_followrequest``, ``posts_block`` and ``posts_mute`` stay, with
their rows; ``accounts.Follow`` and friends use them through ``db_table``.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0003_post_text_search_index"),
        ("accounts", "0004_social_graph"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Block"),
                migrations.DeleteModel(name="Follow"),
                migrations.DeleteModel(name="FollowRequest"),
                migrations.DeleteModel(name="Mute"),
            ],
        ),
    ]
