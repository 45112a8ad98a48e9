"""The home timeline against both stores (DB always; Redis when REDIS_URL is set, as in CI)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import User
from accounts.tests.factories import UserFactory
from posts import services
from posts.feeds.home import home_feed_page, timeline_fanout, timeline_rebuild
from posts.models import Visibility
from posts.tests.conftest import activate

pytestmark = pytest.mark.django_db


def feed_ids(viewer, store, **kwargs) -> list[int]:
    return [p.pk for p in home_feed_page(viewer=viewer, store=store, **kwargs).posts]


def all_feed_ids(viewer, store, *, page_size=3, between=None) -> list[int]:
    seen, cursor = [], None
    for _ in range(100):
        page = home_feed_page(viewer=viewer, store=store, max_id=cursor, limit=page_size)
        seen.extend(p.pk for p in page.posts)
        if between is not None:
            between()
        cursor = page.next_max_id
        if cursor is None:
            return seen
    raise AssertionError("no end")


def post(author, text="hi", **kwargs):
    return services.post_create(author=author, text=text, **kwargs)


def test_it_fans_out_to_active_followers_only(store, alice, bob, charlie, django_capture_on_commit_callbacks):
    accounts_services.follow_create(follower=bob, followee=alice)
    accounts_services.follow_create(follower=charlie, followee=alice)
    activate(alice, bob)
    User.objects.filter(pk=charlie.pk).update(last_seen_at=timezone.now() - timedelta(days=30))
    for user in (alice, bob, charlie):
        store.mark_warm(user_id=user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        p = post(alice, "fan me out")
    assert store.page(user_id=bob.pk, max_id=None, limit=10) == [p.pk]
    assert store.page(user_id=alice.pk, max_id=None, limit=10) == [p.pk]
    assert store.page(user_id=charlie.pk, max_id=None, limit=10) == []
    assert timeline_fanout(post_id=p.pk, store=store) == 2  # idempotent re-run
    assert store.page(user_id=bob.pk, max_id=None, limit=10) == [p.pk]


def test_it_rebuilds_a_cold_timeline_from_the_database(store, alice, bob, charlie):
    accounts_services.follow_create(follower=bob, followee=alice)
    own = post(bob, "mine")
    theirs = [post(alice, f"a{i}") for i in range(3)]
    post(charlie, "not followed")
    # No fan-out ran (no on_commit execution): the timeline is cold and gets rebuilt on read.
    assert feed_ids(bob, store) == [theirs[2].pk, theirs[1].pk, theirs[0].pk, own.pk]
    assert store.touch(user_id=bob.pk) is True


def test_a_redis_restart_that_lost_an_entry_rebuilds_the_timeline(
    store, alice, bob, django_capture_on_commit_callbacks
):
    """A Redis restarted from its AOF can keep a warm marker yet lose the last writes before the
    kill: a marker set by another server run reads as cold, and the next read merges the database in."""
    if store.__class__.__name__ != "RedisTimelineStore":
        pytest.skip("the database store has no restarts to survive")
    accounts_services.follow_create(follower=bob, followee=alice)
    activate(alice, bob)
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        kept, lost = post(alice, "kept"), post(alice, "lost in the restart")
    store.remove(user_ids=[bob.pk], post_ids=[lost.pk])  # the write the restart lost
    assert store.touch(user_id=bob.pk) is True
    store.redis.set(f"{store.key(bob.pk)}:warm", "run-id-of-the-server-before-the-restart")

    assert feed_ids(bob, store) == [lost.pk, kept.pk]
    assert store.touch(user_id=bob.pk) is True


def test_it_bounds_a_rebuild_per_followee(store, settings, alice, bob):
    settings.FEED_REBUILD_PER_AUTHOR = 2
    accounts_services.follow_create(follower=bob, followee=alice)
    posts = [post(alice, f"a{i}") for i in range(5)]
    assert timeline_rebuild(user_id=bob.pk, store=store) == 2
    assert store.page(user_id=bob.pk, max_id=None, limit=10) == [posts[4].pk, posts[3].pk]
    # Older posts still come, from the database continuation below the timeline.
    assert all_feed_ids(bob, store) == [p.pk for p in reversed(posts)]


def test_it_caps_timelines(store, settings, alice, bob):
    settings.FEED_TIMELINE_CAP = 5
    for i in range(8):
        store.push(user_ids=[bob.pk], post_id=1000 + i)
    assert store.page(user_id=bob.pk, max_id=None, limit=100) == [1007, 1006, 1005, 1004, 1003]
    store.fill(user_id=bob.pk, entries=[(1, None), (2000, None)])
    assert store.page(user_id=bob.pk, max_id=None, limit=100) == [2000, 1007, 1006, 1005, 1004]


def test_it_does_not_insert_a_repost_of_a_post_near_the_top(store, settings, alice, bob):
    settings.FEED_REPOST_WINDOW = 3
    assert store.push(user_ids=[bob.pk], post_id=100) == 1
    assert store.push(user_ids=[bob.pk], post_id=101, original_id=100) == 0  # original is on top
    assert store.push(user_ids=[bob.pk], post_id=102) == 1
    assert store.push(user_ids=[bob.pk], post_id=103) == 1
    assert store.push(user_ids=[bob.pk], post_id=104) == 1
    assert store.push(user_ids=[bob.pk], post_id=105, original_id=100) == 1  # fell below the window
    assert store.push(user_ids=[bob.pk], post_id=106, original_id=100) == 0  # its repost is on top
    assert store.page(user_id=bob.pk, max_id=None, limit=10) == [105, 104, 103, 102, 100]


def test_it_delivers_a_repost_to_the_reposters_followers_once(
    store, alice, bob, charlie, django_capture_on_commit_callbacks
):
    dave = UserFactory(username="dave")
    for reposter in (bob, charlie):
        accounts_services.follow_create(follower=dave, followee=reposter)
    activate(alice, bob, charlie, dave)
    store.mark_warm(user_id=dave.pk)
    with django_capture_on_commit_callbacks(execute=True):
        original = post(alice, "viral")
        first = services.repost_create(user=bob, post=original)
        services.repost_create(user=charlie, post=original)
    assert store.page(user_id=dave.pk, max_id=None, limit=10) == [first.pk]
    page = home_feed_page(viewer=dave, store=store)
    assert [(p.pk, p.repost_of_id) for p in page.posts] == [(first.pk, original.pk)]


def test_it_shows_a_post_once_when_it_arrives_as_itself_and_as_a_repost(
    store, alice, bob, charlie, django_capture_on_commit_callbacks
):
    accounts_services.follow_create(follower=charlie, followee=alice)
    accounts_services.follow_create(follower=charlie, followee=bob)
    activate(alice, bob, charlie)
    store.mark_warm(user_id=charlie.pk)
    with django_capture_on_commit_callbacks(execute=True):
        original = post(alice, "seen once")
        services.repost_create(user=bob, post=original)
    assert feed_ids(charlie, store) == [original.pk]


def test_it_merges_big_accounts_at_read_time(store, settings, alice, bob, django_capture_on_commit_callbacks):
    settings.FEED_CELEBRITY_FOLLOWERS = 1
    accounts_services.follow_create(follower=bob, followee=alice)
    activate(alice, bob)
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        own = post(bob, "own")
        star = post(alice, "from a star")
    assert store.page(user_id=bob.pk, max_id=None, limit=10) == [own.pk]  # not fanned out
    assert feed_ids(bob, store) == [star.pk, own.pk]


def test_it_removes_a_deleted_post_from_every_feed_page(store, alice, bob, django_capture_on_commit_callbacks):
    accounts_services.follow_create(follower=bob, followee=alice)
    activate(alice, bob)
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        posts = [post(alice, f"p{i}") for i in range(7)]
    victim = posts[3]
    services.post_delete(post=victim)  # read-time filtering alone, before the cleanup task runs
    assert victim.pk not in all_feed_ids(bob, store, page_size=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_delete(post=posts[4])
    assert posts[4].pk not in store.page(user_id=bob.pk, max_id=None, limit=50)
    assert all_feed_ids(bob, store, page_size=2) == [p.pk for p in reversed(posts) if p not in (victim, posts[4])]


def test_it_paginates_exactly_once_while_new_posts_arrive(store, alice, bob, django_capture_on_commit_callbacks):
    accounts_services.follow_create(follower=bob, followee=alice)
    activate(alice, bob)
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        before = [post(alice, f"old {i}") for i in range(10)]
    arrived = []

    def new_post():
        with django_capture_on_commit_callbacks(execute=True):
            arrived.append(post(alice, "new"))

    seen = all_feed_ids(bob, store, page_size=3, between=new_post)
    assert seen == [p.pk for p in reversed(before)]
    assert feed_ids(bob, store, limit=2) == [arrived[-1].pk, arrived[-2].pk]


def test_it_pages_ids_that_share_a_redis_score_exactly_once(store, bob):
    """Past 2**53 neighbouring ids are one double (a sorted set's score): paging by "below max_id"
    must still see each of them once."""
    if store.__class__.__name__ != "RedisTimelineStore":
        pytest.skip("the database store compares ids exactly")
    ids = [14340385359938114 + n for n in range(7)]  # as ids made in one millisecond are
    for post_id in ids:
        store.push(user_ids=[bob.pk], post_id=post_id)
    seen, cursor = [], None
    while page := store.page(user_id=bob.pk, max_id=cursor, limit=1):
        seen.extend(page)
        cursor = page[-1]
    assert seen == sorted(ids, reverse=True)
    assert store.page(user_id=bob.pk, max_id=ids[3], limit=2) == [ids[2], ids[1]]


def test_it_never_shows_blocked_users_posts(store, alice, bob, charlie, django_capture_on_commit_callbacks):
    accounts_services.follow_create(follower=alice, followee=bob)
    accounts_services.follow_create(follower=alice, followee=charlie)
    activate(alice, bob, charlie)
    store.mark_warm(user_id=alice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        bobs = post(bob, "bob's")
        charlies_repost = services.repost_create(user=charlie, post=bobs)
        quote = post(charlie, "charlie quoting", quote_of_id=bobs.pk)
    accounts_services.block_create(blocker=alice, blocked=bob)
    ids = feed_ids(alice, store)
    assert bobs.pk not in ids and charlies_repost.pk not in ids
    assert ids == [quote.pk]


def test_it_hides_muted_users_from_the_muters_feed_only(store, alice, bob, charlie, django_capture_on_commit_callbacks):
    for follower in (alice, charlie):
        accounts_services.follow_create(follower=follower, followee=bob)
    activate(alice, bob, charlie)
    store.mark_warm(user_id=alice.pk)
    store.mark_warm(user_id=charlie.pk)
    with django_capture_on_commit_callbacks(execute=True):
        bobs = post(bob, "bob speaks")
        accounts_services.mute_create(muter=alice, muted=bob)
    assert feed_ids(alice, store) == []
    assert feed_ids(charlie, store) == [bobs.pk]
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.mute_delete(muter=alice, muted=bob)
    assert feed_ids(alice, store) == [bobs.pk]


def test_it_honours_unfollows_at_read_time(store, alice, bob, django_capture_on_commit_callbacks):
    accounts_services.follow_create(follower=bob, followee=alice)
    activate(alice, bob)
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        p = post(alice, "followers only", visibility=Visibility.FOLLOWERS)
    assert feed_ids(bob, store) == [p.pk]
    accounts_services.follow_delete(follower=bob, followee=alice)  # before the unmerge task runs
    assert feed_ids(bob, store) == []


def test_it_sends_replies_only_to_followers_of_both(store, alice, bob, charlie, django_capture_on_commit_callbacks):
    dave = UserFactory(username="dave")
    accounts_services.follow_create(follower=charlie, followee=bob)
    accounts_services.follow_create(follower=dave, followee=bob)
    accounts_services.follow_create(follower=dave, followee=alice)
    activate(alice, bob, charlie, dave)
    for user in (charlie, dave):
        store.mark_warm(user_id=user.pk)
    root = post(alice, "root")
    with django_capture_on_commit_callbacks(execute=True):
        reply = post(bob, "a reply", reply_to_id=root.pk)
    assert store.page(user_id=dave.pk, max_id=None, limit=5) == [reply.pk]
    assert store.page(user_id=charlie.pk, max_id=None, limit=5) == []


def test_it_sends_direct_posts_to_mentioned_people_only(store, alice, bob, charlie, django_capture_on_commit_callbacks):
    accounts_services.follow_create(follower=charlie, followee=alice)
    activate(alice, bob, charlie)
    for user in (bob, charlie):
        store.mark_warm(user_id=user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        p = post(alice, "@bob just you", visibility=Visibility.DIRECT)
    assert store.page(user_id=bob.pk, max_id=None, limit=5) == [p.pk]
    assert feed_ids(bob, store) == [p.pk]
    assert feed_ids(charlie, store) == []


def test_it_drops_moderated_posts_from_feeds(store, alice, bob, django_capture_on_commit_callbacks):
    accounts_services.follow_create(follower=bob, followee=alice)
    activate(alice, bob)
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        kept = post(alice, "fine")
        hidden = post(alice, "spam")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_hide(post=hidden, reason="spam")
    assert feed_ids(bob, store) == [kept.pk]
    assert hidden.pk not in store.page(user_id=bob.pk, max_id=None, limit=10)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_restore(post=hidden)
    assert feed_ids(bob, store) == [hidden.pk, kept.pk]


def test_it_drops_a_deleted_accounts_posts_from_feeds(store, alice, bob, django_capture_on_commit_callbacks):
    accounts_services.follow_create(follower=bob, followee=alice)
    activate(alice, bob)
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        post(alice, "gone soon")
    User.objects.filter(pk=alice.pk).update(deleted_at=timezone.now())
    assert feed_ids(bob, store) == []


# --- timelines follow the social graph (posts.handlers, on the graph's domain events) ------------


def stored(store, user) -> list[int]:
    return store.page(user_id=user.pk, max_id=None, limit=50)


def test_it_merges_a_followed_authors_posts_into_the_timeline_after_commit(
    store, alice, bob, django_capture_on_commit_callbacks
):
    first, second = post(alice, "one"), post(alice, "two")
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.follow_create(follower=bob, followee=alice)
    assert stored(store, bob) == [second.pk, first.pk]
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.follow_delete(follower=bob, followee=alice)
    assert stored(store, bob) == []


def test_it_syncs_timelines_with_the_graph_in_whatever_order_the_events_arrive(
    store, alice, bob, django_capture_on_commit_callbacks
):
    post(alice, "one")
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks() as followed:
        accounts_services.follow_create(follower=bob, followee=alice)
    with django_capture_on_commit_callbacks() as unfollowed:
        accounts_services.follow_delete(follower=bob, followee=alice)
    for callback in [*unfollowed, *followed]:  # the follow's event is handled last
        callback()
    assert stored(store, bob) == []


def test_it_does_not_merge_an_unmuted_author_one_does_not_follow(store, alice, bob, django_capture_on_commit_callbacks):
    post(alice, "not followed")
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.mute_create(muter=bob, muted=alice)
        accounts_services.mute_delete(muter=bob, muted=alice)
    assert stored(store, bob) == []


def test_it_takes_a_blocked_authors_posts_out_of_both_timelines(store, alice, bob, django_capture_on_commit_callbacks):
    activate(alice, bob)
    store.mark_warm(user_id=alice.pk)
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.follow_create(follower=alice, followee=bob)
        accounts_services.follow_create(follower=bob, followee=alice)
        alices, bobs = post(alice, "a"), post(bob, "b")
    assert stored(store, alice) == [bobs.pk, alices.pk] and stored(store, bob) == [bobs.pk, alices.pk]
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.block_create(blocker=alice, blocked=bob)
    assert stored(store, alice) == [alices.pk] and stored(store, bob) == [bobs.pk]


def test_touch_page_is_a_touch_then_a_page(store, alice, bob, django_capture_on_commit_callbacks):
    """The feed's first read (one Redis round trip): None while cold, else the page ``page`` gives;
    the warm marker logic is ``touch``'s (a marker another Redis run set reads as cold)."""
    accounts_services.follow_create(follower=bob, followee=alice)
    activate(alice, bob)
    assert store.touch_page(user_id=bob.pk, max_id=None, limit=10) is None
    store.mark_warm(user_id=bob.pk)
    with django_capture_on_commit_callbacks(execute=True):
        posts = [post(alice, f"p{i}") for i in range(3)]
    newest_first = [p.pk for p in reversed(posts)]
    assert store.touch_page(user_id=bob.pk, max_id=None, limit=10) == newest_first
    assert store.touch_page(user_id=bob.pk, max_id=posts[2].pk, limit=1) == [posts[1].pk]
    assert store.touch_page(user_id=bob.pk, max_id=posts[0].pk, limit=5) == []
    if store.__class__.__name__ == "RedisTimelineStore":
        store.redis.set(f"{store.key(bob.pk)}:warm", "run-id-of-the-server-before-the-restart")
        assert store.touch_page(user_id=bob.pk, max_id=None, limit=10) is None
        assert store.touch(user_id=bob.pk) is True  # re-marked by this run, as touch does
