import json
import smtplib
from datetime import timedelta
from unittest import mock

import jwt as pyjwt
import pytest
import requests
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core import mail
from django.utils import timezone
from py_vapid import Vapid02
from pywebpush import WebPushException

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from notifications import selectors, services, tasks
from notifications.lib import push
from notifications.models import Delivery, EmailMode, FanOutChunk, FollowerFanOut, Notification, PushDevice
from notifications.tests.factories import DeliveryFactory, FcmDeviceFactory, NotificationFactory, WebPushDeviceFactory
from notifications.tests.h2_standin import H2StandIn

pytestmark = pytest.mark.django_db


def _notify(capture, **kwargs):
    with capture(execute=True):
        return services.notify(**kwargs)


# --- immediate email ---------------------------------------------------------------------------------


def test_it_emails_with_links_and_one_click_unsubscribe(alice, bob, target, django_capture_on_commit_callbacks):
    n = _notify(
        django_capture_on_commit_callbacks,
        recipient=alice,
        kind="mention",
        actor=bob,
        target=target,
        data={"url": "/posts/42", "excerpt": "hey @alice <b>look</b>"},
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.email]
    assert message.subject == "Bob mentioned you"
    assert "https://sf.example.com/posts/42" in message.body
    assert "hey @alice <b>look</b>" in message.body
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert 'href="https://sf.example.com/posts/42"' in html
    assert "&lt;b&gt;look&lt;/b&gt;" in html
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("https://sf.example.com/studio/notifications/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in message.body
    assert unsubscribe in html
    assert "https://sf.example.com/studio/notifications/" in message.body
    delivery = n.deliveries.get()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    assert alice.email in delivery.result


def test_it_unsubscribes_in_one_click_from_the_email_header(
    alice, bob, target, client, django_capture_on_commit_callbacks
):
    _notify(django_capture_on_commit_callbacks, recipient=alice, kind="mention", actor=bob, target=target)
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>").replace("https://sf.example.com", "")
    page = client.get(url)  # link scanners GET; nothing changes yet
    assert page.status_code == 200
    assert b"Unsubscribe" in page.content
    assert selectors.channels_for(user_id=alice.pk, kind="mention").email is True
    response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert selectors.channels_for(user_id=alice.pk, kind="mention").email is False
    assert selectors.channels_for(user_id=alice.pk, kind="reply").email is True


def test_it_unsubscribes_from_all_email_through_the_footer_link(
    alice, bob, target, client, django_capture_on_commit_callbacks
):
    _notify(django_capture_on_commit_callbacks, recipient=alice, kind="mention", actor=bob, target=target)
    body = mail.outbox[0].body
    line = next(line for line in body.splitlines() if line.startswith("Stop all notification emails:"))
    url = line.split(": ", 1)[1].replace("https://sf.example.com", "")
    assert client.post(url).status_code == 200
    assert selectors.email_mode_for(user_id=alice.pk) == EmailMode.OFF


def test_it_rejects_a_tampered_unsubscribe_link(client):
    assert client.post("/studio/notifications/unsubscribe/not-a-token/").status_code == 400


def test_it_does_not_email_likes_by_default(alice, bob, target, django_capture_on_commit_callbacks):
    _notify(django_capture_on_commit_callbacks, recipient=alice, kind="like_post", actor=bob, target=target)
    assert mail.outbox == []


def test_it_skips_email_turned_off_after_queueing(alice, bob, target):
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    services.preferences_update(user=alice, kinds={"reply": {"email": False}})
    tasks.send_deliveries(list(n.deliveries.values_list("pk", flat=True)))
    assert mail.outbox == []
    assert n.deliveries.get().status == Delivery.Status.SKIPPED


def test_it_sends_a_delivery_once(alice, bob, target):
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    ids = list(n.deliveries.values_list("pk", flat=True))
    tasks.send_deliveries(ids)
    tasks.send_deliveries(ids)
    assert len(mail.outbox) == 1


def test_it_records_a_failed_send_and_retries_later(alice, bob, target):
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    delivery = n.deliveries.get()
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", autospec=True, side_effect=smtplib.SMTPServerDisconnected("x")
    ):
        tasks.send_deliveries([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1
    assert "SMTPServerDisconnected" in delivery.result
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert tasks.redrive_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert len(mail.outbox) == 1


def test_it_gives_up_after_the_attempt_budget(alice, bob, target):
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    delivery = n.deliveries.get()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", autospec=True, side_effect=OSError("down")):
        for _ in range(services.MAX_DELIVERY_ATTEMPTS):
            tasks.send_deliveries([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == services.MAX_DELIVERY_ATTEMPTS


def test_it_redrives_rows_stuck_in_sending(alice):
    delivery = DeliveryFactory(notification=NotificationFactory(recipient=alice), status=Delivery.Status.SENDING)
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        tasks.redrive_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert len(mail.outbox) == 1


# --- digest ------------------------------------------------------------------------------------------


def test_it_collects_digest_emails_into_one_daily_message(alice, bob, charlie, target):
    services.preferences_update(user=alice, email_mode=EmailMode.DIGEST)
    services.notify(recipient=alice, kind="reply", actor=bob, target=target, data={"url": "/posts/1"})
    services.notify(recipient=alice, kind="mention", actor=charlie, target=target, data={"url": "/posts/2"})
    read = services.notify(recipient=alice, kind="mention", actor=bob, target=target)
    services.notifications_mark_read(user=alice, ids=[read.pk])
    assert mail.outbox == []
    assert tasks.send_daily_digests() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Your Social Flow digest: 2 new notifications"
    assert "Bob replied to your post" in message.body
    assert "https://sf.example.com/posts/2" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    statuses = sorted(Delivery.objects.values_list("status", flat=True))
    assert statuses == ["sent", "sent", "skipped"]
    assert tasks.send_daily_digests() == 0
    assert len(mail.outbox) == 1


def test_it_sends_no_digest_after_email_was_turned_off(alice, bob, target):
    services.preferences_update(user=alice, email_mode=EmailMode.DIGEST)
    services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    services.preferences_update(user=alice, email_mode=EmailMode.OFF)
    tasks.send_daily_digests()
    assert mail.outbox == []
    assert Delivery.objects.get().status == Delivery.Status.SKIPPED


def test_it_keeps_digest_rows_when_sending_fails(alice, bob, target):
    services.preferences_update(user=alice, email_mode=EmailMode.DIGEST)
    services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", autospec=True, side_effect=OSError("down")):
        tasks.send_daily_digests()
    assert Delivery.objects.get().status == Delivery.Status.DIGEST
    tasks.send_daily_digests()
    assert len(mail.outbox) == 1


def test_it_schedules_the_digest_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-daily-digest"]
    assert entry["task"] == "notifications.tasks.send_daily_digests"


# --- web push ----------------------------------------------------------------------------------------


@pytest.fixture
def vapid_key():
    key = Vapid02()
    key.generate_keys()
    return key


@pytest.fixture
def vapid(settings, vapid_key):
    settings.WEBPUSH_VAPID_PRIVATE_KEY = vapid_key.private_pem().decode()
    settings.WEBPUSH_VAPID_SUBJECT = "mailto:ops@example.com"


def _gone(status):
    response = requests.Response()
    response.status_code = status
    return WebPushException("Push failed", response=response)


def test_it_sends_web_push_to_subscribed_browsers(
    alice, bob, target, vapid, vapid_key, django_capture_on_commit_callbacks
):
    device = WebPushDeviceFactory(user=alice)
    with mock.patch("notifications.lib.push.webpush", autospec=True) as webpush:
        n = _notify(
            django_capture_on_commit_callbacks,
            recipient=alice,
            kind="mention",
            actor=bob,
            target=target,
            data={"url": "/posts/7"},
        )
    webpush.assert_called_once()
    kwargs = webpush.call_args.kwargs
    assert kwargs["subscription_info"] == {
        "endpoint": device.token,
        "keys": {"p256dh": device.p256dh, "auth": device.auth},
    }
    assert kwargs["vapid_private_key"].public_key.public_numbers() == vapid_key.public_key.public_numbers()
    assert kwargs["vapid_claims"] == {"sub": "mailto:ops@example.com"}
    payload = json.loads(kwargs["data"])
    assert payload["text"] == "Bob mentioned you"
    assert payload["url"] == "https://sf.example.com/posts/7"
    assert payload["id"] == str(n.pk)
    assert n.deliveries.get(channel="push").status == Delivery.Status.SENT
    device.refresh_from_db()
    assert device.last_used_at is not None


@pytest.mark.parametrize("status", [404, 410])
def test_it_deletes_expired_subscriptions(alice, bob, target, vapid, status):
    WebPushDeviceFactory(user=alice)
    n = services.notify(recipient=alice, kind="mention", actor=bob, target=target)
    with mock.patch("notifications.lib.push.webpush", autospec=True, side_effect=_gone(status)):
        tasks.send_deliveries([n.deliveries.get(channel="push").pk])
    assert not PushDevice.objects.exists()
    delivery = n.deliveries.get(channel="push")
    assert delivery.status == Delivery.Status.FAILED
    assert "gone" in delivery.result


def test_it_retries_push_on_server_errors(alice, bob, target, vapid):
    WebPushDeviceFactory(user=alice)
    n = services.notify(recipient=alice, kind="mention", actor=bob, target=target)
    with mock.patch("notifications.lib.push.webpush", autospec=True, side_effect=_gone(503)):
        tasks.send_deliveries([n.deliveries.get(channel="push").pk])
    assert PushDevice.objects.count() == 1
    assert n.deliveries.get(channel="push").status == Delivery.Status.PENDING


def test_it_reports_web_push_disabled_without_vapid_keys(alice, bob, target, settings):
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    WebPushDeviceFactory(user=alice)
    n = services.notify(recipient=alice, kind="mention", actor=bob, target=target)
    with mock.patch("notifications.lib.push.webpush", autospec=True) as webpush:
        tasks.send_deliveries([n.deliveries.get(channel="push").pk])
    webpush.assert_not_called()
    delivery = n.deliveries.get(channel="push")
    assert delivery.status == Delivery.Status.FAILED
    assert "Web Push is disabled" in delivery.result


def test_it_skips_push_when_turned_off_after_queueing(alice, bob, target, vapid):
    WebPushDeviceFactory(user=alice)
    n = services.notify(recipient=alice, kind="mention", actor=bob, target=target)
    services.preferences_update(user=alice, kinds={"mention": {"push": False}})
    with mock.patch("notifications.lib.push.webpush", autospec=True) as webpush:
        tasks.send_deliveries([n.deliveries.get(channel="push").pk])
    webpush.assert_not_called()
    assert n.deliveries.get(channel="push").status == Delivery.Status.SKIPPED


# --- FCM (stubbed at requests.post) / APNs (a local HTTP/2 stand-in) ----------------------------------------------------------


def _response(status, body):
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    return response


@pytest.fixture
def fcm(settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.FCM_SERVICE_ACCOUNT = json.dumps(
        {"project_id": "sf-test", "client_email": "push@sf-test.iam.gserviceaccount.com", "private_key": pem}
    )
    push._fcm_token_cache.clear()


def test_it_sends_fcm_messages(alice, bob, target, fcm):
    device = FcmDeviceFactory(user=alice)
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    replies = [_response(200, {"access_token": "ya29.token", "expires_in": 3600}), _response(200, {"name": "m/1"})]
    with mock.patch("notifications.lib.push.requests.post", autospec=True, side_effect=replies) as post:
        tasks.send_deliveries([n.deliveries.get(channel="push").pk])
    token_call, send_call = post.call_args_list
    assert token_call.args[0] == "https://oauth2.googleapis.com/token"
    assert send_call.args[0] == "https://fcm.googleapis.com/v1/projects/sf-test/messages:send"
    assert send_call.kwargs["headers"] == {"Authorization": "Bearer ya29.token"}
    message = send_call.kwargs["json"]["message"]
    assert message["token"] == device.token
    assert message["notification"]["body"] == "Bob replied to your post"
    assert message["data"]["id"] == str(n.pk)
    assert n.deliveries.get(channel="push").status == Delivery.Status.SENT


def test_it_deletes_unregistered_fcm_tokens(alice, bob, target, fcm):
    FcmDeviceFactory(user=alice)
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    replies = [
        _response(200, {"access_token": "ya29.token", "expires_in": 3600}),
        _response(404, {"error": {"status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}}),
    ]
    with mock.patch("notifications.lib.push.requests.post", autospec=True, side_effect=replies):
        tasks.send_deliveries([n.deliveries.get(channel="push").pk])
    assert not PushDevice.objects.exists()


@pytest.fixture
def apns(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    settings.APNS_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.APNS_KEY_ID, settings.APNS_TEAM_ID, settings.APNS_TOPIC = "KEY123", "TEAM123", "com.socialflow.app"
    push._apns_token_cache.clear()
    yield key.public_key()
    for client in push._apns_clients.values():
        client.close()
    push._apns_clients.clear()
    push._apns_token_cache.clear()


def _send_replies(alice, bob, target, count):
    for _ in range(count):
        n = services.notify(recipient=alice, kind="reply", actor=bob, target=UserFactory())
        tasks.send_deliveries([n.deliveries.get(channel="push").pk])
        assert n.deliveries.get(channel="push").status == Delivery.Status.SENT


def test_it_sends_apns_over_http2_and_reuses_the_provider_token(alice, bob, target, settings, apns):
    PushDevice.objects.create(user=alice, platform="apns", token="abc123")
    with H2StandIn() as apple:
        settings.APNS_ENDPOINT = apple.url
        _send_replies(alice, bob, target, 2)
    assert apple.protocol_errors == 0
    assert apple.connections == 1  # one HTTP/2 connection, kept open
    first, second = apple.requests
    headers = first["headers"]
    assert (headers[":method"], headers[":path"]) == ("POST", "/3/device/abc123")
    assert headers["apns-topic"] == "com.socialflow.app"
    assert headers["apns-push-type"] == "alert"
    assert json.loads(first["body"])["aps"]["alert"]["body"] == "Bob replied to your post"
    token = headers["authorization"].removeprefix("bearer ")
    assert second["headers"]["authorization"] == f"bearer {token}"  # not minted per send
    assert pyjwt.get_unverified_header(token) == {"alg": "ES256", "kid": "KEY123", "typ": "JWT"}
    assert pyjwt.decode(token, apns, algorithms=["ES256"])["iss"] == "TEAM123"


def test_it_refreshes_the_provider_token_after_50_minutes(alice, bob, target, settings, apns):
    PushDevice.objects.create(user=alice, platform="apns", token="abc123")
    with H2StandIn() as apple:
        settings.APNS_ENDPOINT = apple.url
        with time_machine.travel("2026-01-01 10:00Z", tick=False):
            _send_replies(alice, bob, target, 1)
        with time_machine.travel("2026-01-01 10:49Z", tick=False):
            _send_replies(alice, bob, target, 1)
        with time_machine.travel("2026-01-01 10:51Z", tick=False):
            _send_replies(alice, bob, target, 1)
    tokens = [r["headers"]["authorization"] for r in apple.requests]
    assert tokens[0] == tokens[1] != tokens[2]
    assert pyjwt.decode(tokens[2].split()[1], apns, algorithms=["ES256"])["iat"] == 1767264660


def test_it_mints_a_new_token_when_apple_says_it_expired(alice, bob, target, settings, apns):
    PushDevice.objects.create(user=alice, platform="apns", token="abc123")
    with H2StandIn(responses=[(403, b'{"reason":"ExpiredProviderToken"}'), (200, b"")]) as apple:
        settings.APNS_ENDPOINT = apple.url
        with time_machine.travel("2026-01-01 10:00Z", tick=False):
            push.apns_provider_token(push.ApnsConfig("KEY123", "TEAM123", settings.APNS_PRIVATE_KEY, "t"))
        with time_machine.travel("2026-01-01 10:10Z", tick=False):
            _send_replies(alice, bob, target, 1)
    stale, fresh = (r["headers"]["authorization"] for r in apple.requests)
    assert stale != fresh


def test_it_deletes_apns_tokens_apple_reports_gone(alice, bob, target, settings, apns):
    PushDevice.objects.create(user=alice, platform="apns", token="abc123")
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    with H2StandIn(responses=[(410, b'{"reason":"Unregistered"}')]) as apple:
        settings.APNS_ENDPOINT = apple.url
        tasks.send_deliveries([n.deliveries.get(channel="push").pk])
    assert not PushDevice.objects.exists()


def test_it_reports_mobile_push_disabled_without_credentials(alice, bob, target, settings):
    settings.FCM_SERVICE_ACCOUNT = ""
    FcmDeviceFactory(user=alice)
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    with mock.patch("notifications.lib.push.requests.post", autospec=True) as post:
        tasks.send_deliveries([n.deliveries.get(channel="push").pk])
    post.assert_not_called()
    assert "FCM is disabled" in n.deliveries.get(channel="push").result


# --- follower fan-out outbox -------------------------------------------------------------------------


def test_it_records_the_fan_out_and_finishes_it(alice, bob, target, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_FANOUT_CHUNK = 1
    Follow.objects.create(follower=bob, followee=alice)
    Follow.objects.create(follower=UserFactory(), followee=alice)
    with django_capture_on_commit_callbacks(execute=True):
        fan_out = services.notify_followers(author=alice, kind="new_video", target=target, data={"title": "T"})
    fan_out.refresh_from_db()
    assert fan_out.status == FollowerFanOut.Status.DONE
    assert fan_out.chunks == 2
    assert Notification.objects.filter(kind="new_video").count() == 2
    assert tasks.fan_out_to_followers(fan_out.pk) == 0  # a duplicate message does nothing


def test_it_redrives_a_fan_out_the_broker_lost(alice, bob, target, settings):
    Follow.objects.create(follower=bob, followee=alice)
    fan_out = services.notify_followers(author=alice, kind="live_started", target=target)  # on_commit never runs
    assert not Notification.objects.exists()
    assert tasks.redrive_fan_outs(queued_at=timezone.now().isoformat()) == 0  # not quiet for long enough yet
    with time_machine.travel(timezone.now() + settings.NOTIFICATIONS_FANOUT_REDRIVE_AFTER + timedelta(seconds=1)):
        assert tasks.redrive_fan_outs(queued_at=timezone.now().isoformat()) == 1
    fan_out.refresh_from_db()
    assert fan_out.status == FollowerFanOut.Status.DONE
    assert Notification.objects.get().recipient == bob


def test_it_redrives_a_fan_out_whose_worker_died_before_planning(alice, bob, target):
    Follow.objects.create(follower=bob, followee=alice)
    fan_out = services.notify_followers(author=alice, kind="new_video", target=target)
    services.fan_out_claim(fan_out_id=fan_out.pk)
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert tasks.redrive_fan_outs(queued_at=timezone.now().isoformat()) == 1
    fan_out.refresh_from_db()
    assert fan_out.status == FollowerFanOut.Status.DONE
    assert Notification.objects.count() == 1


def test_it_redrives_a_chunk_whose_message_was_lost(alice, bob, target, settings):
    # Planned (the chunks are rows), then the chunk messages vanished with a killed Redis's last
    # second of writes: the reconcile finds the chunks, not the fan-out, and runs them.
    settings.NOTIFICATIONS_FANOUT_CHUNK = 1
    charlie = UserFactory()
    Follow.objects.create(follower=bob, followee=alice)
    Follow.objects.create(follower=charlie, followee=alice)
    fan_out = services.notify_followers(author=alice, kind="new_video", target=target)
    chunk_ids = services.fan_out_plan(fan_out=services.fan_out_claim(fan_out_id=fan_out.pk))
    assert len(chunk_ids) == 2
    assert tasks.notify_followers_chunk(chunk_ids[0]) == 1  # one ran; the other's message is lost
    fan_out.refresh_from_db()
    assert fan_out.status == FollowerFanOut.Status.RUNNING
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert tasks.redrive_fan_outs(queued_at=timezone.now().isoformat()) == 1  # just the lost chunk
        assert tasks.redrive_fan_outs(queued_at=timezone.now().isoformat()) == 0  # and once: nothing is left
    fan_out.refresh_from_db()
    assert fan_out.status == FollowerFanOut.Status.DONE
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == sorted(
        [bob.username, charlie.username]
    )


def test_it_queues_a_slow_chunk_again_only_after_another_quiet_period(alice, bob, target):
    Follow.objects.create(follower=bob, followee=alice)
    fan_out = services.notify_followers(author=alice, kind="new_video", target=target)
    services.fan_out_plan(fan_out=services.fan_out_claim(fan_out_id=fan_out.pk))
    now = timezone.now()
    with time_machine.travel(now + timedelta(seconds=31)):
        assert len(services.fan_outs_requeue_stuck(quiet_for=timedelta(seconds=30))[1]) == 1
    with time_machine.travel(now + timedelta(seconds=45)):  # still queued behind a slow queue
        assert services.fan_outs_requeue_stuck(quiet_for=timedelta(seconds=30)) == ([], [])
    with time_machine.travel(now + timedelta(seconds=62)):
        assert len(services.fan_outs_requeue_stuck(quiet_for=timedelta(seconds=30))[1]) == 1


def test_the_reconcile_settles_a_fan_out_whose_last_chunks_finished_together(alice, bob, target):
    Follow.objects.create(follower=bob, followee=alice)
    fan_out = services.notify_followers(author=alice, kind="new_video", target=target)
    (chunk_id,) = services.fan_out_plan(fan_out=services.fan_out_claim(fan_out_id=fan_out.pk))
    FanOutChunk.objects.filter(pk=chunk_id).update(status=FanOutChunk.Status.DONE)  # settle missed
    assert tasks.redrive_fan_outs(queued_at=timezone.now().isoformat()) == 0
    fan_out.refresh_from_db()
    assert fan_out.status == FollowerFanOut.Status.DONE


def test_a_redelivered_message_finishes_a_fan_out_its_killed_worker_left_running(alice, bob, target):
    # The worker claimed it, then was SIGKILLed before queueing the chunks; the restored message
    # must finish it now, not after the reconcile.
    Follow.objects.create(follower=bob, followee=alice)
    fan_out = services.notify_followers(author=alice, kind="new_video", target=target)
    services.fan_out_claim(fan_out_id=fan_out.pk)

    assert tasks.fan_out_to_followers(fan_out.pk) == 1
    assert tasks.fan_out_to_followers(fan_out.pk) == 0  # done now: a further copy does nothing
    fan_out.refresh_from_db()
    assert fan_out.status == FollowerFanOut.Status.DONE
    assert Notification.objects.get(kind="new_video").recipient == bob


def test_it_encrypts_and_signs_real_web_push_requests(alice, bob, target, vapid):
    """pywebpush for real (aes128gcm + VAPID JWT); only the HTTP call is stubbed."""
    browser_key = ec.generate_private_key(ec.SECP256R1())
    p256dh = push.b64urlencode(
        browser_key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    device = WebPushDeviceFactory(user=alice, p256dh=p256dh, auth=push.b64urlencode(b"0123456789abcdef"))
    n = services.notify(recipient=alice, kind="mention", actor=bob, target=target)
    created = requests.Response()
    created.status_code = 201
    with mock.patch("requests.post", autospec=True, return_value=created) as post:
        tasks.send_deliveries([n.deliveries.get(channel="push").pk])
    assert post.call_args.args[0] == device.token
    headers = post.call_args.kwargs["headers"]
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")
    assert int(headers["ttl"]) > 0
    assert len(post.call_args.kwargs["data"]) > 100  # the encrypted payload
    assert n.deliveries.get(channel="push").status == Delivery.Status.SENT
