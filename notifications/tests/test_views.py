import pytest
from django.urls import reverse

from notifications import selectors, services
from notifications.forms import field_name
from notifications.models import Channel, EmailMode, Kind, Notification

pytestmark = pytest.mark.django_db


def test_it_requires_login_for_the_settings_page(client):
    response = client.get(reverse("notifications:index"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_shows_the_preferences_grid(client, alice):
    client.force_login(alice)
    response = client.get("/studio/notifications/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="like_post__email"' in page
    assert 'name="mention__email" id="id_mention__email" checked' in page


def test_it_saves_the_preferences_grid(client, alice):
    client.force_login(alice)
    data = {"email_mode": "digest"}
    for kind in Kind:
        for channel in Channel:
            if channel != Channel.PUSH:
                data[field_name(kind.value, channel.value)] = "on"
    response = client.post(reverse("notifications:index"), data)
    assert response.status_code == 302
    prefs = selectors.preferences_for(user_id=alice.pk)
    assert prefs["like_post"].email is True
    assert prefs["mention"].push is False
    assert prefs["new_post"].in_app is True
    assert selectors.email_mode_for(user_id=alice.pk) == EmailMode.DIGEST


def test_it_rejects_a_bad_email_mode(client, alice):
    client.force_login(alice)
    response = client.post(reverse("notifications:index"), {"email_mode": "hourly"})
    assert response.status_code == 200
    assert selectors.email_mode_for(user_id=alice.pk) == EmailMode.IMMEDIATE


def test_it_lists_the_studio_section(client, alice):
    client.force_login(alice)
    assert b"/studio/notifications/" in client.get("/studio/").content


def test_it_shows_the_inbox_and_marks_all_read(client, alice, bob, target):
    services.notify(recipient=alice, kind="reply", actor=bob, target=target, data={"excerpt": "hello there"})
    client.force_login(alice)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "Bob replied to your post" in page
    assert "hello there" in page
    client.post(reverse("notifications:inbox"), {"action": "mark_all_read"})
    assert selectors.unread_count(user_id=alice.pk) == 0


def test_it_deletes_from_the_inbox_only_my_rows(client, alice, bob, target):
    mine = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    theirs = services.notify(recipient=bob, kind="reply", actor=alice, target=target)
    client.force_login(alice)
    assert client.post(reverse("notifications:inbox-delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:inbox-delete", args=[mine.pk])).status_code == 302
    assert list(Notification.objects.values_list("pk", flat=True)) == [theirs.pk]


@pytest.mark.parametrize("next_url", ["https://evil.example.com/", "//evil.example.com/x", "javascript:alert(1)"])
def test_it_never_redirects_off_site_after_deleting(client, alice, bob, target, next_url):
    mine = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    client.force_login(alice)
    response = client.post(reverse("notifications:inbox-delete", args=[mine.pk]), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:inbox")


def test_it_goes_back_to_the_filtered_inbox_after_deleting(client, alice, bob, target):
    mine = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    client.force_login(alice)
    back = reverse("notifications:inbox") + "?kind=reply&unread=1"
    assert client.post(reverse("notifications:inbox-delete", args=[mine.pk]), {"next": back})["Location"] == back


def test_it_serves_the_push_service_worker(client):
    response = client.get(reverse("notifications:service-worker"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"showNotification" in response.content
