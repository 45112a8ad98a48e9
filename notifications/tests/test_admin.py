import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from notifications import services
from notifications.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_it_lists_notifications_with_filters_and_search(admin_client, alice, bob, target):
    services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    services.notify(recipient=bob, kind="mention", actor=alice, target=target)
    url = "/admin/notifications/notification/"
    assert admin_client.get(url).status_code == 200
    page = admin_client.get(url, {"kind": "reply", "read": "no", "q": "alice"}).content.decode()
    assert "result" in page
    assert ">reply<" in page or "Reply to your post" in page
    assert admin_client.get(url, {"read": "yes"}).status_code == 200


def test_it_retries_failed_deliveries(admin_client, alice, bob, target, django_capture_on_commit_callbacks):
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    delivery = n.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, attempts=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/notifications/delivery/", {"action": "retry", "_selected_action": [delivery.pk]}
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("model", ["delivery", "pushdevice", "preference", "notificationsettings", "followerfanout"])
def test_it_shows_the_other_changelists(admin_client, model):
    assert admin_client.get(f"/admin/notifications/{model}/").status_code == 200
