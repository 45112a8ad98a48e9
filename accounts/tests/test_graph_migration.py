"""The social graph moved from posts to accounts without losing a row (accounts 0004, posts 0004).

Migrates a database back to the state before the move, writes follows, a follow request, a block
and a mute through the historical ``posts`` models, migrates forward again, and reads the same
rows through ``accounts`` (the content types move with them). Runs on whichever database the suite uses (SQLite or PostgreSQL).
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0003_site_name"), ("posts", "0003_post_text_search_index")]
MOVED = ("Follow", "FollowRequest", "Block", "Mute")


def _migrate(targets):
    """Migrate to ``targets`` and return the historical apps of that state."""
    return MigrationExecutor(connection).migrate(targets).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_follows_blocks_and_mutes_across_the_move():
    leaves = _leaves()
    try:
        old = _migrate(BEFORE)
        user = old.get_model("accounts", "User")
        alice, bob, carol = (user.objects.create(username=name, email=f"{name}@example.com") for name in "abc")
        old.get_model("posts", "Follow").objects.create(follower_id=bob.pk, followee_id=alice.pk)
        old.get_model("posts", "Follow").objects.create(follower_id=carol.pk, followee_id=alice.pk)
        old.get_model("posts", "FollowRequest").objects.create(requester_id=alice.pk, target_id=carol.pk)
        old.get_model("posts", "Block").objects.create(blocker_id=alice.pk, blocked_id=bob.pk)
        old.get_model("posts", "Mute").objects.create(muter_id=carol.pk, muted_id=bob.pk)
        content_type = old.get_model("contenttypes", "ContentType")
        for name in MOVED:
            content_type.objects.get_or_create(app_label="posts", model=name.lower())

        new = _migrate(leaves)
        for name in MOVED:
            with pytest.raises(LookupError):
                new.get_model("posts", name)
        follow = new.get_model("accounts", "Follow")
        assert sorted(follow.objects.values_list("follower_id", "followee_id")) == sorted(
            [(bob.pk, alice.pk), (carol.pk, alice.pk)]
        )
        assert list(new.get_model("accounts", "FollowRequest").objects.values_list("requester_id", "target_id")) == [
            (alice.pk, carol.pk)
        ]
        assert list(new.get_model("accounts", "Block").objects.values_list("blocker_id", "blocked_id")) == [
            (alice.pk, bob.pk)
        ]
        assert list(new.get_model("accounts", "Mute").objects.values_list("muter_id", "muted_id")) == [
            (carol.pk, bob.pk)
        ]
        content_type = new.get_model("contenttypes", "ContentType")
        assert set(
            content_type.objects.filter(model__in=[m.lower() for m in MOVED]).values_list("app_label", "model")
        ) == {("accounts", name.lower()) for name in MOVED}
    finally:
        _migrate(leaves)
