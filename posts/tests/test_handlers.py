"""posts' reactions to other apps' events (the graph's are in test_feeds.py): a deleted video
leaves the posts that attached it."""

import pytest

from posts import services
from posts.models import Post
from videos import services as videos_services
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def test_a_deleted_video_is_detached_from_the_posts_that_showed_it(alice, bob, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice)
    other = VideoFactory(author=alice)
    with django_capture_on_commit_callbacks(execute=True):
        mine = services.post_create(author=alice, text="watch this", video_id=video.pk)
        theirs = services.post_create(author=bob, text="so good", video_id=video.pk)
        unrelated = services.post_create(author=bob, text="and this", video_id=other.pk)
    with django_capture_on_commit_callbacks(execute=True):
        videos_services.video_delete(video=video)
    assert dict(Post.objects.values_list("pk", "video_id")) == {mine.pk: None, theirs.pk: None, unrelated.pk: other.pk}
    assert Post.objects.filter(deleted_at__isnull=True).count() == 3  # the posts stay


def test_a_post_shows_no_video_once_it_is_deleted(alice, alice_client, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice)
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_create(author=alice, text="watch this", video_id=video.pk)
    assert alice_client.get(f"/api/v1/posts/{post.pk}").json()["video_id"] == str(video.pk)
    with django_capture_on_commit_callbacks(execute=True):
        videos_services.video_delete(video=video)
    assert alice_client.get(f"/api/v1/posts/{post.pk}").json()["video_id"] is None
