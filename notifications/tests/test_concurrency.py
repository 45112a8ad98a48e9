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
