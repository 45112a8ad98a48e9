"""PostgreSQL's deferred trigger refuses an unbalanced transaction even from outside the services."""

import pytest
from django.db import IntegrityError, connection, transaction

from monetization.models import Entry, Source, Transaction
from monetization.tests.factories import CreatorAccountFactory, PlatformAccountFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no deferred triggers"),
]


def test_the_database_refuses_entries_that_do_not_add_up():
    clearing, pending = PlatformAccountFactory(), CreatorAccountFactory()
    with pytest.raises(IntegrityError, match="does not add up to zero"), transaction.atomic():
        with connection.cursor() as cursor:
            # The test never commits: check now what COMMIT would check.
            cursor.execute("SET CONSTRAINTS monetization_entry_balanced IMMEDIATE")
        tx = Transaction.objects.create(source=Source.TIP, idempotency_key="raw")
        Entry.objects.bulk_create(
            [
                Entry(transaction=tx, account=clearing, amount_minor=-500, currency="USD"),
                Entry(transaction=tx, account=pending, amount_minor=499, currency="USD"),
            ]
        )


def test_balanced_entries_pass_the_trigger():
    clearing, pending = PlatformAccountFactory(), CreatorAccountFactory()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS monetization_entry_balanced IMMEDIATE")
        tx = Transaction.objects.create(source=Source.TIP, idempotency_key="raw")
        Entry.objects.bulk_create(
            [
                Entry(transaction=tx, account=clearing, amount_minor=-500, currency="USD"),
                Entry(transaction=tx, account=pending, amount_minor=500, currency="USD"),
            ]
        )
    assert Entry.objects.count() == 2
