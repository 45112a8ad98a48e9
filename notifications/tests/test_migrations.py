"""The follower-kind unique constraint (0005 drops the duplicates, 0006 adds it) keeps one row of
each doubled fan-out notification and leaves every other row alone."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("notifications", "0004_data_encoder")]


def _migrate(targets):
    return MigrationExecutor(connection).migrate(targets).apps


@pytest.mark.django_db(transaction=True)
def test_it_drops_doubled_fan_out_rows_then_refuses_them():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        user = old.get_model("accounts", "User")
        alice, bob = (user.objects.create(username=name, email=f"{name}@example.com") for name in "ab")
        notification = old.get_model("notifications", "Notification")
        content_type = old.get_model("contenttypes", "ContentType").objects.get(app_label="accounts", model="user")
        row = {"recipient_id": bob.pk, "actor_id": alice.pk, "target_content_type_id": content_type.pk}
        first = notification.objects.create(kind="new_post", target_object_id="1", **row)
        notification.objects.create(kind="new_post", target_object_id="1", **row)  # a racing chunk's double
        other = notification.objects.create(kind="new_post", target_object_id="2", **row)
        replies = [notification.objects.create(kind="reply", target_object_id="1", **row) for _ in range(2)]

        new = _migrate(leaves)
        notification = new.get_model("notifications", "Notification")
        assert sorted(notification.objects.values_list("pk", flat=True)) == sorted(
            [first.pk, other.pk, *(r.pk for r in replies)]
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            notification.objects.create(kind="new_post", target_object_id="1", **row)
    finally:
        _migrate(leaves)
