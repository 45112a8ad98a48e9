"""The Studio's comment moderation page: the creator pins, holds, approves and deletes."""

import pytest
from django.test import Client

from videos.models import Comment
from videos.tests.factories import CommentFactory, VideoFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_creator_moderates_comments(alice, bob, django_assert_max_num_queries):
    video = VideoFactory(author=alice)
    comments = [CommentFactory(video=video, author=bob, text=f"<b>comment {i}</b>") for i in range(5)]
    client = _client(alice)
    with django_assert_max_num_queries(8):
        response = client.get(f"/studio/videos/{video.pk}/comments/")
    assert response.status_code == 200
    assert b"&lt;b&gt;comment 0&lt;/b&gt;" in response.content and b"<b>comment" not in response.content
    first, second = comments[0], comments[1]
    url = f"/studio/videos/{video.pk}/comments/"
    assert client.post(url, {"comment": first.pk, "action": "pin"}).status_code == 302
    first.refresh_from_db()
    assert first.pinned_at is not None
    client.post(url, {"comment": second.pk, "action": "hold"})
    second.refresh_from_db()
    assert second.moderation_status == "held"
    client.post(url, {"comment": second.pk, "action": "pin"})  # a held comment cannot be pinned
    second.refresh_from_db()
    assert second.pinned_at is None
    client.post(url, {"comment": second.pk, "action": "approve"})
    second.refresh_from_db()
    assert second.moderation_status == "visible"
    client.post(url, {"comment": first.pk, "action": "delete"})
    assert not Comment.objects.filter(pk=first.pk).exists()
    response = client.get(url)
    assert b"Deleted." in response.content


def test_nobody_else_moderates(alice, bob, charlie):
    video = VideoFactory(author=alice)
    comment = CommentFactory(video=video, author=bob)
    other = VideoFactory(author=charlie)
    for user in (bob, charlie):
        client = _client(user)
        assert client.get(f"/studio/videos/{video.pk}/comments/").status_code == 404
        assert (
            client.post(f"/studio/videos/{video.pk}/comments/", {"comment": comment.pk, "action": "delete"}).status_code
            == 404
        )
    # A comment of another video through one's own page: refused.
    response = _client(charlie).post(
        f"/studio/videos/{other.pk}/comments/", {"comment": comment.pk, "action": "delete"}
    )
    assert response.status_code == 302
    assert Comment.objects.filter(pk=comment.pk).exists()
