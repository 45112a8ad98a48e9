"""Follows, follow requests, blocks and mutes: idempotency, exact counters, limits."""

import pytest

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts.models import Follow, FollowRequest, User
from accounts.tests.factories import UserFactory
from socialflow.core.exceptions import InvalidInput, NotFound, PermissionDenied, RateLimited
from socialflow.core.models import Event

pytestmark = pytest.mark.django_db


def refresh(*objs):
    for obj in objs:
        obj.refresh_from_db()


def test_it_refuses_to_follow_yourself(alice):
    with pytest.raises(InvalidInput):
        accounts_services.follow_create(follower=alice, followee=alice)


def test_it_follows_idempotently_with_exact_counters(alice, bob):
    accounts_services.follow_create(follower=bob, followee=alice)
    accounts_services.follow_create(follower=bob, followee=alice)
    refresh(alice, bob)
    assert (alice.followers_count, bob.following_count) == (1, 1)
    assert accounts_selectors.follower_ids(user_id=alice.pk) == [bob.pk]
    accounts_services.follow_delete(follower=bob, followee=alice)
    accounts_services.follow_delete(follower=bob, followee=alice)
    refresh(alice, bob)
    assert (alice.followers_count, bob.following_count) == (0, 0)


def test_it_handles_follow_requests_of_private_accounts(alice, bob, charlie):
    User.objects.filter(pk=alice.pk).update(is_private=True)
    alice.refresh_from_db()
    request = accounts_services.follow_create(follower=bob, followee=alice)
    assert accounts_services.follow_create(follower=bob, followee=alice).pk == request.pk
    assert not Follow.objects.exists()
    with pytest.raises(NotFound):
        accounts_services.follow_request_accept(target=charlie, request_id=request.pk)
    accounts_services.follow_request_accept(target=alice, request_id=request.pk)
    assert Follow.objects.filter(follower=bob, followee=alice).exists()
    refresh(alice)
    assert alice.followers_count == 1
    other = accounts_services.follow_create(follower=charlie, followee=alice)
    accounts_services.follow_request_reject(target=alice, request_id=other.pk)
    assert not FollowRequest.objects.exists()
    assert not Follow.objects.filter(follower=charlie).exists()


def test_it_removes_follows_both_ways_on_block(alice, bob):
    accounts_services.follow_create(follower=alice, followee=bob)
    accounts_services.follow_create(follower=bob, followee=alice)
    accounts_services.block_create(blocker=alice, blocked=bob)
    assert not Follow.objects.exists()
    refresh(alice, bob)
    assert (alice.followers_count, alice.following_count, bob.followers_count, bob.following_count) == (0, 0, 0, 0)
    with pytest.raises(PermissionDenied):
        accounts_services.follow_create(follower=bob, followee=alice)
    with pytest.raises(InvalidInput):
        accounts_services.block_create(blocker=alice, blocked=alice)
    assert accounts_services.block_delete(blocker=alice, blocked=bob) is True


def test_it_limits_follows_per_day(alice, settings):
    settings.FOLLOW_RATE_LIMIT = (2, 86400)
    targets = UserFactory.create_batch(3)
    accounts_services.follow_create(follower=alice, followee=targets[0])
    accounts_services.follow_create(follower=alice, followee=targets[1])
    accounts_services.follow_create(follower=alice, followee=targets[1])  # already following: not counted
    with pytest.raises(RateLimited):
        accounts_services.follow_create(follower=alice, followee=targets[2])


def _events():
    return [(e.name, e.payload) for e in Event.objects.order_by("pk")]


def test_it_records_what_happened_in_the_graph_as_events(alice, bob, charlie):
    accounts_services.follow_create(follower=bob, followee=alice)
    accounts_services.follow_create(follower=bob, followee=alice)  # already following: nothing new
    User.objects.filter(pk=charlie.pk).update(is_private=True)
    charlie.refresh_from_db()
    request = accounts_services.follow_create(follower=alice, followee=charlie)
    accounts_services.follow_request_accept(target=charlie, request_id=request.pk)
    accounts_services.mute_create(muter=alice, muted=bob)
    accounts_services.mute_delete(muter=alice, muted=bob)
    accounts_services.block_create(blocker=alice, blocked=bob)
    a, b, c = alice.pk, bob.pk, charlie.pk
    assert _events() == [
        ("user.followed", {"follower_id": b, "followee_id": a}),
        ("user.follow_requested", {"follower_id": a, "followee_id": c, "request_id": request.pk}),
        ("user.follow_accepted", {"follower_id": a, "followee_id": c}),
        ("user.muted", {"muter_id": a, "muted_id": b}),
        ("user.unmuted", {"muter_id": a, "muted_id": b}),
        ("user.unfollowed", {"follower_id": b, "followee_id": a}),
        ("user.blocked", {"blocker_id": a, "blocked_id": b}),
    ]


def test_it_records_no_event_when_nothing_changed(alice, bob):
    assert accounts_services.follow_delete(follower=bob, followee=alice) is False
    assert accounts_services.mute_delete(muter=bob, muted=alice) is False
    accounts_services.mute_create(muter=bob, muted=alice)
    accounts_services.mute_create(muter=bob, muted=alice)
    accounts_services.block_create(blocker=bob, blocked=alice)
    accounts_services.block_create(blocker=bob, blocked=alice)
    assert [name for name, _ in _events()] == ["user.muted", "user.blocked"]
