"""The OpenAPI schema tells the truth: each response below once contradicted it (issue 9, item 11).

Each test makes the real request and checks status and body against the generated schema, the
way ``make fuzz`` (schemathesis) does against the served app.
"""

import pytest

from accounts import services as account_services
from live import services as live_services
from live.tests.factories import ChatMessageFactory, StreamFactory
from notifications.tests.factories import NotificationFactory, WebPushDeviceFactory
from posts import services as post_services
from socialflow.tests.openapi import assert_conforms, openapi
from videos.tests.factories import CommentFactory, VideoFactory

pytestmark = pytest.mark.django_db


def _get(client, path):
    response = client.get(path)
    assert_conforms(response, "GET", path)
    return response


@pytest.fixture
def social(alice, bob, charlie):
    """bob follows alice; alice posts, bob replies and reposts, alice bookmarks, charlie asks to follow."""
    account_services.follow_create(follower=bob, followee=alice)
    post = post_services.post_create(author=alice, text="hello #launch")
    post_services.post_create(author=bob, text="hi", reply_to_id=post.pk)
    post_services.repost_create(user=bob, post=post)
    post_services.bookmark_create(user=alice, post=post)
    post_services.post_update(post=post, text="hello #launch, edited")
    alice.is_private = True
    alice.save(update_fields=["is_private"])
    account_services.follow_create(follower=charlie, followee=alice)
    return post


def test_it_documents_cursor_pages_of_posts_and_the_graph(social, alice_client, bob_client):
    for path in (
        "/api/v1/feed/home",
        "/api/v1/feed/for-you",
        "/api/v1/bookmarks",
        f"/api/v1/posts/{social.pk}/replies",
        f"/api/v1/posts/{social.pk}/edits",
        "/api/v1/users/bob/posts",  # holds a repost
        "/api/v1/hashtags/launch/posts",
        "/api/v1/hashtags/trending",
        "/api/v1/search/trending",
        "/api/v1/users/alice/followers",
        "/api/v1/users/bob/following",
        "/api/v1/follow-requests",
    ):
        body = _get(alice_client if path != "/api/v1/feed/home" else bob_client, path).json()
        assert set(body) == {"next", "previous", "results"}, path
    assert _get(bob_client, "/api/v1/users/bob/posts").json()["results"][0]["type"] == "repost"


def test_it_documents_the_notification_device_stream_chat_and_ban_lists(alice, bob, alice_client):
    NotificationFactory(recipient=alice, actor=bob)
    WebPushDeviceFactory(user=alice)
    stream = StreamFactory(owner=alice)
    live_services.stream_go_live(stream=stream)
    ChatMessageFactory(stream=stream, user=bob)
    live_services.chat_ban_create(stream=stream, user=bob, by=alice)
    assert set(_get(alice_client, "/api/v1/notifications").json()) == {"next", "previous", "results"}
    assert "count" in _get(alice_client, "/api/v1/notifications/devices").json()
    assert _get(alice_client, "/api/v1/live/streams").json()["count"] == 1
    assert set(_get(alice_client, f"/api/v1/live/streams/{stream.pk}/chat").json()) == {"next", "previous", "results"}
    assert _get(alice_client, f"/api/v1/live/streams/{stream.pk}/bans").json()["count"] == 1


def test_it_documents_video_comments_and_up_next_without_a_count(alice, bob, api_client):
    video = VideoFactory(author=alice)
    VideoFactory(author=alice)
    comment = CommentFactory(video=video, author=bob)
    CommentFactory(video=video, author=alice, parent=comment)
    for path in (
        f"/api/v1/videos/{video.pk}/comments",
        f"/api/v1/videos/{video.pk}/comments?parent={comment.pk}",
        f"/api/v1/videos/{video.pk}/up-next",
    ):
        body = _get(api_client, path).json()
        assert "count" not in body
    schema = openapi()["paths"]["/api/v1/videos/{id}/comments"]["get"]["responses"]["200"]
    assert "count" not in str(schema)


def test_it_documents_a_new_comment_as_201(alice, bob_client):
    video = VideoFactory(author=alice)
    path = f"/api/v1/videos/{video.pk}/comments"
    response = bob_client.post(path, {"text": "nice"}, format="json")
    assert response.status_code == 201
    assert_conforms(response, "POST", path)


def test_it_documents_a_stream_that_has_not_started_with_a_null_duration(alice_client):
    response = alice_client.post("/api/v1/live/streams", {"title": "Soon"}, format="json")
    assert response.json()["duration_ms"] is None
    assert response.json()["average_viewers"] is None
    assert_conforms(response, "POST", "/api/v1/live/streams")
    conflict = alice_client.post("/api/v1/live/streams", {"title": "Again"}, format="json")
    assert conflict.status_code == 409
    assert_conforms(conflict, "POST", "/api/v1/live/streams")


@pytest.mark.parametrize("reaction", ["like", "dislike"])
def test_it_documents_what_like_and_dislike_return(alice, bob_client, reaction):
    video = VideoFactory(author=alice)
    path = f"/api/v1/videos/{video.pk}/{reaction}"
    for method in ("POST", "DELETE"):
        response = bob_client.generic(method, path)
        assert response.status_code == 200
        assert set(response.json()) == {"likes_count", "dislikes_count", "viewer_reaction"}
        assert_conforms(response, method, path)


def test_it_documents_that_undoing_a_post_or_graph_toggle_answers_200(alice, social, bob_client):
    for path in (f"/api/v1/posts/{social.pk}/like", f"/api/v1/posts/{social.pk}/bookmark", "/api/v1/users/alice/mute"):
        bob_client.post(path)
        response = bob_client.delete(path)
        assert response.status_code == 200
        assert_conforms(response, "DELETE", path)


def test_it_documents_errors_in_the_error_format(alice_client, api_client):
    cases = [
        (api_client.get("/api/v1/videos/999999"), "GET", "/api/v1/videos/999999"),
        (api_client.get("/api/v1/bookmarks"), "GET", "/api/v1/bookmarks"),
        (alice_client.get("/api/v1/videos?page=99"), "GET", "/api/v1/videos?page=99"),
        (alice_client.get("/api/v1/notifications?cursor=junk"), "GET", "/api/v1/notifications?cursor=junk"),
        (alice_client.post("/api/v1/posts", {"text": "x" * 10_000}, format="json"), "POST", "/api/v1/posts"),
        (alice_client.get("/api/v1/uploads/00000000-0000-0000-0000-000000000000"), "GET", "/api/v1/uploads/x"),
    ]
    assert [response.status_code for response, *_ in cases] == [404, 401, 404, 400, 400, 412]
    for response, method, path in cases:
        assert_conforms(response, method, path)


def test_it_documents_the_422_of_a_reused_idempotency_key(alice_client):
    path = "/api/v1/live/streams"
    first = alice_client.post(path, {"title": "One"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    reused = alice_client.post(path, {"title": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert reused.status_code == 422
    assert_conforms(reused, "POST", path)
