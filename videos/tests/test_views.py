"""Studio pages and the admin moderation console."""

from django.contrib.auth import get_user_model

from accounts.tests.factories import DEFAULT_PASSWORD
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
    changelist = "/admin/videos/video/"
    assert client.get(f"{changelist}?status__exact=ready&visibility__exact=public&q=Video").status_code == 200
    assert client.get(f"{changelist}{video.pk}/change/").status_code == 200
    client.post(changelist, {"action": "hide_videos", "_selected_action": [video.pk]})
    video.refresh_from_db()
    assert video.hidden_at is not None
    assert client.get(f"{changelist}?hidden=yes").status_code == 200
    client.post(changelist, {"action": "restore_videos", "_selected_action": [video.pk]})
    video.refresh_from_db()
    assert video.hidden_at is None
    with django_capture_on_commit_callbacks(execute=False):
        client.post(changelist, {"action": "retranscode_videos", "_selected_action": [video.pk]})
    video.refresh_from_db()
    assert video.status == "processing"


def test_it_plays_a_ready_video_on_the_edit_page(client, alice):
    video = VideoFactory(author=alice, master_playlist="videos/1/g/master.m3u8", thumbnail="videos/1/g/poster.jpg")
    login(client, alice)
    page = client.get(f"/studio/videos/{video.pk}/").content.decode()
    assert 'data-src="/media/videos/1/g/master.m3u8"' in page and "hls.light.min.js" in page
