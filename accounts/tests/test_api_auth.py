import re
from datetime import timedelta
from urllib.parse import unquote, urlsplit

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from accounts import services
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import last_email_links, totp_now
from conftest import bearer_client

pytestmark = pytest.mark.django_db
STRONG = "a-Sturdy-passphrase-42"
API = "/api/v1/"


def post(client, path, data=None, **kwargs):
    return client.post(f"{API}{path}", data, format="json", **kwargs)


def login(client, **data):
    return post(client, "auth/token", {"password": DEFAULT_PASSWORD, **data})


# --- registration and email verification ---------------------------------------------------------


def test_it_registers_and_verifies_by_api_and_by_the_emailed_link(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api_client, "auth/register", {"username": "dana", "email": "dana@example.com", "password": STRONG}
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "dana" and body["email_verified"] is False and isinstance(body["id"], str)
    assert "password" not in body
    (link,) = [link for link in last_email_links("dana@example.com") if "/accounts/confirm-email/" in link]
    assert link.startswith(f"{settings.SITE_URL}/accounts/confirm-email/")
    key = unquote(urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1])
    # the emailed page works…
    page = api_client.get(urlsplit(link).path)
    assert page.status_code == 200
    # …and so does the API with the same key
    response = post(api_client, "auth/email/verify", {"key": key})
    assert response.status_code == 200, response.json()
    assert EmailAddress.objects.get(email="dana@example.com").verified
    assert post(api_client, "auth/email/verify", {"key": key}).status_code == 400


def test_it_sends_a_text_and_html_verification_email(api_client, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        post(api_client, "auth/register", {"username": "dana", "email": "dana@example.com", "password": STRONG})
    (message,) = mailoutbox
    assert message.subject.startswith("[Social Flow] ")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "confirm-email" in html and "dana" in html


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "ALICE", "email": "x@example.com", "password": STRONG}, "username"),
        ({"username": "newone", "email": "Alice@EXAMPLE.com", "password": STRONG}, "email"),
        ({"username": "newone", "email": "x@example.com", "password": "password1"}, "password"),
        ({"username": "newone", "email": "x@example.com", "password": "newone12"}, "password"),
        ({"username": "new one", "email": "x@example.com", "password": STRONG}, "username"),
        ({"username": "newone", "email": "not-an-email", "password": STRONG}, "email"),
        ({"username": "newone", "email": "x@example.com", "password": 12345678}, "password"),
        ({"username": "newone", "email": "x@example.com", "password": ["a", "b"]}, "password"),
        ({"username": 42, "email": "x@example.com", "password": STRONG}, "username"),
        ({"username": "newone", "email": ["x@example.com"], "password": STRONG}, "email"),
        ({"email": "x@example.com", "password": STRONG}, "username"),
    ],
)
def test_it_rejects_bad_registrations_with_field_errors(api_client, alice, payload, field):
    response = post(api_client, "auth/register", payload)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("path", ["auth/register", "auth/token", "auth/password/reset", "auth/password/reset/confirm"])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"x"', "application/json"),
        ("", "application/json"),
    ],
)
def test_it_answers_malformed_bodies_with_400(api_client, path, body, content_type):
    response = api_client.post(f"{API}{path}", body, content_type=content_type)
    assert response.status_code == 400, (path, body, response.content)
    assert response.json()


def test_it_answers_a_huge_body_with_413(api_client):
    body = '{"username": "' + "x" * (3 * 1024 * 1024) + '"}'
    response = api_client.post(f"{API}auth/token", body, content_type="application/json")
    assert response.status_code == 413


def test_it_accepts_both_slash_forms(api_client):
    assert api_client.post(f"{API}auth/token/", {}, format="json").status_code == 400
    assert api_client.post(f"{API}auth/token", {}, format="json").status_code == 400


# --- login -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    [{"username": "alice"}, {"username": "ALICE"}, {"email": "ALICE@example.com"}, {"username": "alice@example.com"}],
)
def test_it_logs_in_by_username_or_email(api_client, alice, identifier):
    response = login(api_client, **identifier)
    assert response.status_code == 200, response.json()
    tokens = response.json()
    client = bearer_client(alice)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get(f"{API}me").json()["username"] == "alice"


@pytest.mark.parametrize(
    "data", [{"username": "alice", "password": "wrong"}, {"username": "ghost", "password": "wrong"}]
)
def test_it_answers_wrong_credentials_identically(api_client, alice, data):
    response = post(api_client, "auth/token", data)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "No active account found with the given credentials.",
        "code": "invalid_credentials",
    }


def test_it_requires_and_checks_the_second_factor(api_client, alice):
    secret, _ = services.totp_setup_begin(user=alice)
    codes = services.totp_setup_confirm(user=alice, code=totp_now(secret))
    response = login(api_client, username="alice")
    assert response.status_code == 401 and response.json()["code"] == "otp_required"
    response = login(api_client, username="alice", otp="000000" if totp_now(secret) != "000000" else "999999")
    assert response.status_code == 401 and response.json()["code"] == "otp_invalid"
    # the code used to confirm the setup cannot be replayed; the next one works, once
    assert login(api_client, username="alice", otp=totp_now(secret)).json()["code"] == "otp_invalid"
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        assert login(api_client, username="alice", otp=totp_now(secret)).status_code == 200
        assert login(api_client, username="alice", otp=totp_now(secret)).json()["code"] == "otp_invalid"
    assert login(api_client, username="alice", otp=codes[0]).status_code == 200
    assert login(api_client, username="alice", otp=codes[0]).json()["code"] == "otp_invalid"
    # the second factor is never checked before the password
    assert login(api_client, username="alice", password="wrong").json()["code"] == "invalid_credentials"


def test_it_refuses_a_banned_user_with_the_reason_and_restores_on_unban(api_client, alice, moderator):
    client = bearer_client(alice)
    services.user_ban(user=alice, by=moderator, until=timezone.now() + timedelta(days=7), reason="spam links")
    response = login(api_client, username="alice")
    assert response.status_code == 403
    assert response.json()["code"] == "banned" and "spam links" in response.json()["detail"]
    # an access token issued before the ban stops working on every request
    response = client.get(f"{API}me")
    assert response.status_code == 403 and response.json()["code"] == "banned"
    assert client.get(f"{API}users/bob").status_code in (403, 404)
    services.user_unban(user=alice, by=moderator)
    assert client.get(f"{API}me").status_code == 200
    assert login(api_client, username="alice").status_code == 200


def test_it_refuses_a_deleted_user(api_client, alice):
    client = bearer_client(alice)
    assert client.delete(f"{API}me").status_code == 204
    assert login(api_client, username="alice").status_code == 401
    assert client.get(f"{API}me").status_code == 401


# --- tokens ----------------------------------------------------------------------------------------


def test_it_rotates_refresh_tokens_and_rejects_reuse(api_client, alice):
    tokens = login(api_client, username="alice").json()
    response = post(api_client, "auth/token/refresh", {"refresh": tokens["refresh"]})
    assert response.status_code == 200
    rotated = response.json()
    assert set(rotated) == {"access", "refresh"} and rotated["refresh"] != tokens["refresh"]
    response = post(api_client, "auth/token/refresh", {"refresh": tokens["refresh"]})
    assert response.status_code == 401 and response.json()["code"] == "token_not_valid"
    assert post(api_client, "auth/token/refresh", {"refresh": rotated["refresh"]}).status_code == 200


@pytest.mark.parametrize("refresh", ["garbage", "", 123, None])
def test_it_rejects_bad_refresh_tokens(api_client, refresh):
    assert post(api_client, "auth/token/refresh", {"refresh": refresh}).status_code in (400, 401)


def test_it_logs_out_by_revoking_the_refresh_token(api_client, alice):
    tokens = login(api_client, username="alice").json()
    client = bearer_client(alice)
    assert post(client, "auth/logout", {"refresh": tokens["refresh"]}).status_code == 204
    assert post(api_client, "auth/token/refresh", {"refresh": tokens["refresh"]}).status_code == 401


def test_it_does_not_let_one_user_revoke_anothers_token(api_client, alice, bob):
    tokens = login(api_client, username="alice").json()
    assert post(bearer_client(bob), "auth/logout", {"refresh": tokens["refresh"]}).status_code == 401
    assert post(api_client, "auth/token/refresh", {"refresh": tokens["refresh"]}).status_code == 200


def test_it_requires_authentication_to_log_out(api_client, alice):
    tokens = login(api_client, username="alice").json()
    assert post(api_client, "auth/logout", {"refresh": tokens["refresh"]}).status_code == 401


# --- password reset and change ---------------------------------------------------------------------


def test_it_resets_the_password_end_to_end(api_client, alice, django_capture_on_commit_callbacks, mailoutbox):
    old = login(api_client, username="alice").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_client, "auth/password/reset", {"email": "ALICE@example.com"})
    assert response.status_code == 202
    (message,) = mailoutbox
    assert message.to == ["alice@example.com"] and message.subject.startswith("[Social Flow] ")
    assert message.alternatives and "password/reset/key/" in message.alternatives[0][0]
    (link,) = [link for link in last_email_links() if "/password/reset/key/" in link]
    uid, token = re.search(r"/password/reset/key/([0-9a-z]+)-(.+?)/?$", link).groups()
    # the emailed page works in a browser too
    assert api_client.get(urlsplit(link).path, follow=True).status_code == 200
    response = post(api_client, "auth/password/reset/confirm", {"uid": uid, "token": token, "new_password": "weak"})
    assert response.status_code == 400 and "new_password" in response.json()
    response = post(api_client, "auth/password/reset/confirm", {"uid": uid, "token": token, "new_password": STRONG})
    assert response.status_code == 200, response.json()
    # single use
    response = post(
        api_client, "auth/password/reset/confirm", {"uid": uid, "token": token, "new_password": "Other-pass-99x"}
    )
    assert response.status_code == 400 and "token" in response.json()
    # old sessions are gone, the new password works
    assert post(api_client, "auth/token/refresh", {"refresh": old["refresh"]}).status_code == 401
    stale = bearer_client(alice)
    stale.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    assert stale.get(f"{API}me").status_code == 401
    assert login(api_client, username="alice", password=STRONG).status_code == 200


def test_it_answers_202_for_unknown_emails_without_leaking(api_client, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_client, "auth/password/reset", {"email": "nobody@example.com"})
    assert response.status_code == 202
    assert response.json()["detail"].startswith("If an account")
    assert all("password/reset/key" not in m.body for m in mailoutbox)


@pytest.mark.parametrize("email", ["not an email", "a@", "x" * 250 + "@b.co"])
def test_it_rejects_a_reset_for_something_that_is_not_an_email(
    api_client, email, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_client, "auth/password/reset", {"email": email})
    assert response.status_code == 400 and "email" in response.json()
    assert mailoutbox == []


def test_it_changes_the_password(alice):
    client = bearer_client(alice)
    response = post(client, "auth/password/change", {"old_password": "wrong", "new_password": STRONG})
    assert response.status_code == 400 and "old_password" in response.json()
    response = post(client, "auth/password/change", {"old_password": DEFAULT_PASSWORD, "new_password": "alice123"})
    assert response.status_code == 400 and "new_password" in response.json()
    response = post(client, "auth/password/change", {"old_password": DEFAULT_PASSWORD, "new_password": STRONG})
    assert response.status_code == 200
    fresh = response.json()
    assert client.get(f"{API}me").status_code == 401  # the old access token is revoked
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    assert client.get(f"{API}me").status_code == 200


def test_it_requires_authentication_to_change_the_password(api_client):
    response = post(api_client, "auth/password/change", {"old_password": "a", "new_password": "b"})
    assert response.status_code == 401


# --- two-factor setup ------------------------------------------------------------------------------


def test_it_sets_up_and_disables_totp_over_the_api(alice, api_client):
    client = bearer_client(alice)
    response = post(client, "auth/2fa/totp")
    assert response.status_code == 200
    secret = response.json()["secret"]
    assert response.json()["otpauth_uri"].startswith("otpauth://totp/")
    assert post(client, "auth/2fa/totp/confirm", {"code": "abc"}).status_code == 400
    response = post(client, "auth/2fa/totp/confirm", {"code": totp_now(secret)})
    assert response.status_code == 200
    codes = response.json()["recovery_codes"]
    assert post(client, "auth/2fa/totp").status_code == 409
    assert client.get(f"{API}me").json()["two_factor_enabled"] is True
    assert client.delete(f"{API}auth/2fa/totp", {"code": "000"}, format="json").status_code == 400
    assert client.delete(f"{API}auth/2fa/totp", {"code": codes[0]}, format="json").status_code == 204
    assert login(api_client, username="alice").status_code == 200
    assert post(api_client, "auth/2fa/totp").status_code == 401


def test_it_refuses_two_factor_until_the_email_is_verified(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(api_client, "auth/register", {"username": "dana", "email": "dana@example.com", "password": STRONG})
    client = bearer_client(services.user_authenticate(login="dana", password=STRONG))
    response = post(client, "auth/2fa/totp")
    assert response.status_code == 403 and response.json()["code"] == "email_unverified"
    (link,) = [link for link in last_email_links() if "/confirm-email/" in link]
    key = unquote(urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1])
    assert post(api_client, "auth/email/verify", {"key": key}).status_code == 200
    assert post(client, "auth/2fa/totp").status_code == 200


# --- throttling ------------------------------------------------------------------------------------


@pytest.fixture
def tight_rates(settings):
    rates = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "login": "3/min",
        "register": "2/min",
        "password_reset": "2/min",
    }
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_it_throttles_login_by_identifier_across_ips(api_client, alice, tight_rates):
    for i in range(3):
        assert (
            post(
                api_client, "auth/token", {"username": "alice", "password": "x"}, REMOTE_ADDR=f"10.0.0.{i}"
            ).status_code
            == 401
        )
    response = post(api_client, "auth/token", {"username": "ALICE", "password": "x"}, REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["code"] == "throttled"
    # another account from a fresh IP is unaffected
    assert (
        post(api_client, "auth/token", {"username": "bob", "password": "x"}, REMOTE_ADDR="10.0.1.1").status_code == 401
    )


def test_it_throttles_login_by_ip(api_client, tight_rates):
    for i in range(3):
        post(api_client, "auth/token", {"username": f"user{i}x", "password": "x"})
    assert post(api_client, "auth/token", {"username": "other", "password": "x"}).status_code == 429


def test_it_throttles_registration_and_reset(api_client, tight_rates):
    for _ in range(2):
        post(api_client, "auth/register", {"username": "x"})
        post(api_client, "auth/password/reset", {"email": "a@example.com"})
    assert post(api_client, "auth/register", {"username": "x"}).status_code == 429
    response = post(api_client, "auth/password/reset", {"email": "b@example.com"})
    assert response.status_code == 429 and "Retry-After" in response


def test_it_lets_a_reset_be_confirmed_after_asking_for_emails_up_to_the_limit(
    api_client, alice, tight_rates, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert post(api_client, "auth/password/reset", {"email": "alice@example.com"}).status_code == 202
    (link, *_) = [link for link in last_email_links() if "/password/reset/key/" in link]
    uid, token = re.search(r"/password/reset/key/([0-9a-z]+)-(.+?)/?$", link).groups()
    response = post(api_client, "auth/password/reset/confirm", {"uid": uid, "token": token, "new_password": STRONG})
    assert response.status_code == 200, response.json()


def test_it_keeps_email_verification_attempts_apart_from_login_attempts(api_client, alice, tight_rates):
    for _ in range(3):
        assert post(api_client, "auth/email/verify", {"key": "bad"}).status_code == 400
    assert post(api_client, "auth/email/verify", {"key": "bad"}).status_code == 429
    assert login(api_client, username="alice").status_code == 200


def test_it_does_not_500_on_odd_login_payloads(api_client, alice):
    for payload in [
        {"username": ["alice"], "password": DEFAULT_PASSWORD},
        {"username": "alice", "password": {"x": 1}},
        {"username": "alice", "password": True},
        {"username": "alice", "password": DEFAULT_PASSWORD, "otp": 123456},
        {"username": None, "password": DEFAULT_PASSWORD},
        {"password": DEFAULT_PASSWORD},
        {"username": "x" * 1000, "password": "y"},
    ]:
        response = post(api_client, "auth/token", payload)
        assert response.status_code == 400, (payload, response.status_code)


def test_it_keeps_users_independent(api_client):
    UserFactory(username="erin")
    assert login(api_client, username="erin").status_code == 200


def test_it_counts_attempts_per_window(alice, tight_rates):
    from rest_framework.test import APIRequestFactory

    from accounts.api.throttles import LoginIPThrottle

    request = APIRequestFactory().post("/", REMOTE_ADDR="10.9.9.9")
    results = [LoginIPThrottle().allow_request(request, None) for _ in range(5)]
    assert results == [True, True, True, False, False]


def test_it_ignores_client_sent_forwarded_for_when_throttling(api_client, tight_rates):
    for i in range(3):
        post(api_client, "auth/token", {"username": f"u{i}", "password": "x"}, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}")
    response = post(api_client, "auth/token", {"username": "u9", "password": "x"}, HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert response.status_code == 429


def test_it_regenerates_recovery_codes(alice, api_client):
    client = bearer_client(alice)
    secret, _ = services.totp_setup_begin(user=alice)
    old_codes = services.totp_setup_confirm(user=alice, code=totp_now(secret))
    assert post(client, "auth/2fa/recovery-codes", {"code": "123"}).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        response = post(client, "auth/2fa/recovery-codes", {"code": totp_now(secret)})
    assert response.status_code == 200
    new_codes = response.json()["recovery_codes"]
    assert set(new_codes) != set(old_codes)
    assert login(api_client, username="alice", otp=old_codes[0]).json()["code"] == "otp_invalid"
    assert login(api_client, username="alice", otp=new_codes[0]).status_code == 200
    assert post(api_client, "auth/2fa/recovery-codes", {"code": "1"}).status_code == 401
    assert post(bearer_client(UserFactory()), "auth/2fa/recovery-codes", {"code": "123456"}).status_code == 400


def test_it_resends_the_verification_email(alice, api_client, django_capture_on_commit_callbacks, mailoutbox):
    EmailAddress.objects.create(user=alice, email=alice.email, primary=True, verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(bearer_client(alice), "auth/email/resend")
    assert response.status_code == 202
    (message,) = mailoutbox
    assert message.to == [alice.email] and "confirm-email" in message.body
    assert post(api_client, "auth/email/resend").status_code == 401


def test_it_enforces_mandatory_verification_when_configured(api_client, alice, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    EmailAddress.objects.create(user=alice, email=alice.email, primary=True, verified=False)
    response = login(api_client, username="alice")
    assert response.status_code == 403 and response.json()["code"] == "email_unverified"
    EmailAddress.objects.filter(user=alice).update(verified=True)
    assert login(api_client, username="alice").status_code == 200
