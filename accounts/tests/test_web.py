"""Server-rendered pages: allauth's in our layout, the Studio account page, emails' links."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_it_renders_allauth_pages_in_the_site_layout(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert b"Social<span>Flow</span>" in response.content
    assert b"socialflow/base.css" in response.content


def test_it_renders_the_mfa_pages_for_a_logged_in_user(client, alice):
    client.force_login(alice)
    response = client.get(reverse("mfa_index"))
    assert response.status_code == 200 and b"Social<span>Flow</span>" in response.content


def test_it_logs_in_on_the_web_and_refuses_banned_users(client, alice, moderator):
    response = client.post(reverse("account_login"), {"login": "alice", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    client.logout()
    services.user_ban(user=alice, by=moderator, reason="spam")
    response = client.post(reverse("account_login"), {"login": "alice", "password": DEFAULT_PASSWORD})
    assert response.status_code == 403 and b"suspended" in response.content


def test_it_ends_the_web_session_of_a_banned_user(client, alice, moderator):
    client.force_login(alice)
    assert client.get(reverse("accounts:index")).status_code == 200
    services.user_ban(user=alice, by=moderator, reason="spam")
    assert client.get(reverse("accounts:index")).status_code == 302


def test_it_requires_login_for_the_studio_account_page(client):
    response = client.get(reverse("accounts:index"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_saves_the_profile_from_the_studio(client, alice):
    client.force_login(alice)
    page = client.get(reverse("accounts:index"))
    assert b"Change password" in page.content and b"two-factor" in page.content.lower()
    response = client.post(
        reverse("accounts:index"),
        {"display_name": "Alice S.", "bio": "bio", "links": "https://a.example\nhttps://b.example", "is_private": "on"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.display_name == "Alice S." and alice.links == ["https://a.example", "https://b.example"]
    assert alice.is_private


def test_it_shows_studio_form_errors(client, alice):
    client.force_login(alice)
    response = client.post(reverse("accounts:index"), {"links": "ftp://nope.example"})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.links == []


def test_it_sends_reset_emails_from_the_web_form_with_site_url_links(client, alice, mailoutbox, settings):
    client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    (message,) = mailoutbox
    assert f"{settings.SITE_URL}/accounts/password/reset/key/" in message.body
    assert message.subject == "[Social Flow] Reset your password"


def test_it_signs_up_on_the_web_with_our_email(client, mailoutbox, settings):
    password = "Web-signup-pass-77"
    response = client.post(
        reverse("account_signup"),
        {"email": "web@example.com", "username": "webuser", "password1": password, "password2": password},
    )
    assert response.status_code == 302
    (message,) = mailoutbox
    assert f"{settings.SITE_URL}/accounts/confirm-email/" in message.body
    assert message.alternatives


@pytest.mark.parametrize("username", ["admin", "Support", "deleted_abc"])
def test_it_refuses_reserved_usernames_on_the_web(client, username):
    password = "Web-signup-pass-77"
    response = client.post(
        reverse("account_signup"),
        {"email": "web@example.com", "username": username, "password1": password, "password2": password},
    )
    assert response.status_code == 200  # the form again
    from accounts.models import User

    assert not User.objects.filter(email="web@example.com").exists()
