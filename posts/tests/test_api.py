import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import services as accounts_services
from accounts.tests.factories import UserFactory
from posts import services
from posts.models import Media, Post, Visibility
from posts.tests.conftest import activate
from posts.tests.helpers import all_pages, ids, image_bytes
from socialflow.core.moderation import ModerationStatus, moderation_apply

pytestmark = pytest.mark.django_db

API = "/api/v1"


def make_post(author, text="hello", **kwargs):
    return services.post_create(author=author, text=text, **kwargs)


# --- posts ----------------------------------------------------------------------------------------


def test_it_creates_a_post(alice_client, alice, bob):
    response = alice_client.post(f"{API}/posts", {"text": "Hi @bob #Hello"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert isinstance(body["id"], str)
    assert body["author"]["username"] == "alice"
    assert body["hashtags"] == ["hello"]
    assert body["mentions"] == [{"id": str(bob.pk), "username": "bob"}]
    assert body["created_at"].endswith("Z")
    assert (body["liked"], body["reposted"], body["bookmarked"]) == (False, False, False)


def test_it_accepts_both_slash_forms(alice_client):
    assert alice_client.post(f"{API}/posts/", {"text": "slash"}, format="json").status_code == 201


def test_it_requires_a_token_to_post(api_client):
    assert api_client.post(f"{API}/posts", {"text": "x"}, format="json").status_code == 401


@pytest.mark.parametrize(
    "payload",
    [
        {"text": "x" * 501},
        {"text": ""},
        {"text": "ok", "reply_to": "abc"},
        {"text": "ok", "media_ids": "nope"},
        {"text": "ok", "media_ids": ["1", "2", "3", "4", "5"]},
        {"text": "ok", "visibility": "everyone"},
        {"text": "ok", "visibility": "members"},
        {"text": "ok", "quote_of": -1},
        {"text": ["list"]},
        {"text": "ok", "video_id": "x"},
    ],
)
def test_it_answers_400_to_malformed_posts(alice_client, payload):
    response = alice_client.post(f"{API}/posts", payload, format="json")
    assert response.status_code == 400, response.content
    assert not Post.objects.exists()


def test_it_404s_a_reply_to_an_invisible_post(alice, bob_client):
    hidden = make_post(alice, "followers only", visibility=Visibility.FOLLOWERS)
    response = bob_client.post(f"{API}/posts", {"text": "reply", "reply_to": str(hidden.pk)}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_shows_public_posts_to_anyone(api_client, alice):
    post = make_post(alice, "public")
    assert api_client.get(f"{API}/posts/{post.pk}").json()["text"] == "public"
    assert api_client.get(f"{API}/posts/123").status_code == 404
    assert api_client.get(f"{API}/posts/not-an-id").status_code == 404
    assert api_client.get(f"{API}/posts/{10**25}").status_code == 404
    assert api_client.get(f"{API}/posts/-5/replies").status_code == 404


def test_it_lets_only_the_author_edit_and_delete(alice_client, bob_client, api_client, alice):
    post = make_post(alice, "v1")
    url = f"{API}/posts/{post.pk}"
    assert bob_client.patch(url, {"text": "hack"}, format="json").status_code == 403
    assert api_client.patch(url, {"text": "hack"}, format="json").status_code == 401
    response = alice_client.patch(url, {"text": "v2 #edited"}, format="json")
    assert response.status_code == 200
    assert response.json()["edited_at"] is not None and response.json()["hashtags"] == ["edited"]
    edits = alice_client.get(f"{url}/edits").json()["results"]
    assert [e["text"] for e in edits] == ["v1"]
    assert alice_client.patch(url, {"text": "x" * 501}, format="json").status_code == 400
    assert bob_client.delete(url).status_code == 403
    assert alice_client.delete(url).status_code == 204
    assert alice_client.get(url).status_code == 404
    assert alice_client.delete(url).status_code == 404


def test_it_lists_replies_in_thread_order(api_client, alice, bob, django_assert_max_num_queries):
    root = make_post(alice, "root")
    replies = [make_post(bob, f"r{i}", reply_to_id=root.pk) for i in range(4)]
    with django_assert_max_num_queries(3):
        response = api_client.get(f"{API}/posts/{root.pk}/replies?page_size=3")
    assert ids(response) == [str(r.pk) for r in replies[:3]]
    assert all_pages(api_client, f"{API}/posts/{root.pk}/replies?page_size=3") == [str(r.pk) for r in replies]


@pytest.mark.parametrize(
    "action,flag,counter", [("like", "liked", "likes_count"), ("repost", "reposted", "reposts_count")]
)
def test_it_toggles_likes_and_reposts_idempotently(bob_client, api_client, alice, action, flag, counter):
    post = make_post(alice)
    url = f"{API}/posts/{post.pk}/{action}"
    assert api_client.post(url).status_code == 401
    for _ in range(2):
        response = bob_client.post(url)
        assert response.status_code == 200
        assert response.json() == {flag: True, counter: 1}
    for _ in range(2):
        response = bob_client.delete(url)
        assert response.json() == {flag: False, counter: 0}


def test_it_lists_bookmarks(bob_client, alice, django_assert_max_num_queries):
    posts = [make_post(alice, f"b{i}") for i in range(3)]
    for post in (posts[1], posts[0], posts[2]):
        assert bob_client.post(f"{API}/posts/{post.pk}/bookmark").json() == {"bookmarked": True}
    with django_assert_max_num_queries(4):
        response = bob_client.get(f"{API}/bookmarks?page_size=2")
    assert ids(response) == [str(posts[2].pk), str(posts[0].pk)]
    assert all_pages(bob_client, f"{API}/bookmarks?page_size=2") == [str(p.pk) for p in (posts[2], posts[0], posts[1])]
    assert bob_client.delete(f"{API}/posts/{posts[0].pk}/bookmark").json() == {"bookmarked": False}


def test_it_lists_a_users_posts(api_client, bob_client, alice, bob, django_assert_max_num_queries):
    posts = [make_post(alice, f"p{i}") for i in range(3)]
    reply = make_post(alice, "reply", reply_to_id=posts[0].pk)
    followers_only = make_post(alice, "fo", visibility=Visibility.FOLLOWERS)
    with django_assert_max_num_queries(3):
        response = api_client.get(f"{API}/users/alice/posts")
    assert ids(response) == [str(p.pk) for p in reversed(posts)]
    assert str(reply.pk) in ids(api_client.get(f"{API}/users/alice/posts?replies=true"))
    accounts_services.follow_create(follower=bob, followee=alice)
    assert ids(bob_client.get(f"{API}/users/alice/posts"))[0] == str(followers_only.pk)
    assert api_client.get(f"{API}/users/nobody/posts").status_code == 404
    assert ids(api_client.get(f"{API}/users/@ALICE/posts")) == [str(p.pk) for p in reversed(posts)]
    assert api_client.get(f"{API}/users/alice/posts?cursor=abc").status_code == 400
    assert api_client.get(f"{API}/users/alice/posts?page_size=1000").status_code == 400


def test_it_hides_blocked_users_posts_everywhere(alice_client, alice, bob):
    bobs = make_post(bob, "bob #topic")
    alices = make_post(alice, "alice root")
    reply = make_post(bob, "bob reply", reply_to_id=alices.pk)
    accounts_services.block_create(blocker=alice, blocked=bob)
    assert alice_client.get(f"{API}/posts/{bobs.pk}").status_code == 404
    assert ids(alice_client.get(f"{API}/users/bob/posts")) == []
    assert str(reply.pk) not in ids(alice_client.get(f"{API}/posts/{alices.pk}/replies"))
    assert ids(alice_client.get(f"{API}/hashtags/topic/posts")) == []
    assert ids(alice_client.get(f"{API}/search?q=bob")) == []
    assert ids(alice_client.get(f"{API}/feed/home")) == [str(alices.pk)]
    assert ids(alice_client.get(f"{API}/feed/for-you")) == []


# --- media ----------------------------------------------------------------------------------------


def test_it_uploads_an_image_without_exif(alice_client, alice):
    upload = SimpleUploadedFile("photo.jpg", image_bytes(exif_gps=True, size=(1600, 900)), "image/jpeg")
    response = alice_client.post(f"{API}/media", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "url", "variants", "width", "height"}
    media = Media.objects.get(pk=body["id"])
    with default_storage.open(media.file) as handle, Image.open(handle) as image:
        assert not image.getexif()
        assert image.size == (1600, 900)
    with default_storage.open(media.variants["small"]) as handle, Image.open(handle) as image:
        assert max(image.size) == 400
    response = alice_client.post(f"{API}/posts", {"text": "pic", "media_ids": [body["id"]]}, format="json")
    assert response.status_code == 201
    assert response.json()["media"][0]["id"] == body["id"]
    again = alice_client.post(f"{API}/posts", {"text": "pic", "media_ids": [body["id"]]}, format="json")
    assert again.status_code == 400  # already attached


def test_it_refuses_other_peoples_media(alice_client, bob_client):
    upload = SimpleUploadedFile("p.png", image_bytes("PNG"), "image/png")
    media_id = alice_client.post(f"{API}/media", {"file": upload}, format="multipart").json()["id"]
    response = bob_client.post(f"{API}/posts", {"text": "stolen", "media_ids": [media_id]}, format="json")
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_it_rejects_bad_uploads(alice_client, api_client, settings):
    junk = SimpleUploadedFile("x.jpg", b"not an image at all", "image/jpeg")
    assert alice_client.post(f"{API}/media", {"file": junk}, format="multipart").status_code == 400
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="BMP")
    bmp = SimpleUploadedFile("x.bmp", buffer.getvalue(), "image/bmp")
    assert alice_client.post(f"{API}/media", {"file": bmp}, format="multipart").status_code == 415
    assert alice_client.post(f"{API}/media", {}, format="multipart").status_code == 400
    settings.POST_MEDIA_MAX_BYTES = 100
    big = SimpleUploadedFile("big.png", image_bytes("PNG", size=(300, 300)), "image/png")
    assert alice_client.post(f"{API}/media", {"file": big}, format="multipart").status_code == 413
    assert api_client.post(f"{API}/media", {}, format="multipart").status_code == 401


# --- rate limits ----------------------------------------------------------------------------------


def test_it_rate_limits_posts(alice_client, settings):
    settings.POST_RATE_LIMIT = (1, 10800)
    assert alice_client.post(f"{API}/posts", {"text": "1"}, format="json").status_code == 201
    response = alice_client.post(f"{API}/posts", {"text": "2"}, format="json")
    assert response.status_code == 429 and response.has_header("Retry-After")


# --- feeds ----------------------------------------------------------------------------------------


def test_it_serves_the_home_feed_within_the_query_budget(alice_client, alice, django_assert_max_num_queries):
    authors = UserFactory.create_batch(4)
    for author in authors:
        accounts_services.follow_create(follower=alice, followee=author)
    activate(alice, *authors)
    for i in range(30):
        post = make_post(authors[i % 4], f"post {i}")
        if i % 5 == 0:
            services.repost_create(user=authors[(i + 1) % 4], post=post)
    alice_client.get(f"{API}/feed/home")  # warm the timeline (first read rebuilds it)
    with django_assert_max_num_queries(6):
        response = alice_client.get(f"{API}/feed/home")
    assert response.status_code == 200 and len(response.json()["results"]) == 20
    with django_assert_max_num_queries(6):
        response = alice_client.get(response.json()["next"])
    assert response.status_code == 200


def test_it_requires_a_token_for_feeds(api_client):
    assert api_client.get(f"{API}/feed/home").status_code == 401
    assert api_client.get(f"{API}/feed/for-you").status_code == 401
    assert api_client.get(f"{API}/bookmarks").status_code == 401


def test_it_paginates_the_home_feed_over_http(alice_client, alice, bob):
    accounts_services.follow_create(follower=alice, followee=bob)
    posts = [make_post(bob, f"n{i}") for i in range(7)]
    seen = all_pages(alice_client, f"{API}/feed/home?page_size=3", between=lambda: make_post(bob, "late"))
    assert seen == [str(p.pk) for p in reversed(posts)]


def test_it_ranks_the_for_you_feed(bob_client, alice, bob, charlie, django_assert_max_num_queries):
    accounts_services.follow_create(follower=bob, followee=alice)
    quiet = make_post(alice, "quiet")
    loud = make_post(charlie, "loud")
    for fan in UserFactory.create_batch(5):
        services.like_create(user=fan, post=loud)
    own = make_post(bob, "mine")
    activate(bob)
    with django_assert_max_num_queries(8):
        response = bob_client.get(f"{API}/feed/for-you")
    result = ids(response)
    assert result[0] == str(loud.pk) and str(quiet.pk) in result and str(own.pk) not in result
    accounts_services.mute_create(muter=bob, muted=charlie)
    from django.core.cache import cache

    cache.clear()
    assert str(loud.pk) not in ids(bob_client.get(f"{API}/feed/for-you"))


# --- hashtags and search --------------------------------------------------------------------------


def test_it_lists_hashtag_posts_and_trends(api_client, alice, bob, django_assert_max_num_queries):
    first = make_post(alice, "#Django rocks")
    second = make_post(bob, "so does #django and #python")
    make_post(alice, "unlisted #django", visibility=Visibility.UNLISTED)
    with django_assert_max_num_queries(3):
        response = api_client.get(f"{API}/hashtags/DJANGO/posts")
    assert ids(response) == [str(second.pk), str(first.pk)]
    assert api_client.get(f"{API}/hashtags/nothing/posts").status_code == 404
    trending = api_client.get(f"{API}/hashtags/trending").json()["results"]
    assert [t["name"] for t in trending] == ["django", "python"]
    assert trending[0]["uses"] == 2
    assert api_client.get(f"{API}/hashtags/trending?limit=0").status_code == 400


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/hashtags/a%00b/posts"),
        ("get", "/users/a%00b/posts"),
        ("get", "/users/a%00b/followers"),
        ("get", "/users/a%00b/following"),
        ("post", "/users/a%00b/follow"),
        ("delete", "/users/a%00b/follow"),
        ("post", "/users/a%00b/block"),
        ("post", "/users/a%00b/mute"),
    ],
)
def test_it_answers_404_for_null_characters_in_names(alice_client, method, url):
    """PostgreSQL refuses a NUL in a query (a 500 before); nothing is named that way."""
    response = getattr(alice_client, method)(f"{API}{url}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_decays_old_hashtag_use(api_client, alice, bob):
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() - __import__("datetime").timedelta(hours=20)):
        for user in UserFactory.create_batch(3):
            make_post(user, "#old")
    make_post(alice, "#fresh")
    make_post(bob, "#fresh")
    assert [t["name"] for t in api_client.get(f"{API}/hashtags/trending").json()["results"]] == ["fresh", "old"]


def test_it_searches_posts(api_client, alice, django_assert_max_num_queries):
    match = make_post(alice, "The quick brown fox jumps")
    make_post(alice, "Nothing to see")
    make_post(alice, "quick but unlisted fox", visibility=Visibility.UNLISTED)
    with django_assert_max_num_queries(6):  # count + page + recording the term (first search)
        response = api_client.get(f"{API}/search?q=quick fox")
    assert ids(response) == [str(match.pk)]
    assert api_client.get(f"{API}/search").status_code == 400
    assert api_client.get(f"{API}/search?q=x&type=bananas").status_code == 400
    assert api_client.get(f"{API}/search?q=" + "x" * 201).status_code == 400


def test_it_searches_users_and_videos(api_client, alice):
    response = api_client.get(f"{API}/search?q=ali&type=users")
    assert response.status_code == 200
    assert [u["username"] for u in response.json()["results"]] == ["alice"]
    assert api_client.get(f"{API}/search?q=anything&type=videos").status_code == 200


def test_it_suggests_users_and_hashtags(api_client, alice):
    make_post(alice, "#alpaca #alpine")
    body = api_client.get(f"{API}/search/suggest?q=al").json()
    assert [u["username"] for u in body["users"]] == ["alice"]
    assert {h["name"] for h in body["hashtags"]} == {"alpaca", "alpine"}
    assert api_client.get(f"{API}/search/suggest?q=%23alp").json()["users"] == []
    assert api_client.get(f"{API}/search/suggest").status_code == 400


def test_it_trends_searches(api_client, alice_client, bob_client):
    for client in (alice_client, bob_client, api_client):
        client.get(f"{API}/search?q=Solar Eclipse")
    alice_client.get(f"{API}/search?q=solar eclipse")  # the same searcher again: not counted twice
    alice_client.get(f"{API}/search?q=rain")
    trending = api_client.get(f"{API}/search/trending").json()["results"]
    assert [t["term"] for t in trending] == ["solar eclipse", "rain"]
    assert 2 < trending[0]["score"] <= 3  # three searchers, decayed by less than an hour


def test_it_attaches_only_visible_videos(alice_client, bob, alice):
    from videos.tests.factories import VideoFactory

    own = VideoFactory(author=alice, title="my clip")
    private = VideoFactory(author=bob, title="secret", visibility="private")
    response = alice_client.post(f"{API}/posts", {"text": "watch", "video_id": str(own.pk)}, format="json")
    assert response.status_code == 201 and response.json()["video_id"] == str(own.pk)
    response = alice_client.post(f"{API}/posts", {"text": "peek", "video_id": str(private.pk)}, format="json")
    assert response.status_code == 400
    assert alice_client.post(f"{API}/posts", {"text": "x", "video_id": "999999"}, format="json").status_code == 400


def test_it_searches_videos(api_client, alice):
    from videos.tests.factories import VideoFactory

    VideoFactory(author=alice, title="Sourdough baking basics")
    response = api_client.get(f"{API}/search?q=sourdough&type=videos")
    assert response.status_code == 200
    assert [v["title"] for v in response.json()["results"]] == ["Sourdough baking basics"]


def test_it_hides_a_quoted_post_by_a_blocked_author_in_posts_and_reposts(alice, bob, charlie, alice_client):
    quoted = make_post(charlie, "charlie's words")
    quote = services.post_create(author=bob, text="look", quote_of_id=quoted.pk)
    services.repost_create(user=bob, post=quote)
    accounts_services.block_create(blocker=charlie, blocked=alice)

    detail = alice_client.get(f"{API}/posts/{quote.pk}").json()
    assert detail["quote"] == {"id": str(quoted.pk), "unavailable": True}
    listed = alice_client.get(f"{API}/users/bob/posts").json()["results"]
    quotes = [p["repost_of"]["quote"] if p["type"] == "repost" else p["quote"] for p in listed]
    assert quotes == [{"id": str(quoted.pk), "unavailable": True}] * 2


def test_it_hides_a_quote_of_an_account_that_went_private_since(alice, bob, charlie, api_client, alice_client):
    """Regression: the quote embed checked only deletion and blocks, so a stranger kept reading a
    post whose author had made the account private after it was quoted."""
    quoted = make_post(charlie, "charlie's words")
    quote = services.post_create(author=bob, text="look", quote_of_id=quoted.pk)
    accounts_services.follow_create(follower=alice, followee=charlie)
    charlie.is_private = True
    charlie.save(update_fields=["is_private"])

    assert api_client.get(f"{API}/posts/{quote.pk}").json()["quote"] == {"id": str(quoted.pk), "unavailable": True}
    assert alice_client.get(f"{API}/posts/{quote.pk}").json()["quote"]["text"] == "charlie's words"


def test_a_held_post_is_shown_to_its_author_with_the_reason_and_to_nobody_else(alice_client, alice, bob_client):
    post = make_post(alice, "borderline")
    moderation_apply(actor=None, target=post, status=ModerationStatus.HELD, reason="Held for review: toxicity")

    mine = alice_client.get(f"/api/v1/posts/{post.pk}")
    assert mine.status_code == 200
    assert mine.json()["held"] == {"reason": "Held for review: toxicity"}
    assert str(post.pk) in all_pages(alice_client, f"/api/v1/users/{alice.username}/posts")
    assert bob_client.get(f"/api/v1/posts/{post.pk}").status_code == 404
    assert str(post.pk) not in all_pages(bob_client, f"/api/v1/users/{alice.username}/posts")

    moderation_apply(actor=None, target=post, status=ModerationStatus.REMOVED, reason="Removed")
    assert alice_client.get(f"/api/v1/posts/{post.pk}").status_code == 404  # removed: gone for the author too

    visible = make_post(alice, "fine")
    assert "held" not in alice_client.get(f"/api/v1/posts/{visible.pk}").json()
