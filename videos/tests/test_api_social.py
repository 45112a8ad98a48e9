"""Comments (threads, likes, delete, pin, hold) and playlists through the API."""

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from socialflow.core.models import AuditEntry
from videos.models import Comment
from videos.tests.factories import CommentFactory, PlaylistFactory, VideoFactory


def test_it_threads_comments(alice_client, bob_client, charlie_client, api_client, alice, bob):
    video = VideoFactory(author=alice)
    url = f"/api/v1/videos/{video.pk}/comments"
    top = bob_client.post(url, {"text": "First!"}).json()
    assert top["parent_id"] is None and top["author"]["username"] == "bob"
    reply = charlie_client.post(url, {"text": "Second", "parent": top["id"]}).json()
    assert reply["parent_id"] == top["id"]
    nested = alice_client.post(url, {"text": "Thanks", "parent": reply["id"]}).json()
    assert nested["parent_id"] == top["id"]  # one level of threading
    listing = api_client.get(url).json()
    assert [c["id"] for c in listing["results"]] == [top["id"]]
    assert listing["results"][0]["replies_count"] == 2
    replies = api_client.get(f"{url}?parent={top['id']}").json()
    assert [c["id"] for c in replies["results"]] == [reply["id"], nested["id"]]
    video.refresh_from_db()
    assert video.comments_count == 3


def test_it_validates_comments(bob_client, api_client, alice):
    video = VideoFactory(author=alice)
    url = f"/api/v1/videos/{video.pk}/comments"
    assert bob_client.post(url, {"text": ""}).status_code == 400
    assert bob_client.post(url, {"text": "x" * 5001}).status_code == 400
    assert bob_client.post(url, {"text": "hi", "parent": "999999"}).status_code == 404
    other = CommentFactory()
    assert bob_client.post(url, {"text": "hi", "parent": str(other.pk)}).status_code == 404
    assert api_client.post(url, {"text": "hi"}).status_code == 401
    private = VideoFactory(author=alice, visibility="private")
    assert bob_client.post(f"/api/v1/videos/{private.pk}/comments", {"text": "hi"}).status_code == 404


def test_it_paginates_comments_with_a_cursor_within_a_budget(
    api_client, bob_client, alice, django_assert_max_num_queries
):
    video = VideoFactory(author=alice)
    CommentFactory.create_batch(25, video=video)
    with django_assert_max_num_queries(4):
        first = api_client.get(f"/api/v1/videos/{video.pk}/comments").json()
    assert len(first["results"]) == 20 and "cursor=" in first["next"]
    with django_assert_max_num_queries(9):
        second = bob_client.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None


def test_it_deletes_comments_by_author_or_creator_only(alice_client, bob_client, charlie_client, alice, bob):
    video = VideoFactory(author=alice, comments_count=3)
    mine = CommentFactory(video=video, author=bob)
    CommentFactory(video=video, parent=mine, author=alice)
    mine.replies_count = 1
    mine.save()
    other = CommentFactory(video=video, author=bob)
    assert charlie_client.delete(f"/api/v1/comments/{mine.pk}").status_code == 403
    assert bob_client.delete(f"/api/v1/comments/{mine.pk}").status_code == 204
    assert alice_client.delete(f"/api/v1/comments/{other.pk}").status_code == 204
    video.refresh_from_db()
    assert video.comments_count == 0 and not Comment.objects.exists()
    # The author deleting their own comment is no moderation; the creator deleting bob's is.
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_id) == (alice, "comment.removed", str(other.pk))


def test_it_audits_a_site_moderator_deleting_a_comment(alice, bob):
    moderator = UserFactory(role="moderator")
    video = VideoFactory(author=alice, comments_count=2)
    comment = CommentFactory(video=video, author=bob, text="buy followers here")
    CommentFactory(video=video, parent=comment, author=alice)
    assert bearer_client(moderator).delete(f"/api/v1/comments/{comment.pk}").status_code == 204
    video.refresh_from_db()
    assert video.comments_count == 0 and not Comment.objects.exists()  # as before: with its replies
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_id) == (moderator, "comment.removed", str(comment.pk))
    assert entry.target_repr == f"comment {comment.pk} on {video.pk}"


def test_it_likes_comments_idempotently(bob_client, api_client, alice):
    comment = CommentFactory(video=VideoFactory(author=alice), author=alice)
    url = f"/api/v1/comments/{comment.pk}/like"
    assert bob_client.post(url).json()["likes_count"] == 1
    assert bob_client.post(url).json()["likes_count"] == 1
    assert bob_client.delete(url).json()["likes_count"] == 0
    assert api_client.post(url).status_code == 401


def test_it_lets_the_creator_pin_one_comment(alice_client, bob_client, alice):
    video = VideoFactory(author=alice)
    first, second = CommentFactory(video=video), CommentFactory(video=video)
    assert bob_client.post(f"/api/v1/comments/{first.pk}/pin").status_code == 403
    assert alice_client.post(f"/api/v1/comments/{first.pk}/pin").json()["is_pinned"] is True
    assert alice_client.post(f"/api/v1/comments/{second.pk}/pin").json()["is_pinned"] is True
    first.refresh_from_db()
    assert first.pinned_at is None
    assert alice_client.delete(f"/api/v1/comments/{second.pk}/pin").json()["is_pinned"] is False


def test_it_shows_held_comments_only_to_author_and_creator(
    alice_client, bob_client, charlie_client, api_client, alice, bob
):
    video = VideoFactory(author=alice)
    comment = CommentFactory(video=video, author=bob)
    assert bob_client.post(f"/api/v1/comments/{comment.pk}/hold").status_code == 403
    assert alice_client.post(f"/api/v1/comments/{comment.pk}/hold").json()["is_held"] is True
    url = f"/api/v1/videos/{video.pk}/comments"
    assert len(api_client.get(url).json()["results"]) == 0
    assert len(charlie_client.get(url).json()["results"]) == 0
    assert len(bob_client.get(url).json()["results"]) == 1
    assert len(alice_client.get(url).json()["results"]) == 1
    assert charlie_client.post(f"/api/v1/comments/{comment.pk}/like").status_code == 404
    assert alice_client.post(f"/api/v1/comments/{comment.pk}/approve").json()["is_held"] is False
    assert len(api_client.get(url).json()["results"]) == 1
    entries = AuditEntry.objects.order_by("id")
    assert [(e.actor, e.action, e.target_id) for e in entries] == [
        (alice, "comment.held", str(comment.pk)),
        (alice, "comment.restored", str(comment.pk)),
    ]


def test_it_manages_playlists(alice_client, bob_client, api_client, alice, bob):
    videos = [VideoFactory(author=bob), VideoFactory(author=bob)]
    private_other = VideoFactory(author=bob, visibility="private")
    created = alice_client.post("/api/v1/playlists", {"title": "Watch later", "visibility": "private"})
    assert created.status_code == 201
    pid = created.json()["id"]
    for video in videos:
        assert alice_client.post(f"/api/v1/playlists/{pid}/items", {"video_id": str(video.pk)}).status_code == 201
    assert (
        alice_client.post(f"/api/v1/playlists/{pid}/items", {"video_id": str(videos[0].pk)}).json()["items_count"] == 2
    )
    assert alice_client.post(f"/api/v1/playlists/{pid}/items", {"video_id": str(private_other.pk)}).status_code == 404
    detail = alice_client.get(f"/api/v1/playlists/{pid}").json()
    assert [v["id"] for v in detail["videos"]] == [str(v.pk) for v in videos]
    assert bob_client.get(f"/api/v1/playlists/{pid}").status_code == 404  # private
    assert api_client.get(f"/api/v1/playlists/{pid}").status_code == 404
    assert alice_client.patch(f"/api/v1/playlists/{pid}", {"visibility": "public"}).json()["visibility"] == "public"
    assert bob_client.get(f"/api/v1/playlists/{pid}").status_code == 200
    assert bob_client.post(f"/api/v1/playlists/{pid}/items", {"video_id": str(videos[0].pk)}).status_code == 403
    assert alice_client.delete(f"/api/v1/playlists/{pid}/items/{videos[0].pk}").status_code == 204
    assert alice_client.delete(f"/api/v1/playlists/{pid}/items/{videos[0].pk}").status_code == 404
    assert alice_client.get(f"/api/v1/playlists/{pid}").json()["items_count"] == 1
    assert bob_client.delete(f"/api/v1/playlists/{pid}").status_code == 403
    assert alice_client.delete(f"/api/v1/playlists/{pid}").status_code == 204


def test_it_lists_playlists_within_a_budget(api_client, alice_client, alice, django_assert_max_num_queries):
    PlaylistFactory.create_batch(5, owner=alice)
    PlaylistFactory(owner=alice, visibility="private")
    with django_assert_max_num_queries(3):
        assert len(api_client.get("/api/v1/playlists?owner=alice").json()["results"]) == 5
    with django_assert_max_num_queries(6):
        assert len(alice_client.get("/api/v1/playlists").json()["results"]) == 6
    assert api_client.post("/api/v1/playlists", {"title": "x"}).status_code == 401
    assert alice_client.post("/api/v1/playlists", {"title": ""}).status_code == 400


def test_it_lists_playlist_videos_within_a_budget(bob_client, alice, bob, django_assert_max_num_queries):
    from videos import services

    playlist = PlaylistFactory(owner=alice)
    for _ in range(10):
        services.playlist_item_add(playlist=playlist, video=VideoFactory(author=alice))
    with django_assert_max_num_queries(10):
        assert len(bob_client.get(f"/api/v1/playlists/{playlist.pk}").json()["videos"]) == 10
