"""Each notification kind produced by the real action through the API of the app that owns it.

Only this file and test_handlers.py reach into other apps (their factories and endpoints); kinds
no domain event produces yet are listed in ``NOT_WIRED`` and in docs/notifications.md.
"""

import pytest
from django.core import mail

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from conftest import bearer_client
from moderation import services as moderation_services
from moderation.models import Report
from notifications import services
from notifications.models import Notification

pytestmark = pytest.mark.django_db

NOT_WIRED = {"copyright_claim", "payout_sent", "tip_received", "new_member"}


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Run an API call and its after-commit work (tasks run eagerly), like a real request."""

    def _act(call, *args, allow_error=False, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = call(*args, **kwargs)
        assert allow_error or response.status_code < 300, response.content
        return response

    return _act


def _only(recipient, kind) -> Notification:
    rows = list(Notification.objects.filter(recipient=recipient, kind=kind))
    assert len(rows) == 1, f"expected one {kind} for {recipient}, got {rows}"
    return rows[0]


def _listed(client, kind):
    return client.get("/api/v1/notifications", {"kind": kind}).json()["results"]


# --- posts -------------------------------------------------------------------------------------------


def _post(act, client, **body):
    return act(client.post, "/api/v1/posts", body, format="json").json()


def test_it_notifies_follow(act, alice, bob, alice_client, bob_client):
    act(bob_client.post, "/api/v1/users/alice/follow")
    n = _only(alice, "follow")
    assert n.actor == bob
    assert _listed(alice_client, "follow")[0]["text"] == "Bob followed you"


def test_it_aggregates_follows_through_the_api(act, alice, alice_client):
    for user in UserFactory.create_batch(3):
        act(bearer_client(user).post, "/api/v1/users/alice/follow")
    item = _listed(alice_client, "follow")[0]
    assert item["actors_count"] == 3
    assert item["text"].endswith("and 2 others followed you")


def test_it_notifies_follow_request_and_accept(act, alice, bob, alice_client, bob_client):
    alice.is_private = True
    alice.save(update_fields=["is_private"])
    act(bob_client.post, "/api/v1/users/alice/follow")
    request = _only(alice, "follow_request")
    assert request.actor == bob
    assert len(mail.outbox) == 1  # follow requests email by default
    assert mail.outbox[0].to == [alice.email]
    request_id = request.data["request_id"]
    act(alice_client.post, f"/api/v1/follow-requests/{request_id}/accept")
    accepted = _only(bob, "follow_accepted")
    assert accepted.actor == alice


def test_it_notifies_like_post(act, alice, bob, charlie, alice_client, bob_client, charlie_client):
    post = _post(act, alice_client, text="first post")
    act(bob_client.post, f"/api/v1/posts/{post['id']}/like")
    act(charlie_client.post, f"/api/v1/posts/{post['id']}/like")
    n = _only(alice, "like_post")
    assert n.actors_count == 2
    assert n.target_object_id == post["id"]
    assert _listed(alice_client, "like_post")[0]["text"] == "Charlie and Bob liked your post"


def test_it_notifies_reply_with_email(act, alice, bob, alice_client, bob_client):
    post = _post(act, alice_client, text="question?")
    reply = _post(act, bob_client, text="answer!", reply_to=post["id"])
    n = _only(alice, "reply")
    assert n.actor == bob
    assert n.target_object_id == reply["id"]
    assert n.data["excerpt"] == "answer!"
    assert mail.outbox[-1].subject == "Bob replied to your post"
    assert "answer!" in mail.outbox[-1].body


def test_it_notifies_mention(act, alice, bob, bob_client):
    _post(act, bob_client, text="hello @alice")
    assert _only(alice, "mention").actor == bob


def test_it_notifies_mention_added_by_an_edit(act, alice, bob, bob_client):
    post = _post(act, bob_client, text="hello world")
    act(bob_client.patch, f"/api/v1/posts/{post['id']}", {"text": "hello @alice"}, format="json")
    assert _only(alice, "mention").actor == bob
    act(bob_client.patch, f"/api/v1/posts/{post['id']}", {"text": "hello again @alice"}, format="json")
    assert Notification.objects.filter(recipient=alice, kind="mention").count() == 1


def test_it_notifies_repost(act, alice, bob, alice_client, bob_client):
    post = _post(act, alice_client, text="share me")
    act(bob_client.post, f"/api/v1/posts/{post['id']}/repost")
    assert _only(alice, "repost").actor == bob


def test_it_notifies_quote(act, alice, bob, alice_client, bob_client):
    post = _post(act, alice_client, text="quote me")
    _post(act, bob_client, text="so true", quote_of=post["id"])
    assert _only(alice, "quote").actor == bob


def test_it_notifies_new_post_to_followers_who_opted_in(act, alice, bob, charlie, alice_client):
    Follow.objects.create(follower=bob, followee=alice)
    Follow.objects.create(follower=charlie, followee=alice)
    services.preferences_update(user=bob, kinds={"new_post": {"in_app": True}})
    _post(act, alice_client, text="news")
    assert _only(bob, "new_post").actor == alice
    assert not Notification.objects.filter(recipient=charlie, kind="new_post").exists()


def test_it_never_notifies_a_blocked_actor_through_the_api(act, alice, bob, alice_client, bob_client):
    post = _post(act, alice_client, text="hi")
    act(bob_client.post, f"/api/v1/posts/{post['id']}/like")
    act(alice_client.post, "/api/v1/users/bob/mute")
    _post(act, bob_client, text="hey @alice")
    assert not Notification.objects.filter(recipient=alice, kind="mention").exists()


def test_it_never_notifies_yourself_through_the_api(act, alice, alice_client):
    post = _post(act, alice_client, text="me")
    act(alice_client.post, f"/api/v1/posts/{post['id']}/like")
    _post(act, alice_client, text="reply to myself", reply_to=post["id"])
    assert not Notification.objects.filter(recipient=alice).exists()


# --- videos ------------------------------------------------------------------------------------------


@pytest.fixture
def video(alice):
    from videos.tests.factories import VideoFactory

    return VideoFactory(author=alice, title="My trip")


def test_it_notifies_like_video(act, alice, bob, bob_client, video):
    act(bob_client.post, f"/api/v1/videos/{video.pk}/like")
    n = _only(alice, "like_video")
    assert n.actor == bob
    assert n.data["title"] == "My trip"


def test_it_notifies_comment_and_comment_reply(act, alice, bob, charlie, bob_client, charlie_client, video):
    comment = act(bob_client.post, f"/api/v1/videos/{video.pk}/comments", {"text": "nice"}, format="json").json()
    n = _only(alice, "comment")
    assert n.actor == bob
    assert n.data["excerpt"] == "nice"
    act(
        charlie_client.post,
        f"/api/v1/videos/{video.pk}/comments",
        {"text": "agreed", "parent": comment["id"]},
        format="json",
    )
    assert _only(bob, "comment_reply").actor == charlie


def test_it_notifies_moderation_action_once_when_the_creator_holds_a_comment(
    act, alice, bob, alice_client, bob_client, video
):
    comment = act(bob_client.post, f"/api/v1/videos/{video.pk}/comments", {"text": "spam"}, format="json").json()
    act(alice_client.post, f"/api/v1/comments/{comment['id']}/hold")
    act(alice_client.post, f"/api/v1/comments/{comment['id']}/hold")  # again: nothing changes, nobody told
    n = _only(bob, "moderation_action")
    assert n.actor is None and n.target_object_id == str(comment["id"])
    assert _listed(bob_client, "moderation_action")[0]["text"] == "Your comment was held for review"


def test_it_notifies_report_resolved_to_the_reporter(
    act, alice, bob, charlie, alice_client, bob_client, django_capture_on_commit_callbacks
):
    post = act(bob_client.post, "/api/v1/posts", {"text": "buy now"}, format="json").json()
    act(alice_client.post, "/api/v1/reports", {"target_type": "post", "target_id": post["id"], "reason": "spam"})
    report = Report.objects.get(reporter=alice)
    with django_capture_on_commit_callbacks(execute=True):  # a moderator's decision in the admin
        moderation_services.reports_dismiss(reports=[report], by=charlie)
    n = _only(alice, "report_resolved")
    assert n.actor is None
    assert (
        _listed(alice_client, "report_resolved")[0]["text"]
        == "Your report about a post was reviewed: no violation found"
    )


def test_it_notifies_like_comment(act, alice, bob, alice_client, bob_client, video):
    comment = act(bob_client.post, f"/api/v1/videos/{video.pk}/comments", {"text": "mine"}, format="json").json()
    act(alice_client.post, f"/api/v1/comments/{comment['id']}/like")
    assert _only(bob, "like_comment").actor == alice


@pytest.mark.slow
def test_it_notifies_video_ready_and_new_video_after_a_real_transcode(
    act, alice, bob, alice_client, settings, tmp_path
):
    from videos.lib.ffmpeg import make_test_clip

    settings.VIDEO_UPLOAD_DIR = tmp_path / "uploads"
    settings.VIDEO_WORK_DIR = tmp_path / "work"
    settings.VIDEO_UPLOAD_DIR.mkdir()
    Follow.objects.create(follower=bob, followee=alice)
    clip = make_test_clip(tmp_path / "clip.mp4", seconds=1, size="160x120")
    with clip.open("rb") as handle:
        response = act(
            alice_client.post,
            "/api/v1/videos",
            {"file": handle, "title": "Sunset", "visibility": "public"},
            format="multipart",
        )
    video_id = str(response.json()["id"])
    ready = _only(alice, "video_ready")
    assert ready.target_object_id == video_id
    assert ready.data["title"] == "Sunset"
    assert ready.data["url"] == f"/studio/videos/{video_id}/"
    assert any(m.subject == "Your video “Sunset” is ready" for m in mail.outbox)
    assert _only(bob, "new_video").actor == alice


def test_it_notifies_video_failed_for_a_junk_upload(act, alice, alice_client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.VIDEO_UPLOAD_DIR = tmp_path / "uploads"
    settings.VIDEO_WORK_DIR = tmp_path / "work"
    settings.VIDEO_UPLOAD_DIR.mkdir()
    junk = SimpleUploadedFile("junk.mp4", b"this is not a video" * 100, content_type="video/mp4")
    # Accepted as an upload, then transcoding fails: the uploader hears why.
    act(alice_client.post, "/api/v1/videos", {"file": junk, "title": "Broken"}, format="multipart", allow_error=True)
    failed = _only(alice, "video_failed")
    assert failed.data["title"] == "Broken"
    assert failed.data["error"]
    assert any(m.subject == "Your video “Broken” could not be processed" for m in mail.outbox)


# --- live --------------------------------------------------------------------------------------------


def test_it_notifies_live_started_to_followers(act, alice, bob, api_client, settings):
    from live.tests.factories import StreamFactory

    settings.LIVE_INGEST_SECRET = "test-ingest-secret"
    Follow.objects.create(follower=bob, followee=alice)
    stream = StreamFactory(owner=alice, title="Cooking live")
    act(
        api_client.post,
        "/api/v1/live/ingest/publish?secret=test-ingest-secret",
        {"name": stream.stream_key},
        format="multipart",
    )
    n = _only(bob, "live_started")
    assert n.actor == alice
    assert n.data["title"] == "Cooking live"
    assert bearer_client(bob).get("/api/v1/notifications").json()["results"][0]["text"] == (
        "Alice is live “Cooking live”"
    )


def test_it_tells_nobody_about_a_follow_undone_before_its_event_was_handled(
    alice, bob, bob_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as followed:
        bob_client.post("/api/v1/users/alice/follow")
    bob_client.delete("/api/v1/users/alice/follow")
    for callback in followed:
        callback()
    assert not Notification.objects.filter(recipient=alice, kind="follow").exists()
