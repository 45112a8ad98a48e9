from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import selectors, services
from accounts.models import PERMANENT_BAN_UNTIL, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import totp_now
from socialflow.core import exceptions as domain
from socialflow.core.models import Event

pytestmark = pytest.mark.django_db
STRONG = "a-Sturdy-passphrase-42"


def test_it_registers_a_user_with_an_unverified_primary_email(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_register(username="dana", email="Dana@Example.com", password=STRONG)
    assert user.check_password(STRONG)
    address = EmailAddress.objects.get(user=user)
    assert address.primary and not address.verified
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject.startswith("[Social Flow] ")


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [("ALICE", "new@example.com", "username"), ("newbie", "ALICE@example.COM", "email")],
)
def test_it_rejects_taken_identities_case_insensitively(alice, username, email, field):
    with pytest.raises(domain.InvalidInput) as exc:
        services.user_register(username=username, email=email, password=STRONG)
    assert field in exc.value.field_errors


@pytest.mark.parametrize("password", ["password", "12345678", "dana@example", "short"])
def test_it_rejects_weak_passwords(password):
    with pytest.raises(domain.InvalidInput) as exc:
        services.user_register(username="dana", email="dana@example.com", password=password)
    assert "password" in exc.value.field_errors
    assert not User.objects.filter(username="dana").exists()


@pytest.mark.parametrize("username", ["admin", "Me", "deleted_abc123", "bad name", "x" * 31])
def test_it_rejects_reserved_or_malformed_usernames(username):
    with pytest.raises(domain.InvalidInput):
        services.user_register(username=username, email="z@example.com", password=STRONG)


def test_it_authenticates_by_username_or_email_in_any_case(alice):
    assert services.user_authenticate(login="ALICE", password=DEFAULT_PASSWORD) == alice
    assert services.user_authenticate(login="Alice@Example.com", password=DEFAULT_PASSWORD) == alice


@pytest.mark.parametrize("login", ["alice", "nobody"])
def test_it_answers_wrong_password_and_unknown_user_alike(alice, login):
    with pytest.raises(domain.Unauthenticated) as exc:
        services.user_authenticate(login=login, password="wrong-password")
    assert exc.value.code == "invalid_credentials"


def test_it_refuses_a_deleted_user_like_a_wrong_password(alice):
    services.user_delete(user=alice)
    with pytest.raises(domain.Unauthenticated) as exc:
        services.user_authenticate(login="alice", password=DEFAULT_PASSWORD)
    assert exc.value.code == "invalid_credentials"


def test_it_bans_revokes_tokens_and_unbans(alice, moderator):
    pair = services.token_pair_issue(user=alice)
    services.user_ban(user=alice, by=moderator, until=timezone.now() + timedelta(days=7), reason="spam")
    alice.refresh_from_db()
    assert alice.is_banned and not alice.is_permanently_banned
    assert BlacklistedToken.objects.filter(token__user=alice).count() == 1
    with pytest.raises(domain.PermissionDenied) as exc:
        services.user_authenticate(login="alice", password=DEFAULT_PASSWORD)
    assert "spam" in exc.value.message
    with pytest.raises(domain.Unauthenticated):
        services.token_pair_refresh(refresh=pair.refresh)
    services.user_unban(user=alice, by=moderator)
    assert services.user_authenticate(login="alice", password=DEFAULT_PASSWORD) == alice


def test_it_records_the_ban_and_the_unban_as_events(alice, moderator):
    until = timezone.now() + timedelta(days=7)
    services.user_ban(user=alice, by=moderator, until=until, reason="spam")
    services.user_unban(user=alice, by=moderator)
    banned, unbanned = Event.objects.order_by("pk")
    assert (banned.name, unbanned.name) == ("user.banned", "user.unbanned")
    assert {k: banned.payload[k] for k in ("user_id", "by_id", "reason")} == {
        "user_id": alice.pk,
        "by_id": moderator.pk,
        "reason": "spam",
    }
    assert banned.payload["until"][:19] == until.isoformat()[:19]  # JSON: a string, to the millisecond
    assert unbanned.payload == {"user_id": alice.pk, "by_id": moderator.pk}


def test_it_bans_permanently_without_an_end(alice, moderator):
    services.user_ban(user=alice, by=moderator, reason="ban evasion")
    assert alice.banned_until == PERMANENT_BAN_UNTIL
    assert "permanently" in alice.ban_message()


def test_it_refuses_a_ban_in_the_past(alice, moderator):
    with pytest.raises(domain.InvalidInput):
        services.user_ban(user=alice, by=moderator, until=timezone.now() - timedelta(days=1), reason="x")


def test_it_expires_a_temporary_ban(alice, moderator):
    services.user_ban(user=alice, by=moderator, until=timezone.now() + timedelta(days=1), reason="cool off")
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert services.user_authenticate(login="alice", password=DEFAULT_PASSWORD) == alice


def test_it_rotates_refresh_tokens_once(alice):
    pair = services.token_pair_issue(user=alice)
    new = services.token_pair_refresh(refresh=pair.refresh)
    assert new.refresh != pair.refresh
    with pytest.raises(domain.Unauthenticated):
        services.token_pair_refresh(refresh=pair.refresh)
    services.token_pair_refresh(refresh=new.refresh)


def test_it_revokes_only_the_own_refresh_token(alice, bob):
    pair = services.token_pair_issue(user=alice)
    with pytest.raises(domain.Unauthenticated):
        services.token_revoke(refresh=pair.refresh, user=bob)
    services.token_revoke(refresh=pair.refresh, user=alice)
    with pytest.raises(domain.Unauthenticated):
        services.token_pair_refresh(refresh=pair.refresh)


def test_it_revokes_all_tokens_idempotently(alice):
    for _ in range(3):
        services.token_pair_issue(user=alice)
    assert services.tokens_revoke_all(user_id=alice.pk) == 3
    assert services.tokens_revoke_all(user_id=alice.pk) == 0
    assert OutstandingToken.objects.filter(user=alice).count() == 3


def test_it_resets_a_password_once(alice):
    uid, token = services.password_reset_token_make(user=alice)
    services.password_reset_confirm(uid=uid, token=token, new_password=STRONG)
    alice.refresh_from_db()
    assert alice.check_password(STRONG)
    with pytest.raises(domain.InvalidInput):
        services.password_reset_confirm(uid=uid, token=token, new_password="Another-good-one-77")


@pytest.mark.parametrize("uid", ["", "!!", "zzzzzzzzzzzzzzzzzzzzzzzzzz", "0"])
def test_it_rejects_garbage_reset_uids(alice, uid):
    with pytest.raises(domain.InvalidInput):
        services.password_reset_confirm(uid=uid, token="x-y", new_password=STRONG)


def test_it_changes_the_password_and_signs_out_elsewhere(alice):
    old = services.token_pair_issue(user=alice)
    with pytest.raises(domain.InvalidInput):
        services.password_change(user=alice, old_password="nope", new_password=STRONG)
    with pytest.raises(domain.InvalidInput):
        services.password_change(user=alice, old_password=DEFAULT_PASSWORD, new_password="123")
    new = services.password_change(user=alice, old_password=DEFAULT_PASSWORD, new_password=STRONG)
    with pytest.raises(domain.Unauthenticated):
        services.token_pair_refresh(refresh=old.refresh)
    services.token_pair_refresh(refresh=new.refresh)


def test_it_enables_totp_and_accepts_codes_and_recovery_codes_once(alice):
    secret, uri = services.totp_setup_begin(user=alice)
    assert uri.startswith("otpauth://totp/") and secret in uri
    with pytest.raises(domain.InvalidInput):
        services.totp_setup_confirm(user=alice, code="000000" if totp_now(secret) != "000000" else "111111")
    codes = services.totp_setup_confirm(user=alice, code=totp_now(secret))
    assert len(codes) >= 8
    assert selectors.user_has_totp(user=alice)
    # the confirmation code cannot be replayed to log in
    assert not services.mfa_code_verify(user=alice, code=totp_now(secret))
    assert services.mfa_code_verify(user=alice, code=codes[0])
    assert not services.mfa_code_verify(user=alice, code=codes[0])
    with pytest.raises(Exception, match="already enabled"):
        services.totp_setup_begin(user=alice)


def test_it_disables_totp_with_a_recovery_code(alice):
    secret, _ = services.totp_setup_begin(user=alice)
    codes = services.totp_setup_confirm(user=alice, code=totp_now(secret))
    with pytest.raises(domain.InvalidInput):
        services.totp_disable(user=alice, code="12")
    services.totp_disable(user=alice, code=codes[1])
    assert not Authenticator.objects.filter(user=alice).exists()


def test_it_updates_the_profile(alice):
    services.user_profile_update(
        user=alice, display_name=" Alice A. ", bio="hi", links=["https://a.example", "https://a.example"]
    )
    alice.refresh_from_db()
    assert alice.display_name == "Alice A."
    assert alice.links == ["https://a.example"]


@pytest.mark.parametrize(
    "changes",
    [
        {"links": ["https://x.example/"] * 1 + [f"https://{i}.example" for i in range(5)]},
        {"links": ["javascript:alert(1)"]},
        {"display_name": "x" * 51},
    ],
)
def test_it_rejects_bad_profile_values(alice, changes):
    with pytest.raises(domain.InvalidInput):
        services.user_profile_update(user=alice, **changes)


def test_it_soft_deletes_and_purges_after_the_grace_period(alice, bob, settings):
    from accounts.models import Follow

    Follow.objects.create(follower=bob, followee=alice)
    services.user_counter_add(user_id=alice.pk, field="followers_count", delta=1)
    services.user_counter_add(user_id=bob.pk, field="following_count", delta=1)
    services.user_delete(user=alice)
    alice.refresh_from_db()
    assert alice.is_deleted and not alice.is_active
    with pytest.raises(domain.NotFound):
        selectors.user_get_by_username(username="alice")
    assert services.user_purge(user_id=alice.pk) is None  # still in the grace period
    with time_machine.travel(timezone.now() + settings.ACCOUNT_PURGE_AFTER + timedelta(minutes=1)):
        assert services.user_purge(user_id=alice.pk) == "deleted"
        assert services.user_purge(user_id=alice.pk) is None
    assert not User.objects.filter(pk=alice.pk).exists()
    bob.refresh_from_db()
    assert bob.following_count == 0


def test_it_records_user_deleted_once_per_delete(alice, moderator):
    services.user_delete(user=alice)
    services.user_delete(user=alice, by=moderator)  # already deleted: nothing new happens
    assert [e.payload for e in Event.objects.filter(name="user.deleted")] == [{"user_id": alice.pk}]
    services.user_restore(user=alice, by=moderator)
    services.user_delete(user=alice, by=moderator)
    assert Event.objects.filter(name="user.deleted").count() == 2


def test_it_restores_an_account_in_the_grace_period(alice):
    services.user_delete(user=alice)
    services.user_restore(user=alice)
    assert services.user_authenticate(login="alice", password=DEFAULT_PASSWORD) == alice


def test_it_searches_users_by_prefix_and_substring(alice, bob):
    UserFactory(username="alicia", display_name="Someone")
    UserFactory(username="zed", display_name="Not Alice really")
    gone = UserFactory(username="alice_gone")
    services.user_delete(user=gone)
    names = [u.username for u in selectors.user_search(query="@ali", viewer=bob)]
    assert names[:2] == ["alice", "alicia"] or names[0] == "alice"
    assert "zed" in names and "alice_gone" not in names
    assert list(selectors.user_search(query="  ", viewer=None)) == []
    assert len(selectors.user_search(query="a", viewer=None, limit=1)) == 1


def test_it_hides_blocked_users_from_search(alice, bob):
    from accounts.models import Block

    Block.objects.create(blocker=alice, blocked=bob)
    assert "alice" not in [u.username for u in selectors.user_search(query="alice", viewer=bob)]


def test_it_gets_users_by_username_case_insensitively(alice):
    assert selectors.user_get_by_username(username="@ALICE") == alice
    assert selectors.user_get_by_username(username="Alice") == alice
    for name in ("nobody", "", None, "ali\x00ce", "@"):
        with pytest.raises(domain.NotFound) as exc:
            selectors.user_get_by_username(username=name)
        assert (exc.value.message, exc.value.code) == ("No such user.", "not_found")


def test_it_finds_by_username_only_accounts_others_can_see(alice, bob, moderator):
    """Deleted, deactivated and permanently banned accounts are not found; a suspension ends."""
    charlie, dana = UserFactory(username="charlie"), UserFactory(username="dana")
    services.user_delete(user=alice)
    services.user_ban(user=bob, by=moderator, reason="spam")
    User.objects.filter(pk=charlie.pk).update(is_active=False)
    services.user_ban(user=dana, by=moderator, until=timezone.now() + timedelta(days=1), reason="cool off")
    for name in ("alice", "bob", "charlie"):
        with pytest.raises(domain.NotFound):
            selectors.user_get_by_username(username=name)
    assert selectors.user_get_by_username(username="dana") == dana
    names = ["ALICE", "@bob", "charlie", "Dana", "moderator", "ghost", "x\x00"]
    found = selectors.users_get_by_usernames(usernames=[*names, moderator.username])
    assert sorted(u.username for u in found) == sorted(["dana", moderator.username])


def test_it_verifies_email_with_an_allauth_key(alice):
    from allauth.account.models import EmailConfirmationHMAC

    address = EmailAddress.objects.create(user=alice, email=alice.email, primary=True, verified=False)
    key = EmailConfirmationHMAC(address).key
    services.email_address_verify(key=key)
    address.refresh_from_db()
    assert address.verified
    with pytest.raises(domain.InvalidInput):
        services.email_address_verify(key=key)  # used
    with pytest.raises(domain.InvalidInput):
        services.email_address_verify(key="garbage")


def test_it_counts_with_a_floor_of_zero(alice):
    services.user_counter_add(user_id=alice.pk, field="posts_count", delta=-5)
    alice.refresh_from_db()
    assert alice.posts_count == 0
    with pytest.raises(ValueError):
        services.user_counter_add(user_id=alice.pk, field="is_staff", delta=1)


def test_it_creates_demo_users_idempotently(capsys):
    import io

    from accounts import demo

    out = io.StringIO()
    demo.seed(context={}, stdout=out)
    demo.seed(context={}, stdout=out)
    assert User.objects.filter(username="admin", is_superuser=True).count() == 1
    assert EmailAddress.objects.filter(user__username="alice", verified=True).exists()


def test_it_names_the_taken_field_when_losing_a_registration_race(alice, monkeypatch):
    from accounts.services import users

    check = users._check_identity_free
    calls = []

    def racing_check(**kwargs):
        calls.append(kwargs)
        if len(calls) > 1:  # the first check ran before the other registration committed
            check(**kwargs)

    monkeypatch.setattr(users, "_check_identity_free", racing_check)
    with pytest.raises(domain.InvalidInput) as exc:
        services.user_create(username="newcomer", email="ALICE@example.com", password=None)
    assert exc.value.field_errors == {"email": ["A user with that email address already exists."]}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers without row locks")
def test_it_locks_the_authenticators_while_using_up_a_recovery_code(alice):
    from django.test.utils import CaptureQueriesContext

    secret, _uri = services.totp_setup_begin(user=alice)
    codes = services.totp_setup_confirm(user=alice, code=totp_now(secret))
    with CaptureQueriesContext(connection) as queries:
        assert services.mfa_code_verify(user=alice, code=codes[0])
    assert any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)
    assert not services.mfa_code_verify(user=alice, code=codes[0])
