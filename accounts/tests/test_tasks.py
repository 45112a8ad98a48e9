from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts import services, tasks
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_purges_only_accounts_past_the_grace_period(settings):
    old, recent, alive = UserFactory(), UserFactory(), UserFactory()
    services.user_delete(user=old)
    with time_machine.travel(timezone.now() + settings.ACCOUNT_PURGE_AFTER - timedelta(days=1)):
        services.user_delete(user=recent)
    with time_machine.travel(timezone.now() + settings.ACCOUNT_PURGE_AFTER + timedelta(hours=1)):
        assert tasks.purge_deleted_accounts() == 1
        assert tasks.purge_deleted_accounts() == 0  # idempotent
    assert not User.objects.filter(pk=old.pk).exists()
    assert User.objects.filter(pk__in=[recent.pk, alive.pk]).count() == 2


def test_it_anonymises_when_other_rows_protect_the_user(settings, monkeypatch):
    from django.db.models import ProtectedError

    user = UserFactory(bio="secret bio", display_name="Real Name")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    services.user_delete(user=user)

    def protected(*args, **kwargs):
        raise ProtectedError("ledger rows", set())

    monkeypatch.setattr(User, "delete", protected)
    with time_machine.travel(timezone.now() + settings.ACCOUNT_PURGE_AFTER + timedelta(hours=1)):
        assert services.user_purge(user_id=user.pk) == "anonymised"
        assert services.user_purge(user_id=user.pk) is None
    user.refresh_from_db()
    assert user.username.startswith("deleted_") and user.email == "" and user.bio == "" and user.display_name == ""
    assert user.purged_at is not None and not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()


def test_it_skips_the_verification_email_for_verified_addresses(alice, mailoutbox):
    address = EmailAddress.objects.create(user=alice, email=alice.email, primary=True, verified=True)
    assert tasks.send_email_verification(address.pk) is False
    assert mailoutbox == []


def test_it_sends_the_reset_email_only_to_active_accounts(alice, mailoutbox):
    assert tasks.send_password_reset(alice.pk) is True
    services.user_delete(user=alice)
    assert tasks.send_password_reset(alice.pk) is False
    assert len(mailoutbox) == 1


def test_it_tells_unknown_addresses_that_there_is_no_account(mailoutbox):
    assert tasks.send_unknown_account_email("who@example.com") is True
    (message,) = mailoutbox
    assert "no account" in message.body and message.alternatives
