"""Studio pages and the admin moderation console."""

from django.conf import settings
from django.contrib.auth import get_user_model

from accounts.tests.factories import DEFAULT_PASSWORD
from socialflow.core.models import AuditEntry
from videos.models import Video
from videos.tests.factories import VideoFactory


def login(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


def test_it_lists_my_videos_in_the_studio(client, alice, bob):
    VideoFactory(author=alice, title="Mine", status="processing", progress=42)
    VideoFactory(author=bob, title="Not mine")
    assert client.get("/studio/videos/").status_code == 302  # login required
    login(client, alice)
    page = client.get("/studio/videos/").content.decode()
    assert "Mine" in page and "Not mine" not in page and 'value="42"' in page
    assert "studio.js" in page


def test_it_serves_the_upload_page(client, alice):
    login(client, alice)
    page = client.get("/studio/videos/upload/").content.decode()
    assert "SocialFlowStudio.uploadForm" in page and "csrfmiddlewaretoken" in page


def test_it_edits_and_deletes_from_the_studio(client, alice, bob, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice)
    login(client, bob)
    assert client.get(f"/studio/videos/{video.pk}/").status_code == 404
    login(client, alice)
    response = client.post(
        f"/studio/videos/{video.pk}/",
        {"action": "save", "title": "Edited", "description": "d", "visibility": "unlisted", "tags": "a, b"},
    )
    assert response.status_code == 302
    video.refresh_from_db()
    assert video.title == "Edited" and video.visibility == "unlisted"
    assert [t.name for t in video.tags.order_by("name")] == ["a", "b"]
    assert client.post(f"/studio/videos/{video.pk}/", {"action": "save", "title": ""}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/studio/videos/{video.pk}/", {"action": "delete"})
    assert not Video.objects.filter(pk=video.pk).exists()


def test_it_moderates_videos_in_the_admin(client, alice, django_capture_on_commit_callbacks):
    admin = get_user_model().objects.create_superuser(username="root", email="root@example.com", password="pw")
    client.force_login(admin)
    video = VideoFactory(author=alice, source_name="videos/1/source/original.mp4")
    other = VideoFactory(author=alice)
    changelist = "/admin/videos/video/"
    assert client.get(f"{changelist}?status__exact=ready&visibility__exact=public&q=Video").status_code == 200
    assert client.get(f"{changelist}{video.pk}/change/").status_code == 200
    hide = {"action": "hide_videos", "_selected_action": [video.pk, other.pk]}
    page = client.post(changelist, hide)  # first the page asking why
    assert page.status_code == 200 and b'name="reason"' in page.content
    assert not AuditEntry.objects.exists()
    client.post(changelist, {**hide, "apply": "1", "reason": "spam ring"})
    video.refresh_from_db()
    assert (video.moderation_status, video.moderated_by, video.moderation_reason) == ("removed", admin, "spam ring")
    assert client.get(f"{changelist}?moderation_status__exact=removed").status_code == 200
    removals = AuditEntry.objects.filter(action="video.removed", actor=admin)
    assert sorted(int(e.target_id) for e in removals) == sorted([video.pk, other.pk])  # one per video, bulk too
    client.post(changelist, {"action": "restore_videos", "_selected_action": [video.pk]})
    video.refresh_from_db()
    assert video.moderation_status == "visible"
    assert AuditEntry.objects.get(action="video.restored").target_id == str(video.pk)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(changelist, {"action": "retranscode_videos", "_selected_action": [video.pk]})
    video.refresh_from_db()
    assert video.status == "processing"
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"{changelist}{other.pk}/delete/", {"post": "yes"})
    assert not Video.objects.filter(pk=other.pk).exists()
    assert AuditEntry.objects.get(action="video.delete").target_repr == other.title


def test_it_edits_videos_in_the_admin_only_through_the_service(client, alice, bob):
    """The change form edits what the owner could (title, description, visibility, publish date) via
    video_update; author, state, counters and files are read-only there."""
    admin = get_user_model().objects.create_superuser(username="root", email="root@example.com", password="pw")
    client.force_login(admin)
    video = VideoFactory(author=alice, visibility="private", views_count=7)
    url = f"/admin/videos/video/{video.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert set(page.context["adminform"].form.fields) == {"title", "description", "visibility", "published_at"}
    response = client.post(
        url,
        {
            "title": "Renamed by a moderator",
            "description": "",
            "visibility": "public",
            "published_at_0": "",
            "published_at_1": "",
            "author": bob.pk,
            "views_count": 0,
            "status": "failed",
        },
    )
    assert response.status_code == 302, response.content
    video.refresh_from_db()
    assert (video.title, video.visibility) == ("Renamed by a moderator", "public")
    assert (video.author_id, video.views_count, video.status) == (alice.pk, 7, "ready")
    assert video.announced_at is not None  # video_update announced the now-public video


def test_it_moderates_comments_in_the_admin_without_rewriting_them(client, alice, bob):
    from videos import services

    admin = get_user_model().objects.create_superuser(username="root", email="root@example.com", password="pw")
    client.force_login(admin)
    comment = services.comment_create(video=VideoFactory(author=alice), author=bob, text="first!", parent=None)
    page = client.get(f"/admin/videos/comment/{comment.pk}/change/")
    assert page.status_code == 200 and not page.context["adminform"].form.fields
    response = client.post(
        "/admin/videos/comment/",
        {"action": "hold_comments", "_selected_action": [comment.pk], "apply": "1", "reason": "off topic"},
        follow=True,
    )
    assert "Held 1 comment(s)." in response.content.decode()
    comment.refresh_from_db()
    assert (comment.moderation_status, comment.moderated_by) == ("held", admin)
    entry = AuditEntry.objects.get(action="comment.held")
    assert (entry.actor, entry.target_id, entry.target_repr, entry.reason) == (
        admin,
        str(comment.pk),
        str(comment),
        "off topic",
    )
    client.post("/admin/videos/comment/", {"action": "approve_comments", "_selected_action": [comment.pk]})
    assert AuditEntry.objects.filter(action="comment.restored", actor=admin).count() == 1
    client.post(
        "/admin/videos/comment/", {"action": "delete_selected", "_selected_action": [comment.pk], "post": "yes"}
    )
    assert not type(comment).objects.filter(pk=comment.pk).exists()
    assert AuditEntry.objects.filter(action="comment.removed", actor=admin, target_id=str(comment.pk)).count() == 1


def test_it_plays_a_ready_video_on_the_edit_page(client, alice):
    video = VideoFactory(author=alice)
    video.master_playlist, video.thumbnail = f"videos/{video.pk}/g/master.m3u8", f"videos/{video.pk}/g/poster.jpg"
    video.save()
    login(client, alice)
    page = client.get(f"/studio/videos/{video.pk}/").content.decode()
    assert (
        f'data-src="{settings.SITE_URL}/media/videos/{video.pk}/g/master.m3u8"' in page and "hls.light.min.js" in page
    )
