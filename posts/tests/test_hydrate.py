"""The home feed's fast path (``feeds.hydrate`` rows, ``can_see``, rendering with the graph's hidden
authors) renders exactly what the generic path renders: ``PostSerializer`` over ORM posts from
``selectors.posts_visible_to``."""

from accounts import services as accounts_services
from accounts.models import User
from accounts.tests.factories import UserFactory
from posts import selectors, services
from posts.api.serializers import serialize_posts
from posts.feeds.hydrate import hydrate, viewer_graph
from posts.models import Post, Visibility
from posts.tests.conftest import activate
from socialflow.core.moderation import ModerationStatus

API = "/api/v1"


def _rich_posts(alice, bob, charlie) -> list[Post]:
    """Every shape a feed shows, seen by bob: plain, reply, quote, reposts (of a plain post, of a
    quote, of a followers-only post), edited, sensitive, with media, held, quotes of hidden and
    deleted posts, and bob's own likes, bookmarks and reposts."""
    erin, frank = UserFactory(username="erin"), UserFactory(username="frank", display_name="Frank F")
    User.objects.filter(pk=frank.pk).update(avatar="avatars/frank.png")
    for followee in (alice, charlie, erin, frank):
        accounts_services.follow_create(follower=bob, followee=followee)
    activate(alice, bob, charlie, erin, frank)
    hello = services.post_create(author=alice, text="hello #tag @bob")
    reply = services.post_create(author=charlie, text="re @alice", reply_to_id=hello.pk)
    quote = services.post_create(author=charlie, text="look", quote_of_id=hello.pk)
    repost_of_quote = services.repost_create(user=frank, post=quote)
    repost = services.repost_create(user=charlie, post=hello)
    edited = services.post_create(author=alice, text="v1")
    services.post_update(post=edited, text="v2 #edited")
    followers_only = services.post_create(author=alice, text="friends", visibility=Visibility.FOLLOWERS)
    sensitive = services.post_create(author=frank, text="careful")
    Post.objects.filter(pk=sensitive.pk).update(sensitive=True)
    with_media = services.post_create(author=frank, text="pic")
    Post.objects.filter(pk=with_media.pk).update(
        attachments=[{"id": "1", "url": "https://cdn.invalid/a.jpg", "width": 4, "height": 3, "alt": "a"}]
    )
    held = services.post_create(author=bob, text="mine, held")
    Post.objects.filter(pk=held.pk).update(moderation_status=ModerationStatus.HELD, moderation_reason="spam?")
    by_erin = services.post_create(author=erin, text="erin's")
    quote_of_erin = services.post_create(author=frank, text="quoting erin", quote_of_id=by_erin.pk)
    doomed = services.post_create(author=alice, text="soon gone")
    quote_of_deleted = services.post_create(author=frank, text="quoting the gone", quote_of_id=doomed.pk)
    services.post_delete(post=doomed)
    accounts_services.mute_create(muter=bob, muted=erin)  # erin's quoted post: unavailable
    services.like_create(user=bob, post=hello)
    services.bookmark_create(user=bob, post=quote)
    own_repost = services.repost_create(user=bob, post=with_media)
    posts = [hello, reply, quote, repost_of_quote, repost, edited, followers_only, sensitive, with_media]
    return [*posts, held, by_erin, quote_of_erin, quote_of_deleted, own_repost]


def _generic(viewer, ids: list[int]) -> list[dict]:
    queryset = selectors.posts_visible_to(viewer=viewer, hide_muted=True).filter(pk__in=ids)
    return serialize_posts(list(queryset), viewer=viewer)


def test_the_hydrated_feed_renders_like_the_generic_serializer(alice, bob, charlie):
    posts = _rich_posts(alice, bob, charlie)
    ids = sorted((p.pk for p in posts), reverse=True)
    graph = viewer_graph(viewer_id=bob.pk)
    hydrated = hydrate(ids=ids, viewer_id=bob.pk)
    shown = [hydrated[i] for i in ids if i in hydrated and selectors.can_see(hydrated[i], viewer=bob, graph=graph)]
    fast = serialize_posts(shown, viewer=bob, hidden_author_ids=graph.blocked | graph.muted)

    generic = _generic(bob, ids)
    assert fast == generic
    by_text = {p.get("text") or p["repost_of"]["text"]: p for p in fast}
    assert by_text["hello #tag @bob"]["liked"] is True
    assert by_text["look"]["bookmarked"] is True and by_text["look"]["quote"]["text"] == "hello #tag @bob"
    assert by_text["mine, held"]["held"] == {"reason": "spam?"}
    assert by_text["quoting erin"]["quote"]["unavailable"] is True
    assert by_text["quoting the gone"]["quote"]["unavailable"] is True
    assert "erin's" not in by_text  # muted


def test_the_home_feed_over_http_renders_like_the_generic_serializer(alice, bob, charlie, bob_client):
    posts = _rich_posts(alice, bob, charlie)
    response = bob_client.get(f"{API}/feed/home")
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) >= 8  # a post and its reposts show once per page
    assert {p["type"] for p in results} == {"post", "repost"} and any(p.get("quote") for p in results)
    assert results == _generic(bob, [int(p["id"]) for p in results])
    assert {int(p["id"]) for p in results} <= {p.pk for p in posts}
