"""Today's moderation state carried into the shared fields without losing a row (videos 0003–0005,
posts 0006–0008, live 0003–0005).

Migrates back to the state before, writes hidden videos and posts, a held comment and chat messages
deleted by their author and by the streamer through the historical models, migrates forward and
reads the new fields; then back again (the reverse puts the old fields back)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("videos", "0002_video_media_version"),
    ("posts", "0005_visibility_labels"),
    ("live", "0002_channel_key_and_reconnect"),
]
WHEN = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _migrate(targets):
    """Migrate to ``targets`` and return the historical apps of that state."""
    return MigrationExecutor(connection).migrate(targets).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _seed(old) -> dict:
    user = old.get_model("accounts", "User")
    alice, bob, mod = (
        user.objects.create(username=name, email=f"{name}@example.com") for name in ("alice", "bob", "mod")
    )
    video = old.get_model("videos", "Video")
    comment = old.get_model("videos", "Comment")
    post = old.get_model("posts", "Post")
    stream = old.get_model("live", "Stream").objects.create(owner_id=alice.pk, title="Live")
    message = old.get_model("live", "ChatMessage")
    ids = {"alice": alice.pk, "bob": bob.pk, "mod": mod.pk}
    ids["hidden_video"] = video.objects.create(
        author_id=alice.pk, title="v", hidden_at=WHEN, hidden_reason="Hidden by mod"
    ).pk
    ids["reasoned_video"] = video.objects.create(
        author_id=alice.pk, title="w", hidden_at=WHEN, hidden_reason="copyright strike"
    ).pk
    ids["video"] = video.objects.create(author_id=alice.pk, title="x").pk
    ids["held"] = comment.objects.create(video_id=ids["video"], author_id=bob.pk, text="c", is_held=True).pk
    ids["comment"] = comment.objects.create(video_id=ids["video"], author_id=bob.pk, text="d").pk
    ids["hidden_post"] = post.objects.create(
        id=1, author_id=bob.pk, text="p", hidden_at=WHEN, hidden_reason="hidden by mod"
    ).pk
    ids["post"] = post.objects.create(id=2, author_id=bob.pk, text="q").pk
    ids["by_streamer"] = message.objects.create(
        stream_id=stream.pk, user_id=bob.pk, text="m", deleted_at=WHEN, deleted_by_id=alice.pk
    ).pk
    ids["by_author"] = message.objects.create(
        stream_id=stream.pk, user_id=bob.pk, text="n", deleted_at=WHEN, deleted_by_id=bob.pk
    ).pk
    ids["message"] = message.objects.create(stream_id=stream.pk, user_id=bob.pk, text="o").pk
    return ids


def _state(model, pk):
    return model.objects.values_list("moderation_status", "moderation_reason", "moderated_by_id", "moderated_at").get(
        pk=pk
    )


@pytest.mark.slow  # migrating three apps back and forth: ~10 s
@pytest.mark.django_db(transaction=True)
def test_it_carries_hidden_held_and_deleted_by_into_the_moderation_state():
    leaves = _leaves()
    try:
        ids = _seed(_migrate(BEFORE))
        new = _migrate(leaves)
        video, comment = new.get_model("videos", "Video"), new.get_model("videos", "Comment")
        post, message = new.get_model("posts", "Post"), new.get_model("live", "ChatMessage")
        assert _state(video, ids["hidden_video"]) == ("removed", "", ids["mod"], WHEN)  # the admin's free text
        assert _state(video, ids["reasoned_video"]) == ("removed", "copyright strike", None, WHEN)
        assert _state(video, ids["video"]) == ("visible", "", None, None)
        assert _state(comment, ids["held"])[0] == "held" and _state(comment, ids["comment"])[0] == "visible"
        assert _state(post, ids["hidden_post"]) == ("removed", "", ids["mod"], WHEN)
        assert _state(post, ids["post"])[0] == "visible"
        assert _state(message, ids["by_streamer"]) == ("removed", "", ids["alice"], WHEN)
        assert message.objects.get(pk=ids["by_streamer"]).deleted_at is None
        assert _state(message, ids["by_author"])[0] == "visible"  # the author's own delete stays a delete
        assert message.objects.get(pk=ids["by_author"]).deleted_at == WHEN
        assert _state(message, ids["message"])[0] == "visible"

        old = _migrate(BEFORE)
        assert old.get_model("videos", "Video").objects.get(pk=ids["hidden_video"]).hidden_at == WHEN
        assert old.get_model("videos", "Comment").objects.get(pk=ids["held"]).is_held
        assert old.get_model("posts", "Post").objects.get(pk=ids["hidden_post"]).hidden_at == WHEN
        back = old.get_model("live", "ChatMessage").objects.get(pk=ids["by_streamer"])
        assert (back.deleted_at, back.deleted_by_id) == (WHEN, ids["alice"])
    finally:
        _migrate(leaves)
