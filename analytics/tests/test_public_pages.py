"""Public pages (item 4): a video's watch page, its embed, a channel page, a post permalink, with
Open Graph tags and oEmbed; the access layer decides who sees them; everything escaped."""

import pytest
from django.test import Client

from accounts import services as account_services
from notifications import text as notification_text
from notifications.models import Notification
from posts.tests.factories import PostFactory
from videos.tests.factories import CommentFactory, VideoFactory

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'


@pytest.fixture
def video(alice, bob):
    video = VideoFactory(author=alice, title=f"Cats {XSS}", description=f"About cats {XSS}")
    video.master_playlist = f"videos/{video.pk}/hls/master.m3u8"
    video.save(update_fields=["master_playlist"])
    CommentFactory(video=video, author=bob, text=f"nice {XSS}")
    return video


def test_the_watch_page_has_open_graph_and_oembed(alice, video, bob, django_assert_max_num_queries):
    for _ in range(3):
        VideoFactory(author=alice)
    with django_assert_max_num_queries(12):
        response = Client().get(f"/v/{video.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert XSS not in html
    assert '<meta property="og:type" content="video.other">' in html
    assert f'<meta property="og:url" content="http://testserver/v/{video.pk}/">' in html or (
        'og:url" content="' in html and f"/v/{video.pk}/" in html
    )
    assert "og:title" in html and "Cats &lt;script&gt;" in html
    assert 'type="application/json+oembed"' in html and "/oembed?url=" in html
    assert f"/v/{video.pk}/embed/" in html  # og:video and twitter:player
    assert "nice &lt;script&gt;" in html  # the comments, read-only
    assert 'href="/c/alice/"' in html
    assert html.count("?src=recommendation") == 3  # up next


def test_the_traffic_source_comes_from_the_link(video):
    client = Client()
    assert 'data-source="search"' in client.get(f"/v/{video.pk}/?src=search").content.decode()
    assert 'data-source="external"' in client.get(f"/v/{video.pk}/?src=bogus").content.decode()
    from_channel = client.get(f"/v/{video.pk}/", HTTP_REFERER="http://testserver/c/alice/")
    assert 'data-source="profile"' in from_channel.content.decode()


@pytest.mark.parametrize("visibility", ["private", "followers", "members"])
def test_what_a_stranger_may_not_see_is_404(alice, charlie, visibility):
    video = VideoFactory(author=alice, visibility=visibility)
    assert Client().get(f"/v/{video.pk}/").status_code == 404
    client = Client()
    client.force_login(charlie)
    assert client.get(f"/v/{video.pk}/").status_code == 404
    assert Client().get(f"/oembed?url=http://testserver/v/{video.pk}/").status_code == 404


def test_blocked_viewers_do_not_see_it(alice, bob, video):
    account_services.block_create(blocker=alice, blocked=bob)
    client = Client()
    client.force_login(bob)
    assert client.get(f"/v/{video.pk}/").status_code == 404
    assert client.get(f"/v/{video.pk}/embed/").status_code == 404


def test_removed_videos_are_gone(alice, video):
    video.moderation_status = "removed"
    video.save(update_fields=["moderation_status"])
    assert Client().get(f"/v/{video.pk}/").status_code == 404


def test_the_embed_page_may_be_framed(video):
    response = Client().get(f"/v/{video.pk}/embed/")
    assert response.status_code == 200 and "X-Frame-Options" not in response
    assert XSS not in response.content.decode()


def test_the_channel_page(alice, video, django_assert_max_num_queries):
    VideoFactory(author=alice, visibility="private", title="secret")
    with django_assert_max_num_queries(8):
        response = Client().get("/c/alice/")
    html = response.content.decode()
    assert response.status_code == 200 and '<meta property="og:type" content="profile">' in html
    assert f'href="/v/{video.pk}/?src=profile"' in html and "secret" not in html
    assert XSS not in html
    assert Client().get("/c/nobody_here/").status_code == 404


def test_the_post_permalink(alice, bob, django_assert_max_num_queries):
    post = PostFactory(author=alice, text=f"hello {XSS}")
    PostFactory(author=bob, text="a reply", reply_to=post, thread_root=post)
    with django_assert_max_num_queries(10):
        response = Client().get(f"/p/{post.pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and '<meta property="og:type" content="article">' in html
    assert XSS not in html and "hello &lt;script&gt;" in html
    assert 'type="application/json+oembed"' in html


def test_a_followers_only_post_is_404_for_strangers(alice):
    post = PostFactory(author=alice, visibility="followers")
    assert Client().get(f"/p/{post.pk}/").status_code == 404


def test_oembed(video, alice):
    data = Client().get(f"/oembed?url=http://testserver/v/{video.pk}/&maxwidth=320").json()
    assert data["type"] == "video" and data["version"] == "1.0" and data["provider_name"] == "Social Flow"
    assert data["width"] == 320 and data["height"] == 180
    assert XSS not in data["html"] and f"/v/{video.pk}/embed/" in data["html"]
    post = PostFactory(author=alice, text=f"hi {XSS}")
    data = Client().get(f"/oembed?url=/p/{post.pk}/").json()
    assert data["type"] == "rich" and XSS not in data["html"] and "hi &lt;script&gt;" in data["html"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("url=https://elsewhere.example/v/1/", 404),
        ("url=/v/abc/", 404),
        ("url=/v/99999999/", 404),
        ("url=/v/9999999999999999999/", 404),
        ("url=/p/0/", 404),
        ("url=/v/1/&format=xml", 501),
        ("url=/v/1/&maxwidth=-5", 400),
        ("url=%00", 400),
    ],
)
def test_oembed_bad_input(query, status):
    assert Client().get(f"/oembed?{query}").status_code == status


def test_notifications_link_to_the_public_pages(alice, bob, video, settings):
    settings.SITE_URL = "https://sf.example.com"
    post = PostFactory(author=alice)
    for target, path in ((video, f"/v/{video.pk}/"), (post, f"/p/{post.pk}/")):
        n = Notification(recipient=alice, kind="like_video", target=target, data={})
        assert notification_text.link(n) == f"https://sf.example.com{path}"


@pytest.mark.parametrize(
    "path", ["/v/99999999999999999999/", "/v/99999999999999999999/embed/", "/p/99999999999999999999/"]
)
def test_huge_ids_are_404(path):
    assert Client().get(path).status_code == 404
