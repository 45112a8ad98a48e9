"""A follower fan-out chunk (one INSERT … SELECT) makes exactly the rows ``notify`` would, in a
constant number of queries, and pushes only to users with a socket open."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Block, Mute
from accounts.tests.factories import UserFactory
from notifications import realtime, services, text
from notifications.models import Delivery, Notification
from notifications.tests.factories import FcmDeviceFactory, NotificationFactory, WebPushDeviceFactory

pytestmark = pytest.mark.django_db

KIND = "new_video"


def _population(author):
    """Followers of every sort the rules tell apart, by name."""
    people = {
        name: UserFactory(username=name)
        for name in (
            "plain",
            "muter",
            "muted_by_author",
            "blocked_by_author",
            "blocking_author",
            "all_off",
            "in_app_off_push_on",
            "push_device",
            "email_now",
            "email_digest",
            "email_mode_off",
            "other_kind_off",
            "deactivated",
            "deleted",
        )
    }
    Mute.objects.create(muter=people["muter"], muted=author)
    Mute.objects.create(muter=author, muted=people["muted_by_author"])
    Block.objects.create(blocker=author, blocked=people["blocked_by_author"])
    Block.objects.create(blocker=people["blocking_author"], blocked=author)
    services.preferences_update(user=people["all_off"], kinds={KIND: {"in_app": False, "email": False, "push": False}})
    services.preferences_update(user=people["in_app_off_push_on"], kinds={KIND: {"in_app": False, "push": True}})
    FcmDeviceFactory(user=people["in_app_off_push_on"])
    WebPushDeviceFactory(user=people["push_device"])
    services.preferences_update(user=people["email_now"], kinds={KIND: {"email": True}})
    services.preferences_update(user=people["email_digest"], kinds={KIND: {"email": True}}, email_mode="digest")
    services.preferences_update(user=people["email_mode_off"], kinds={KIND: {"email": True}}, email_mode="off")
    services.preferences_update(user=people["other_kind_off"], kinds={"new_post": {"in_app": False}})
    type(author).objects.filter(pk=people["deactivated"].pk).update(is_active=False)
    type(author).objects.filter(pk=people["deleted"].pk).update(deleted_at=timezone.now())
    return people


def _outcome():
    """Every notification and delivery, without ids and times: (recipient, row fields), deliveries."""
    rows = sorted(
        Notification.objects.values_list(
            "recipient__username",
            "kind",
            "actor_id",
            "actors_count",
            "target_content_type_id",
            "target_object_id",
            "data",
            "in_app",
            "group_key",
            "group_open",
            "read_at",
        )
    )
    deliveries = sorted(
        Delivery.objects.values_list("notification__recipient__username", "channel", "status", "attempts")
    )
    return rows, deliveries


def _chunk(author, target, recipient_ids, data):
    content_type = ContentType.objects.get_for_model(target)
    return services.notification_fan_out_chunk(
        author_id=author.pk,
        kind=KIND,
        target_content_type_id=content_type.pk,
        target_object_id=str(target.pk),
        data=data,
        recipient_ids=recipient_ids,
    )


def test_a_chunk_makes_the_rows_notify_makes_for_a_mixed_population(alice, target):
    people = _population(alice)
    recipient_ids = sorted([u.pk for u in people.values()] + [alice.pk])  # the author follows herself
    data = {**text.describe_target(kind=KIND, target=target), "title": "Trip"}

    created = _chunk(alice, target, recipient_ids, data)
    fanned_out = _outcome()
    Notification.objects.all().delete()

    # The reference: notify() per recipient, the rules every other notification follows.
    for user in [*people.values(), alice]:
        user.refresh_from_db()
        services.notify(recipient=user, kind=KIND, actor=alice, target=target, data={"title": "Trip"})
    assert fanned_out == _outcome()

    rows, deliveries = fanned_out
    assert len(created) == len(rows)
    assert [(name, in_app) for name, *_fields, in_app, _key, _open, _read in rows] == [
        ("email_digest", True),
        ("email_mode_off", True),
        ("email_now", True),
        ("in_app_off_push_on", False),
        ("muted_by_author", True),
        ("other_kind_off", True),
        ("plain", True),
        ("push_device", True),
    ]
    assert deliveries == [
        ("email_digest", "email", "digest", 0),
        ("email_now", "email", "pending", 0),
        ("in_app_off_push_on", "push", "pending", 0),
        ("push_device", "push", "pending", 0),
    ]


def test_a_rerun_chunk_skips_everyone_told_and_adds_no_deliveries(alice, bob, charlie, target):
    WebPushDeviceFactory(user=bob)
    assert len(_chunk(alice, target, [bob.pk], {})) == 1
    before = _outcome()
    assert _chunk(alice, target, [bob.pk, charlie.pk], {}) == [Notification.objects.get(recipient=charlie).pk]
    assert _chunk(alice, target, [bob.pk, charlie.pk], {}) == []
    rows, deliveries = _outcome()
    assert [r[0] for r in rows] == ["bob", "charlie"]
    assert deliveries == before[1]  # bob's push delivery, once


def test_a_fan_out_without_a_target_is_not_duplicated_either(alice, bob):
    # NULL targets are distinct in the unique constraint: the selector's own check keeps these single.
    args = {
        "author_id": alice.pk,
        "kind": "live_started",
        "target_content_type_id": None,
        "target_object_id": "",
        "data": {},
        "recipient_ids": [bob.pk],
    }
    assert len(services.notification_fan_out_chunk(**args)) == 1
    assert services.notification_fan_out_chunk(**args) == []
    assert Notification.objects.get().target_content_type_id is None


def test_rows_about_other_targets_or_authors_do_not_count_as_told(alice, bob, charlie, target, other_target):
    ct = ContentType.objects.get_for_model(target)
    NotificationFactory(recipient=bob, kind=KIND, actor=alice, target_content_type=ct, target_object_id=other_target.pk)
    NotificationFactory(recipient=bob, kind=KIND, actor=charlie, target_content_type=ct, target_object_id=target.pk)
    assert len(_chunk(alice, target, [bob.pk], {})) == 1


def test_a_deleted_author_tells_nobody(alice, bob, target):
    type(alice).objects.filter(pk=alice.pk).update(deleted_at=timezone.now())
    assert _chunk(alice, target, [bob.pk], {}) == []
    assert not Notification.objects.exists()


def _chunk_queries(author, target, followers) -> list[str]:
    ContentType.objects.get_for_model(target)  # cached, as in a worker after its first chunk
    with CaptureQueriesContext(connection) as queries:
        _chunk(author, target, [u.pk for u in followers], {"title": "Trip"})
    return [q["sql"] for q in queries.captured_queries]


def test_a_chunk_costs_the_same_queries_for_3_or_60_followers(alice, target):
    def followers(n):
        users = UserFactory.create_batch(n)
        for user in users[::2]:
            WebPushDeviceFactory(user=user)
            services.preferences_update(user=user, kinds={KIND: {"email": True}})
        return users

    small = _chunk_queries(alice, target, followers(3))
    large = _chunk_queries(alice, target, followers(60))
    assert len(small) == len(large)
    # The author; the INSERT … SELECT; preference rows, email modes, devices; the deliveries; and
    # the savepoint around the writes.
    writes = [sql for sql in large if sql.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(writes) == 2
    assert "SELECT" in writes[0] and "notifications_notification" in writes[0]
    assert "notifications_delivery" in writes[1]
    assert len([sql for sql in large if not sql.startswith(("SAVEPOINT", "RELEASE"))]) == 6


@pytest.fixture
def built(monkeypatch):
    """The recipients whose rows a fan-out's push built, one list per push."""
    calls = []
    real_push_built = realtime.push_built

    def spy(*, recipient_ids, build):
        def recording_build(listening):
            calls.append(sorted(listening))
            return build(listening)

        real_push_built(recipient_ids=recipient_ids, build=recording_build)

    monkeypatch.setattr(realtime, "push_built", spy)
    return calls


def test_a_chunk_of_offline_followers_builds_and_sends_nothing(
    alice, target, built, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(realtime, "_send_many", lambda layer, messages: sent.extend(messages))
    offline = UserFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True):
        _chunk(alice, target, [u.pk for u in offline], {})
    assert built == []
    assert sent == []


def test_a_chunk_pushes_the_row_to_a_follower_with_a_socket_open(
    alice, bob, charlie, target, built, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.user_group(bob.pk), channel)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            created = _chunk(alice, target, [bob.pk, charlie.pk], {"title": "Trip"})
        assert built == [[bob.pk]]
        message = async_to_sync(layer.receive)(channel)
    finally:
        async_to_sync(layer.group_discard)(realtime.user_group(bob.pk), channel)
    assert message["type"] == "notification.push"
    assert message["unread_count"] == 1
    pushed = message["notification"]
    assert pushed["id"] == str(Notification.objects.get(recipient=bob).pk)
    assert str(Notification.objects.get(recipient=bob).pk) in map(str, created)
    assert pushed["kind"] == KIND
    assert pushed["text"] == "Alice uploaded a new video “Trip”"
    assert pushed["actor"]["username"] == "alice"


def test_the_layer_tells_which_groups_have_a_member():
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("notifications.user.1", channel)
    assert layer.groups_with_members(["notifications.user.1", "notifications.user.2"]) == {"notifications.user.1"}
    async_to_sync(layer.group_discard)("notifications.user.1", channel)
    assert layer.groups_with_members(["notifications.user.1"]) == set()
