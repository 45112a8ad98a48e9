from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Block, Follow, Mute
from accounts.tests.factories import UserFactory
from notifications import selectors, services, text
from notifications.models import Delivery, EmailMode, Kind, Notification, NotificationActor
from notifications.tests.factories import WebPushDeviceFactory

pytestmark = pytest.mark.django_db


def test_it_creates_a_notification(alice, bob, target):
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target, data={"excerpt": "hi"})
    assert n.recipient == alice
    assert n.kind == Kind.REPLY
    assert n.actor == bob
    assert n.target == target
    assert n.target_object_id == str(target.pk)
    assert n.data == {"excerpt": "hi"}
    assert n.read_at is None
    assert text.sentence(n) == "Bob replied to your post"


def test_it_accepts_no_actor_and_no_target(alice):
    n = services.notify(recipient=alice, kind="video_ready", data={"title": "Cats"})
    assert n.actor is None
    assert n.target is None
    assert text.sentence(n) == "Your video “Cats” is ready"


def test_it_rejects_unknown_kinds(alice, bob):
    with pytest.raises(ValueError, match="nope"):
        services.notify(recipient=alice, kind="nope", actor=bob)


def test_it_never_notifies_yourself(alice, target):
    assert services.notify(recipient=alice, kind="like_post", actor=alice, target=target) is None
    assert not Notification.objects.exists()


@pytest.mark.parametrize("blocker_is_recipient", [True, False])
def test_it_drops_actors_blocked_either_way(alice, bob, target, blocker_is_recipient):
    if blocker_is_recipient:
        Block.objects.create(blocker=alice, blocked=bob)
    else:
        Block.objects.create(blocker=bob, blocked=alice)
    assert services.notify(recipient=alice, kind="mention", actor=bob, target=target) is None
    assert not Notification.objects.exists()


def test_it_drops_actors_the_recipient_muted(alice, bob, target):
    Mute.objects.create(muter=alice, muted=bob)
    assert services.notify(recipient=alice, kind="reply", actor=bob, target=target) is None


def test_it_still_notifies_when_the_actor_muted_the_recipient(alice, bob, target):
    Mute.objects.create(muter=bob, muted=alice)
    assert services.notify(recipient=alice, kind="reply", actor=bob, target=target) is not None


def test_it_skips_deleted_recipients_and_actors(alice, bob, target):
    bob.deleted_at = timezone.now()
    bob.save()
    assert services.notify(recipient=alice, kind="reply", actor=bob, target=target) is None
    assert services.notify(recipient=bob, kind="reply", actor=alice, target=target) is None


# --- aggregation -------------------------------------------------------------------------------------


def test_it_collapses_a_burst_of_likes_into_one_row(alice, target):
    likers = UserFactory.create_batch(13)
    rows = {services.notify(recipient=alice, kind="like_post", actor=u, target=target).pk for u in likers}
    assert len(rows) == 1
    n = Notification.objects.get()
    assert n.actors_count == 13
    assert n.actor == likers[-1]
    assert NotificationActor.objects.filter(notification=n).count() == 13
    listed = selectors.notification_list(user=alice).get()
    assert text.sentence(listed) == f"{likers[-1].name} and 12 others liked your post"
    assert [link.actor for link in listed.recent_actor_links] == likers[-1:-4:-1]


def test_it_names_two_actors(alice, bob, charlie, target):
    services.notify(recipient=alice, kind="like_post", actor=bob, target=target)
    services.notify(recipient=alice, kind="like_post", actor=charlie, target=target)
    listed = selectors.notification_list(user=alice).get()
    assert text.sentence(listed) == "Charlie and Bob liked your post"


def test_it_counts_a_repeated_actor_once(alice, bob, target):
    services.notify(recipient=alice, kind="like_post", actor=bob, target=target)
    assert services.notify(recipient=alice, kind="like_post", actor=bob, target=target) is None
    assert Notification.objects.get().actors_count == 1


def test_it_keeps_different_targets_and_kinds_apart(alice, bob, target, other_target):
    services.notify(recipient=alice, kind="like_post", actor=bob, target=target)
    services.notify(recipient=alice, kind="like_post", actor=bob, target=other_target)
    services.notify(recipient=alice, kind="repost", actor=bob, target=target)
    assert Notification.objects.count() == 3


def test_it_does_not_aggregate_replies(alice, bob, target):
    services.notify(recipient=alice, kind="reply", actor=bob, target=target, data={"excerpt": "one"})
    services.notify(recipient=alice, kind="reply", actor=bob, target=target, data={"excerpt": "two"})
    assert Notification.objects.count() == 2


def test_it_makes_a_read_group_unread_again_and_moves_it_up(alice, bob, charlie, target):
    n = services.notify(recipient=alice, kind="like_post", actor=bob, target=target)
    services.notifications_mark_read(user=alice, all=True)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        services.notify(recipient=alice, kind="like_post", actor=charlie, target=target)
    n.refresh_from_db()
    assert n.read_at is None
    assert n.actors_count == 2
    assert n.updated_at > n.created_at


def test_it_starts_a_new_group_after_the_window(alice, bob, charlie, target, settings):
    settings.NOTIFICATIONS_AGGREGATION_WINDOW = timedelta(hours=12)
    first = services.notify(recipient=alice, kind="like_post", actor=bob, target=target)
    with time_machine.travel(timezone.now() + timedelta(hours=13)):
        second = services.notify(recipient=alice, kind="like_post", actor=charlie, target=target)
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.group_open is False
    assert second.group_open is True
    assert second.actors_count == 1


def test_it_aggregates_follows_without_a_target(alice, bob, charlie):
    services.notify(recipient=alice, kind="follow", actor=bob)
    services.notify(recipient=alice, kind="follow", actor=charlie)
    n = Notification.objects.get()
    assert n.actors_count == 2
    assert n.group_key == "follow"


def test_it_allows_one_open_group_per_key_in_the_database(alice, bob, target):
    n = services.notify(recipient=alice, kind="like_post", actor=bob, target=target)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=alice, kind=n.kind, group_key=n.group_key, group_open=True)


def test_it_joins_the_group_a_concurrent_insert_won(alice, bob, charlie, target, monkeypatch):
    """The race: our lookup finds no open group, someone else inserts one, our insert collides."""
    services.notify(recipient=alice, kind="like_post", actor=bob, target=target)
    real_filter = Notification.objects.select_for_update
    calls = {"n": 0}

    def first_lookup_misses():
        qs = real_filter()
        calls["n"] += 1
        return qs.none() if calls["n"] == 1 else qs

    monkeypatch.setattr(Notification.objects, "select_for_update", first_lookup_misses)
    joined = services.notify(recipient=alice, kind="like_post", actor=charlie, target=target)
    assert Notification.objects.count() == 1
    assert joined.actors_count == 2


# --- preferences and deliveries ----------------------------------------------------------------------


def test_it_queues_email_for_kinds_with_email_on_by_default(alice, bob, target):
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    assert list(n.deliveries.values_list("channel", "status")) == [("email", "pending")]


def test_it_does_not_email_likes_by_default(alice, bob, target):
    n = services.notify(recipient=alice, kind="like_post", actor=bob, target=target)
    assert not n.deliveries.exists()


def test_it_queues_push_only_with_a_registered_device(alice, bob, target):
    WebPushDeviceFactory(user=alice)
    n = services.notify(recipient=alice, kind="mention", actor=bob, target=target)
    assert set(n.deliveries.values_list("channel", flat=True)) == {"email", "push"}


def test_it_respects_the_email_channel_preference(alice, bob, target):
    services.preferences_update(user=alice, kinds={"reply": {"email": False}})
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    assert n.in_app is True
    assert not n.deliveries.exists()


def test_it_keeps_the_row_hidden_when_only_in_app_is_off(alice, bob, target):
    services.preferences_update(user=alice, kinds={"reply": {"in_app": False}})
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    assert n.in_app is False
    assert n.deliveries.get().channel == "email"
    assert not selectors.notification_list(user=alice).exists()
    assert selectors.unread_count(user_id=alice.pk) == 0


def test_it_creates_nothing_when_every_channel_is_off(alice, bob, target):
    services.preferences_update(user=alice, kinds={"reply": {"in_app": False, "email": False, "push": False}})
    assert services.notify(recipient=alice, kind="reply", actor=bob, target=target) is None


def test_it_waits_for_the_digest_in_digest_mode(alice, bob, target):
    services.preferences_update(user=alice, email_mode=EmailMode.DIGEST)
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    assert n.deliveries.get().status == Delivery.Status.DIGEST


def test_it_sends_no_email_in_off_mode(alice, bob, target):
    services.preferences_update(user=alice, email_mode=EmailMode.OFF)
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    assert not n.deliveries.exists()


def test_it_merges_preference_changes_with_current_values(alice):
    result = services.preferences_update(user=alice, kinds={"like_post": {"email": True}})
    assert result["like_post"].email is True
    assert result["like_post"].in_app is True
    assert result["like_post"].push is False
    result = services.preferences_update(user=alice, kinds={"like_post": {"push": True}})
    assert (result["like_post"].email, result["like_post"].push) == (True, True)


def test_it_unsubscribes_from_one_kind_or_all(alice):
    services.email_unsubscribe(user=alice, kind="mention")
    assert selectors.channels_for(user_id=alice.pk, kind="mention").email is False
    assert selectors.channels_for(user_id=alice.pk, kind="reply").email is True
    services.email_unsubscribe(user=alice)
    assert selectors.email_mode_for(user_id=alice.pk) == EmailMode.OFF


def test_it_queues_deliveries_and_the_push_after_commit(alice, bob, target, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    assert len(callbacks) == 2  # websocket push + email delivery task


# --- reading state -----------------------------------------------------------------------------------


def test_it_marks_given_ids_read_and_ignores_other_users_rows(alice, bob, target):
    mine = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    theirs = services.notify(recipient=bob, kind="reply", actor=alice, target=target)
    assert services.notifications_mark_read(user=alice, ids=[mine.pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert services.notifications_mark_read(user=alice, ids=[mine.pk]) == 0


def test_it_marks_all_read(alice, bob, charlie, target):
    services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    services.notify(recipient=alice, kind="mention", actor=charlie, target=target)
    assert services.notifications_mark_read(user=alice, all=True) == 2
    assert selectors.unread_count(user_id=alice.pk) == 0


# --- follower fan-out --------------------------------------------------------------------------------


def _follow(*followers, followee):
    for follower in followers:
        Follow.objects.create(follower=follower, followee=followee)


def test_it_fans_out_new_videos_to_followers_in_chunks(alice, target, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_FANOUT_CHUNK = 2
    followers = UserFactory.create_batch(5)
    _follow(*followers, followee=alice)
    assert len(services.follower_chunks(author_id=alice.pk)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_followers(author=alice, kind="new_video", target=target, data={"title": "Hello"})
    rows = Notification.objects.filter(kind="new_video")
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(u.pk for u in followers)
    assert all(n.actor_id == alice.pk and n.target == target for n in rows)


def test_it_runs_nothing_in_the_request(alice, target, django_capture_on_commit_callbacks):
    _follow(*UserFactory.create_batch(3), followee=alice)
    with django_capture_on_commit_callbacks(execute=False):
        services.notify_followers(author=alice, kind="live_started", target=target)
    assert not Notification.objects.exists()


def test_it_respects_follower_preferences_and_mutes(alice, bob, charlie, target, django_capture_on_commit_callbacks):
    dave = UserFactory()
    _follow(bob, charlie, dave, followee=alice)
    services.preferences_update(user=bob, kinds={"new_post": {"in_app": True}})  # opted in
    Mute.objects.create(muter=dave, muted=alice)
    services.preferences_update(user=dave, kinds={"new_post": {"in_app": True}})
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_followers(author=alice, kind="new_post", target=target)
    # new_post is opt-in: only bob, who opted in and does not mute alice.
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [bob.pk]


def test_it_does_not_duplicate_a_rerun_chunk(alice, bob):
    ct = ContentType.objects.get_for_model(alice)
    args = {
        "author_id": alice.pk,
        "kind": "new_video",
        "target_content_type_id": ct.pk,
        "target_object_id": "1",
        "data": {},
        "recipient_ids": [bob.pk],
    }
    assert len(services.notification_fan_out_chunk(**args)) == 1
    assert services.notification_fan_out_chunk(**args) == []
    assert Notification.objects.count() == 1


def test_it_only_fans_out_follower_kinds(alice, target):
    with pytest.raises(ValueError, match="fan-out"):
        services.notify_followers(author=alice, kind="reply", target=target)


def test_it_describes_the_target_for_lists_and_emails(alice, bob):
    class Post:
        class _meta:
            label_lower = "posts.post"

        pk = 5
        text = "hello world " * 40

    post = Post()
    described = text.describe_target(kind="reply", target=post)
    assert described == {"excerpt": post.text[:280]}
    assert text.describe_target(kind="reply", target=None) == {}


@pytest.mark.parametrize(
    ("amount", "phrase"),
    [
        ({"amount": 1234, "currency": "usd"}, "Your payout of $12.34 is on its way"),
        ({"amount": 500, "currency": "JPY"}, "Your payout of ¥500 is on its way"),
        ({"amount": 12345, "currency": "bhd"}, "Your payout of 12.345 BHD is on its way"),
        ({"amount": "12.34", "currency": "usd"}, "Your payout is on its way"),
        ({"amount": 1234, "currency": "XXX"}, "Your payout is on its way"),
    ],
)
def test_it_formats_amounts_in_their_currencys_minor_units(alice, amount, phrase):
    n = services.notify(recipient=alice, kind="payout_sent", data={"amount": amount})
    assert text.sentence(n) == phrase


def test_it_lets_callers_override_described_fields(alice, bob, target):
    n = services.notify(recipient=alice, kind="moderation_action", data={"reason": "spam", "url": "/rules"})
    assert text.sentence(n) == "A moderator took action on your content: spam"
    assert text.link(n) == "https://sf.example.com/rules"


# --- cleanup -----------------------------------------------------------------------------------------


def test_it_deletes_notifications_about_deleted_content(alice, bob, charlie, target, other_target):
    services.notify(recipient=alice, kind="like_post", actor=bob, target=target)
    services.notify(recipient=charlie, kind="reply", actor=bob, target=target)
    kept = services.notify(recipient=alice, kind="like_post", actor=bob, target=other_target)
    assert services.notifications_delete_for_target(target=target) == 2
    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]


def test_it_prunes_old_read_and_very_old_unread_notifications(alice, bob, target, other_target):
    read = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    services.notifications_mark_read(user=alice, ids=[read.pk])
    old_unread = services.notify(recipient=alice, kind="mention", actor=bob, target=target)
    with time_machine.travel(timezone.now() + timedelta(days=100)):
        fresh = services.notify(recipient=alice, kind="reply", actor=bob, target=other_target)
    with time_machine.travel(timezone.now() + timedelta(days=181)):
        assert services.notifications_prune(retention=timedelta(days=180)) == 1
        assert set(Notification.objects.values_list("pk", flat=True)) == {old_unread.pk, fresh.pk}
    with time_machine.travel(timezone.now() + timedelta(days=361)):
        services.notifications_prune(retention=timedelta(days=180))
        assert list(Notification.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_it_stores_uuids_and_times_in_data(alice, bob, target):
    import uuid

    key = uuid.uuid4()
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target, data={"id": key, "at": timezone.now()})
    n.refresh_from_db()
    assert n.data["id"] == str(key)
