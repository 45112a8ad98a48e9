"""Concurrent notifies on one group never duplicate it (real threads, real connections)."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from accounts.tests.factories import UserFactory
from notifications import services
from notifications.models import Notification, NotificationActor

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="SQLite serialises writers; the race needs PostgreSQL"),
]


def test_it_aggregates_concurrent_likes_into_one_row(alice, target):
    likers = UserFactory.create_batch(8)
    barrier = threading.Barrier(len(likers))
    errors = []

    def like(user):
        try:
            barrier.wait()
            services.notify(recipient=alice, kind="like_post", actor=user, target=target)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=like, args=(u,)) for u in likers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    n = Notification.objects.get()
    assert n.actors_count == len(likers)
    assert NotificationActor.objects.filter(notification=n).count() == len(likers)


def test_two_copies_of_a_fan_out_chunk_at_once_tell_each_follower_once(alice, target):
    """A chunk task delivered twice and run by two workers at the same moment: the second insert
    waits on the first's uncommitted rows and skips them (ON CONFLICT DO NOTHING), no error."""
    from django.contrib.contenttypes.models import ContentType

    followers = UserFactory.create_batch(40)
    args = {
        "author_id": alice.pk,
        "kind": "new_video",
        "target_content_type_id": ContentType.objects.get_for_model(target).pk,
        "target_object_id": str(target.pk),
        "data": {},
        "recipient_ids": [u.pk for u in followers],
    }
    barrier = threading.Barrier(4)
    created, errors = [], []

    def run_chunk():
        try:
            barrier.wait()
            created.extend(services.notification_fan_out_chunk(**args))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_chunk) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(created) == sorted(Notification.objects.values_list("pk", flat=True))
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(u.pk for u in followers)
