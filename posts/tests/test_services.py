import contextlib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Follow, FollowRequest, User
from accounts.tests.factories import UserFactory
from posts import selectors, services
from posts.lib.entities import parse_hashtags, parse_mentions
from posts.lib.ids import id_at, id_to_ms, next_id
from posts.models import Hashtag, Like, Mention, Post, PostEdit, PostHashtag, Visibility
from socialflow.core.exceptions import InvalidInput, NotFound, RateLimited

pytestmark = pytest.mark.django_db


def refresh(*objs):
    for obj in objs:
        obj.refresh_from_db()


# --- ids and parsing ------------------------------------------------------------------------------


def test_it_makes_time_ordered_unique_ids():
    generated = [next_id() for _ in range(5000)]
    assert generated == sorted(generated)
    assert len(set(generated)) == len(generated)
    assert abs(id_to_ms(generated[0]) / 1000 - timezone.now().timestamp()) < 5
    assert id_at(timezone.now() - timedelta(seconds=10)) < generated[0]


def test_it_parses_hashtags_and_mentions():
    text = "Hi @Bob and @bob, mail me at x@example.com #Django #django #2024 #py_thon foo#bar"
    assert parse_hashtags(text) == ["django", "py_thon"]
    assert parse_mentions(text) == ["bob"]


# --- posts ----------------------------------------------------------------------------------------


def test_it_creates_a_post_with_linked_hashtags_and_mentions(alice, bob):
    post = services.post_create(author=alice, text="Hello @bob #Launch #launch #news")
    assert set(PostHashtag.objects.filter(post=post).values_list("hashtag__name", flat=True)) == {"launch", "news"}
    assert list(Mention.objects.filter(post=post).values_list("user_id", flat=True)) == [bob.pk]
    assert post.entities == {"hashtags": ["launch", "news"], "mentions": [{"id": str(bob.pk), "username": "bob"}]}
    assert Hashtag.objects.get(name="launch").posts_count == 1
    refresh(alice)
    assert alice.posts_count == 1


def test_it_ignores_mentions_of_users_who_block_the_author(alice, bob, charlie):
    accounts_services.block_create(blocker=bob, blocked=alice)
    post = services.post_create(author=alice, text="hey @bob and @charlie and @nobody")
    assert list(Mention.objects.filter(post=post).values_list("user_id", flat=True)) == [charlie.pk]


def test_it_rejects_too_long_and_empty_posts(alice, settings):
    settings.POST_MAX_LENGTH = 10
    with pytest.raises(InvalidInput):
        services.post_create(author=alice, text="x" * 11)
    with pytest.raises(InvalidInput):
        services.post_create(author=alice, text="   ")
    assert not Post.objects.exists()


def test_it_threads_replies_and_counts_them(alice, bob):
    root = services.post_create(author=alice, text="root")
    reply = services.post_create(author=bob, text="reply", reply_to_id=root.pk)
    nested = services.post_create(author=alice, text="nested", reply_to_id=reply.pk)
    assert nested.thread_root_id == root.pk
    refresh(root, reply)
    assert (root.replies_count, reply.replies_count) == (1, 1)


def test_it_404s_a_reply_to_a_post_the_author_cannot_see(alice, bob):
    private = services.post_create(author=alice, text="followers only", visibility=Visibility.FOLLOWERS)
    with pytest.raises(NotFound):
        services.post_create(author=bob, text="reply", reply_to_id=private.pk)
    accounts_services.block_create(blocker=alice, blocked=bob)
    public = services.post_create(author=alice, text="public")
    with pytest.raises(NotFound):
        services.post_create(author=bob, text="reply", reply_to_id=public.pk)


def test_it_keeps_edit_history_and_relinks_hashtags(alice, bob):
    post = services.post_create(author=alice, text="first #old")
    services.post_update(post=post, text="second #new @bob")
    refresh(post)
    assert post.text == "second #new @bob" and post.edited_at is not None
    assert list(PostEdit.objects.filter(post=post).values_list("text", flat=True)) == ["first #old"]
    assert list(PostHashtag.objects.filter(post=post).values_list("hashtag__name", flat=True)) == ["new"]
    assert Hashtag.objects.get(name="old").posts_count == 0
    assert Mention.objects.filter(post=post, user=bob).exists()


def test_it_deletes_a_post_with_its_reposts_and_fixes_counters(alice, bob):
    post = services.post_create(author=alice, text="bye #tag")
    repost = services.repost_create(user=bob, post=post)
    services.post_delete(post=post)
    services.post_delete(post=post)  # idempotent
    refresh(post, repost, alice, bob)
    assert post.deleted_at and repost.deleted_at
    assert (alice.posts_count, bob.posts_count) == (0, 0)
    assert Hashtag.objects.get(name="tag").posts_count == 0
    with pytest.raises(NotFound):
        selectors.post_get_visible(post_id=post.pk, viewer=alice)


def test_it_reposts_idempotently_and_only_public_posts(alice, bob):
    post = services.post_create(author=alice, text="share me")
    first = services.repost_create(user=bob, post=post)
    again = services.repost_create(user=bob, post=first)  # reposting a repost targets the original
    assert first.pk == again.pk
    refresh(post)
    assert post.reposts_count == 1
    assert services.repost_delete(user=bob, post=post) is True
    refresh(post)
    assert post.reposts_count == 0
    accounts_services.follow_create(follower=bob, followee=alice)
    followers_only = services.post_create(author=alice, text="ours", visibility=Visibility.FOLLOWERS)
    with pytest.raises(InvalidInput):
        services.repost_create(user=bob, post=followers_only)


def test_it_quotes_public_posts_only(alice, bob):
    post = services.post_create(author=alice, text="quotable")
    quote = services.post_create(author=bob, text="look", quote_of_id=post.pk)
    refresh(post)
    assert quote.quote_of_id == post.pk and post.quotes_count == 1
    accounts_services.follow_create(follower=bob, followee=alice)
    hidden = services.post_create(author=alice, text="not quotable", visibility=Visibility.FOLLOWERS)
    with pytest.raises(InvalidInput):
        services.post_create(author=bob, text="look", quote_of_id=hidden.pk)


def test_it_likes_and_bookmarks_idempotently(alice, bob):
    post = services.post_create(author=alice, text="like me")
    services.like_create(user=bob, post=post)
    services.like_create(user=bob, post=post)
    refresh(post)
    assert post.likes_count == 1 and Like.objects.count() == 1
    assert services.like_delete(user=bob, post=post) is True
    assert services.like_delete(user=bob, post=post) is False
    refresh(post)
    assert post.likes_count == 0
    services.bookmark_create(user=bob, post=post)
    services.bookmark_create(user=bob, post=post)
    assert list(selectors.bookmarked_posts(user=bob)) == [post]


def test_it_limits_posts_per_period(alice, settings):
    settings.POST_RATE_LIMIT = (2, 3600)
    services.post_create(author=alice, text="1")
    services.post_create(author=alice, text="2")
    with pytest.raises(RateLimited) as excinfo:
        services.post_create(author=alice, text="3")
    assert excinfo.value.wait_s > 0
    assert Post.objects.count() == 2


# --- visibility -----------------------------------------------------------------------------------


def test_it_shows_followers_only_posts_to_followers(alice, bob, charlie):
    accounts_services.follow_create(follower=bob, followee=alice)
    post = services.post_create(author=alice, text="secret", visibility=Visibility.FOLLOWERS)
    assert selectors.post_get_visible(post_id=post.pk, viewer=bob) == post
    with pytest.raises(NotFound):
        selectors.post_get_visible(post_id=post.pk, viewer=charlie)
    with pytest.raises(NotFound):
        selectors.post_get_visible(post_id=post.pk, viewer=None)


def test_it_shows_direct_posts_to_mentioned_users_only(alice, bob, charlie):
    post = services.post_create(author=alice, text="psst @bob", visibility=Visibility.DIRECT)
    assert selectors.post_get_visible(post_id=post.pk, viewer=bob) == post
    with pytest.raises(NotFound):
        selectors.post_get_visible(post_id=post.pk, viewer=charlie)


def test_it_hides_private_accounts_posts_from_non_followers(alice, bob, charlie):
    User.objects.filter(pk=alice.pk).update(is_private=True)
    alice.refresh_from_db()
    post = services.post_create(author=alice, text="public but private account")
    request = accounts_services.follow_create(follower=bob, followee=alice)
    assert isinstance(request, FollowRequest)
    with pytest.raises(NotFound):
        selectors.post_get_visible(post_id=post.pk, viewer=bob)
    accounts_services.follow_request_accept(target=alice, request_id=request.pk)
    assert selectors.post_get_visible(post_id=post.pk, viewer=bob) == post
    with pytest.raises(NotFound):
        selectors.post_get_visible(post_id=post.pk, viewer=charlie)


def test_it_makes_a_deleted_authors_content_vanish(alice, bob):
    post = services.post_create(author=alice, text="soon gone")
    repost = services.repost_create(user=bob, post=post)
    User.objects.filter(pk=alice.pk).update(deleted_at=timezone.now())
    assert not selectors.posts_visible_to(viewer=bob).filter(pk__in=[post.pk, repost.pk]).exists()


def test_it_hides_and_restores_posts_for_moderation(alice, bob):
    post = services.post_create(author=alice, text="borderline")
    assert services.post_hide(post=post, reason="spam") is True
    assert not selectors.posts_visible_to(viewer=bob).filter(pk=post.pk).exists()
    assert services.post_restore(post=post) is True
    assert selectors.posts_visible_to(viewer=bob).filter(pk=post.pk).exists()


# --- graph effects on posts ----------------------------------------------------------------------


def test_it_hides_content_both_ways_across_a_block(alice, bob):
    a_post = services.post_create(author=alice, text="alice's")
    b_post = services.post_create(author=bob, text="bob's")
    accounts_services.block_create(blocker=alice, blocked=bob)
    assert not selectors.posts_visible_to(viewer=alice).filter(pk=b_post.pk).exists()
    assert not selectors.posts_visible_to(viewer=bob).filter(pk=a_post.pk).exists()


def test_it_repairs_drifted_counters(alice, bob):
    accounts_services.follow_create(follower=bob, followee=alice)
    post = services.post_create(author=alice, text="x")
    services.like_create(user=bob, post=post)
    User.objects.filter(pk=alice.pk).update(followers_count=42, posts_count=7)
    Post.objects.filter(pk=post.pk).update(likes_count=9)
    assert services.counters_recount() >= 1
    refresh(alice, post)
    assert (alice.followers_count, alice.posts_count, post.likes_count) == (1, 1, 1)


def test_it_keeps_counters_exact_under_repeated_mixed_actions(alice):
    fans = UserFactory.create_batch(5)
    post = services.post_create(author=alice, text="popular")
    for fan in fans:
        accounts_services.follow_create(follower=fan, followee=alice)
        services.like_create(user=fan, post=post)
        services.like_create(user=fan, post=post)
        services.repost_create(user=fan, post=post)
    accounts_services.block_create(blocker=alice, blocked=fans[0])
    services.like_delete(user=fans[1], post=post)
    services.repost_delete(user=fans[2], post=post)
    refresh(alice, post)
    assert alice.followers_count == Follow.objects.filter(followee=alice).count() == 4
    assert post.likes_count == Like.objects.filter(post=post).count() == 4
    assert post.reposts_count == Post.objects.filter(repost_of=post, deleted_at__isnull=True).count() == 4
    assert services.counters_recount(user_ids=[alice.pk]) == 0


def test_it_agrees_between_sql_and_feed_visibility(alice, bob, charlie):
    """The feed's Python filter (feeds.hydrate + can_see) and posts_visible_to say the same."""
    from posts.feeds.hydrate import hydrate, viewer_graph

    dave, erin, frank = UserFactory(username="dave"), UserFactory(username="erin"), UserFactory(username="frank")
    accounts_services.follow_create(follower=bob, followee=alice)
    User.objects.filter(pk=charlie.pk).update(is_private=True)
    charlie.refresh_from_db()
    posts = [
        services.post_create(author=alice, text="public"),
        services.post_create(author=alice, text="followers", visibility=Visibility.FOLLOWERS),
        services.post_create(author=dave, text="stranger followers", visibility=Visibility.FOLLOWERS),
        services.post_create(author=dave, text="@bob direct", visibility=Visibility.DIRECT),
        services.post_create(author=dave, text="@alice direct", visibility=Visibility.DIRECT),
        services.post_create(author=charlie, text="private account"),
        services.post_create(author=erin, text="blocked"),
        services.post_create(author=frank, text="muted"),
        services.post_create(author=bob, text="own followers", visibility=Visibility.FOLLOWERS),
    ]
    posts.append(services.repost_create(user=dave, post=posts[0]))
    posts.append(services.repost_create(user=alice, post=services.post_create(author=erin, text="erin's")))
    hidden = services.post_create(author=dave, text="hidden")
    services.post_hide(post=hidden)
    deleted = services.post_create(author=dave, text="deleted")
    services.post_delete(post=deleted)
    gone = UserFactory(username="gone")
    gone_post = services.post_create(author=gone, text="by a deleted account")
    User.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    posts += [hidden, deleted, gone_post]
    accounts_services.block_create(blocker=erin, blocked=bob)
    accounts_services.mute_create(muter=bob, muted=frank)

    ids = [p.pk for p in posts]
    expected = set(
        selectors.posts_visible_to(viewer=bob, hide_muted=True).filter(pk__in=ids).values_list("pk", flat=True)
    )
    graph = viewer_graph(viewer_id=bob.pk)
    hydrated = hydrate(ids=ids, viewer_id=bob.pk)
    actual = {pk for pk, post in hydrated.items() if selectors.can_see(post, viewer=bob, graph=graph)}
    assert actual == expected
    # One post by id (the policy on a loaded row) agrees with the list filter too.
    listed = set(selectors.posts_visible_to(viewer=bob).filter(pk__in=ids).values_list("pk", flat=True))
    one_by_one = set()
    for pk in ids:
        with contextlib.suppress(NotFound):
            one_by_one.add(selectors.post_get_visible(post_id=pk, viewer=bob).pk)
    assert one_by_one == listed
    assert {p.text for p in Post.objects.filter(pk__in=expected)} == {
        "public",
        "followers",
        "@bob direct",
        "own followers",
        "",
    }


def test_it_notifies_a_mention_added_by_an_edit_with_the_edited_text(alice, bob, django_capture_on_commit_callbacks):
    from notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):  # notifications handle the events
        post = services.post_create(author=bob, text="hello world")
        services.post_update(post=post, text="hello @alice")
    mention = Notification.objects.get(recipient=alice, kind="mention")
    assert mention.data["excerpt"] == "hello @alice"


def test_it_notifies_a_quoted_author_who_is_also_mentioned_once(alice, bob, django_capture_on_commit_callbacks):
    from notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        original = services.post_create(author=bob, text="original")
        services.post_create(author=alice, text="see @bob", quote_of_id=original.pk)
    assert list(Notification.objects.filter(recipient=bob).values_list("kind", flat=True)) == ["quote"]


def test_big_account_ids_are_kept_in_process_memory_briefly(settings, alice, django_assert_num_queries):
    from django.core.cache import caches

    settings.FEED_CELEBRITY_FOLLOWERS = 1
    User.objects.filter(pk=alice.pk).update(followers_count=5)
    assert selectors.big_account_ids() == [alice.pk]
    caches["default"].delete("posts:big-accounts:1")  # the shared copy gone: the process still answers
    with django_assert_num_queries(0):
        assert selectors.big_account_ids() == [alice.pk]
    caches["local"].clear()  # expired locally: read again
    User.objects.filter(pk=alice.pk).update(followers_count=0)
    assert selectors.big_account_ids() == []
