import pytest
from django.contrib.contenttypes.models import ContentType
from py_vapid import Vapid02

from accounts import services as accounts_services
from accounts.tests.factories import UserFactory
from notifications import emails, selectors, services
from notifications.lib import push
from notifications.models import EmailMode, Notification, PushDevice
from notifications.tests.factories import FcmDeviceFactory, NotificationFactory, WebPushDeviceFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications"


def _notify_many(recipient, count, kind="reply"):
    return [
        services.notify(recipient=recipient, kind=kind, actor=UserFactory(), data={"excerpt": "x"})
        for _ in range(count)
    ]


# --- list --------------------------------------------------------------------------------------------


def test_it_lists_my_notifications_newest_first(alice, bob, alice_client, target):
    older = services.notify(recipient=alice, kind="reply", actor=bob, target=target, data={"url": "/posts/1"})
    newer = services.notify(recipient=alice, kind="mention", actor=bob, target=target)
    services.notify(recipient=bob, kind="reply", actor=alice, target=target)
    response = alice_client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["results"]] == [str(newer.pk), str(older.pk)]
    assert set(body) == {"results", "next", "previous"}
    item = body["results"][1]
    assert item["kind"] == "reply"
    assert item["text"] == "Bob replied to your post"
    assert item["url"] == "https://sf.example.com/posts/1"
    assert item["actor"]["username"] == "bob"
    assert item["actor"]["id"] == str(bob.pk)
    assert item["actors"] == [item["actor"]]
    assert item["actors_count"] == 1
    assert item["target"] == {"type": "accounts.user", "id": str(target.pk)}
    assert item["is_read"] is False
    assert item["read_at"] is None
    assert item["created_at"].endswith("Z")


def test_it_refuses_anonymous(api_client):
    assert api_client.get(LIST).status_code == 401
    assert api_client.get(f"{LIST}/unread-count").status_code == 401
    assert api_client.post(f"{LIST}/mark-read", {"all": True}).status_code == 401
    assert api_client.get(f"{LIST}/preferences").status_code == 401
    assert api_client.get(f"{LIST}/devices").status_code == 401


def test_it_accepts_both_slash_forms(alice_client):
    assert alice_client.get(f"{LIST}/").status_code == 200
    assert alice_client.get(f"{LIST}/unread-count/").status_code == 200
    assert alice_client.post(f"{LIST}/mark-read/", {"all": True}, format="json").status_code == 200


def test_it_filters_unread(alice, bob, alice_client):
    read, unread = _notify_many(alice, 2)
    services.notifications_mark_read(user=alice, ids=[read.pk])
    assert [i["id"] for i in alice_client.get(LIST, {"unread": "true"}).json()["results"]] == [str(unread.pk)]
    assert [i["id"] for i in alice_client.get(LIST, {"unread": "false"}).json()["results"]] == [str(read.pk)]
    assert alice_client.get(LIST, {"unread": "maybe"}).status_code == 400


def test_it_filters_by_kind(alice, bob, alice_client, target):
    services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    mention = services.notify(recipient=alice, kind="mention", actor=bob, target=target)
    follow = services.notify(recipient=alice, kind="follow", actor=bob)
    assert [i["id"] for i in alice_client.get(LIST, {"kind": "mention"}).json()["results"]] == [str(mention.pk)]
    ids = {i["id"] for i in alice_client.get(LIST, {"kind": "mention,follow"}).json()["results"]}
    assert ids == {str(mention.pk), str(follow.pk)}
    response = alice_client.get(LIST, {"kind": "bogus"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_it_paginates_with_a_cursor(alice, alice_client):
    created = _notify_many(alice, 5)
    first = alice_client.get(LIST, {"page_size": 2}).json()
    assert len(first["results"]) == 2
    assert first["next"]
    second = alice_client.get(first["next"]).json()
    third = alice_client.get(second["next"]).json()
    seen = [i["id"] for page in (first, second, third) for i in page["results"]]
    assert seen == [str(n.pk) for n in reversed(created)]
    assert third["next"] is None


def test_it_lists_aggregated_rows_with_recent_actors(alice, alice_client, target):
    likers = UserFactory.create_batch(5)
    for u in likers:
        services.notify(recipient=alice, kind="like_post", actor=u, target=target)
    item = alice_client.get(LIST).json()["results"][0]
    assert item["actors_count"] == 5
    assert [a["username"] for a in item["actors"]] == [u.username for u in likers[-1:-4:-1]]
    assert item["text"] == f"{likers[-1].name} and 4 others liked your post"


def test_it_lists_within_a_query_budget(alice, alice_client, target, django_assert_max_num_queries):
    _notify_many(alice, 10)
    for u in UserFactory.create_batch(4):
        services.notify(recipient=alice, kind="like_post", actor=u, target=target)
    alice_client.get(LIST)  # warm last_seen_at and the content type cache
    with django_assert_max_num_queries(5):
        response = alice_client.get(LIST)
    assert len(response.json()["results"]) == 11


# --- single, delete ----------------------------------------------------------------------------------


def test_it_shows_and_deletes_my_notification(alice, bob, alice_client, target):
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    assert alice_client.get(f"{LIST}/{n.pk}").json()["id"] == str(n.pk)
    assert alice_client.delete(f"{LIST}/{n.pk}").status_code == 204
    assert not Notification.objects.filter(pk=n.pk).exists()
    assert alice_client.delete(f"{LIST}/{n.pk}").status_code == 404


def test_it_hides_other_users_notifications(alice, bob, bob_client, target):
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    assert bob_client.get(f"{LIST}/{n.pk}").status_code == 404
    response = bob_client.delete(f"{LIST}/{n.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Notification.objects.filter(pk=n.pk).exists()


def test_it_refuses_anonymous_delete(alice, bob, api_client, target):
    n = services.notify(recipient=alice, kind="reply", actor=bob, target=target)
    assert api_client.delete(f"{LIST}/{n.pk}").status_code == 401


# --- unread count, mark read -------------------------------------------------------------------------


def test_it_counts_unread(alice, alice_client):
    _notify_many(alice, 3)
    assert alice_client.get(f"{LIST}/unread-count").json() == {"unread_count": 3}


def test_it_marks_ids_read(alice, alice_client, bob):
    a, b, c = _notify_many(alice, 3)
    other = _notify_many(bob, 1)[0]
    response = alice_client.post(f"{LIST}/mark-read", {"ids": [a.pk, b.pk, other.pk]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"marked": 2, "unread_count": 1}
    other.refresh_from_db()
    assert other.read_at is None


def test_it_marks_ids_given_as_strings(alice, alice_client):
    (a,) = _notify_many(alice, 1)
    assert alice_client.post(f"{LIST}/mark-read", {"ids": [str(a.pk)]}, format="json").json()["marked"] == 1


def test_it_marks_all_read(alice, alice_client):
    _notify_many(alice, 3)
    assert alice_client.post(f"{LIST}/mark-read", {"all": True}, format="json").json() == {
        "marked": 3,
        "unread_count": 0,
    }


@pytest.mark.parametrize(
    "body", [{}, {"ids": []}, {"ids": "1"}, {"ids": ["x"]}, {"ids": [10**30]}, {"ids": [0]}, {"all": "perhaps"}]
)
def test_it_rejects_bad_mark_read_bodies(alice_client, body):
    response = alice_client.post(f"{LIST}/mark-read", body, format="json")
    assert response.status_code == 400


# --- preferences -------------------------------------------------------------------------------------


def test_it_shows_default_preferences(alice_client):
    body = alice_client.get(f"{LIST}/preferences").json()
    assert body["email_mode"] == "immediate"
    assert body["channels"] == ["in_app", "email", "push"]
    assert body["kinds"]["like_post"] == {"label": "Like on your post", "in_app": True, "email": False, "push": False}
    assert body["kinds"]["mention"]["email"] is True
    assert body["kinds"]["new_post"] == {
        "label": "New post from someone you follow",
        "in_app": False,
        "email": False,
        "push": False,
    }
    assert body["kinds"]["ad_campaign_reviewed"] == {
        "label": "Your ad campaign was reviewed",
        "in_app": True,
        "email": True,
        "push": False,
    }
    assert len(body["kinds"]) == 25


def test_it_updates_preferences_partially(alice, alice_client):
    response = alice_client.patch(
        f"{LIST}/preferences",
        {"email_mode": "digest", "kinds": {"like_post": {"email": True}, "new_post": {"in_app": True}}},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["email_mode"] == "digest"
    assert body["kinds"]["like_post"]["email"] is True
    assert body["kinds"]["like_post"]["in_app"] is True
    assert body["kinds"]["new_post"]["in_app"] is True
    assert selectors.email_mode_for(user_id=alice.pk) == EmailMode.DIGEST


def test_it_keeps_preferences_per_user(alice_client, bob_client):
    alice_client.patch(f"{LIST}/preferences", {"kinds": {"reply": {"email": False}}}, format="json")
    assert bob_client.get(f"{LIST}/preferences").json()["kinds"]["reply"]["email"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"kinds": {"bogus": {"email": True}}},
        {"kinds": {"reply": {"email": "sometimes"}}},
        {"email_mode": "hourly"},
        {"kinds": ["reply"]},
    ],
)
def test_it_rejects_bad_preferences(alice_client, body):
    assert alice_client.patch(f"{LIST}/preferences", body, format="json").status_code == 400


def test_it_rejects_an_unknown_channel_instead_of_ignoring_it(alice_client):
    response = alice_client.patch(f"{LIST}/preferences", {"kinds": {"reply": {"sms": False}}}, format="json")
    assert response.status_code == 400
    assert "sms" in str(response.json())
    assert alice_client.get(f"{LIST}/preferences").json()["kinds"]["reply"]["email"] is True


def test_it_accepts_its_own_get_payload_back(alice_client):
    body = alice_client.get(f"{LIST}/preferences").json()
    body["kinds"]["reply"]["email"] = False  # the shape a client edits and sends back, labels included
    response = alice_client.patch(f"{LIST}/preferences", body, format="json")
    assert response.status_code == 200
    assert response.json()["kinds"]["reply"]["email"] is False


# --- devices -----------------------------------------------------------------------------------------

P256DH = "BGMCnp-CRO3IoJRPz983g9MrLeSt-a9FUr-l-W6NeMCVPvymx_JNrcLg_q6aMjFzDACt2EEqeifETkgengDI_Ms"  # a real uncompressed P-256 point, base64url
SUBSCRIPTION = {
    "endpoint": "https://updates.push.services.mozilla.com/wpush/v2/abc",
    "keys": {"p256dh": P256DH, "auth": "k9Xzm43nBGo5Vfh2oPvPqw"},
}


def test_it_registers_a_web_push_subscription(alice, alice_client):
    response = alice_client.post(f"{LIST}/devices", {**SUBSCRIPTION, "name": "Firefox"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["platform"] == "webpush"
    assert body["token"] == SUBSCRIPTION["endpoint"]
    device = PushDevice.objects.get()
    assert (device.user, device.p256dh, device.auth) == (alice, P256DH, "k9Xzm43nBGo5Vfh2oPvPqw")


def test_it_registers_the_same_subscription_once(alice_client):
    alice_client.post(f"{LIST}/devices", SUBSCRIPTION, format="json")
    alice_client.post(f"{LIST}/devices", SUBSCRIPTION, format="json")
    assert PushDevice.objects.count() == 1


def test_it_moves_a_device_to_the_account_that_registers_it(alice_client, bob, bob_client):
    alice_client.post(f"{LIST}/devices", SUBSCRIPTION, format="json")
    bob_client.post(f"{LIST}/devices", SUBSCRIPTION, format="json")
    assert PushDevice.objects.get().user == bob


@pytest.mark.parametrize("platform", ["fcm", "apns"])
def test_it_registers_mobile_tokens(alice_client, platform):
    response = alice_client.post(f"{LIST}/devices", {"platform": platform, "token": "tok-123"}, format="json")
    assert response.status_code == 201
    assert response.json()["platform"] == platform


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "webpush"},
        {"endpoint": "http://insecure.example.com/x", "keys": SUBSCRIPTION["keys"]},
        {"endpoint": SUBSCRIPTION["endpoint"]},
        {"endpoint": SUBSCRIPTION["endpoint"], "keys": {"p256dh": "x"}},
        {"platform": "fcm"},
        {"platform": "pager", "token": "x"},
        {"endpoint": "not a url", "keys": SUBSCRIPTION["keys"]},
        {"endpoint": SUBSCRIPTION["endpoint"], "keys": {"p256dh": "x", "auth": "a" * 101}},
        {"platform": "fcm", "token": "t" * 2001},
        # keys a browser never sends: the first push would fail to encrypt, so refuse them up front
        {"endpoint": SUBSCRIPTION["endpoint"], "keys": {"p256dh": "BAD", "auth": "k9Xzm43nBGo5Vfh2oPvPqw"}},
        {"endpoint": SUBSCRIPTION["endpoint"], "keys": {"p256dh": P256DH[:-4], "auth": "k9Xzm43nBGo5Vfh2oPvPqw"}},
        {"endpoint": SUBSCRIPTION["endpoint"], "keys": {"p256dh": "A" + P256DH[1:], "auth": "k9Xzm43nBGo5Vfh2oPvPqw"}},
        {"endpoint": SUBSCRIPTION["endpoint"], "keys": {"p256dh": P256DH, "auth": "x"}},
        {"endpoint": SUBSCRIPTION["endpoint"], "keys": {"p256dh": P256DH, "auth": "!!!!"}},
    ],
)
def test_it_rejects_bad_devices(alice_client, body):
    assert alice_client.post(f"{LIST}/devices", body, format="json").status_code == 400


def test_it_lists_only_my_devices(alice, bob, alice_client):
    mine = WebPushDeviceFactory(user=alice)
    FcmDeviceFactory(user=bob)
    body = alice_client.get(f"{LIST}/devices").json()
    assert [d["id"] for d in body["results"]] == [str(mine.pk)]


def test_it_deletes_my_device_only(alice, bob, alice_client, bob_client):
    device = WebPushDeviceFactory(user=alice)
    assert bob_client.delete(f"{LIST}/devices/{device.pk}").status_code == 404
    assert alice_client.delete(f"{LIST}/devices/{device.pk}/").status_code == 204
    assert not PushDevice.objects.exists()


def test_it_lists_devices_within_a_query_budget(alice, alice_client, django_assert_max_num_queries):
    WebPushDeviceFactory.create_batch(5, user=alice)
    alice_client.get(f"{LIST}/devices")
    with django_assert_max_num_queries(4):
        assert len(alice_client.get(f"{LIST}/devices").json()["results"]) == 5


def test_it_tells_browsers_when_web_push_is_disabled(api_client, settings):
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    body = api_client.get(f"{LIST}/webpush/public-key").json()
    assert body["enabled"] is False
    assert body["public_key"] is None
    assert "WEBPUSH_VAPID_PRIVATE_KEY" in body["detail"]


def test_it_derives_the_vapid_public_key_from_the_private_key(api_client, settings):
    key = Vapid02()
    key.generate_keys()
    settings.WEBPUSH_VAPID_PRIVATE_KEY = key.private_pem().decode()
    settings.WEBPUSH_VAPID_PUBLIC_KEY = ""
    body = api_client.get(f"{LIST}/webpush/public-key").json()
    assert body["enabled"] is True
    assert body["public_key"] == push.vapid_application_server_key(key)
    assert len(body["public_key"]) == 87  # 65-byte uncompressed P-256 point, base64url


# --- unsubscribe (API form) --------------------------------------------------------------------------


def test_it_unsubscribes_with_a_token(alice, api_client):
    token = emails.unsubscribe_token(user_id=alice.pk, kind="mention")
    response = api_client.post(f"{LIST}/unsubscribe", {"token": token}, format="json")
    assert response.status_code == 200
    assert response.json() == {"kind": "mention", "email_mode": "immediate"}
    assert selectors.channels_for(user_id=alice.pk, kind="mention").email is False


def test_it_rejects_a_forged_unsubscribe_token(api_client, alice):
    token = emails.unsubscribe_token(user_id=alice.pk, kind=None)[:-2] + "xx"
    assert api_client.post(f"{LIST}/unsubscribe", {"token": token}, format="json").status_code == 400
    assert api_client.post(f"{LIST}/unsubscribe", {}, format="json").status_code == 400


def test_it_describes_every_endpoint_in_the_schema(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ["notifications", "unread-count", "mark-read", "preferences", "devices", "webpush/public-key"]:
        assert path in schema


def test_it_serializes_a_factory_row(alice, alice_client):
    NotificationFactory(
        recipient=alice, target_content_type=ContentType.objects.get_for_model(alice), target_object_id="9"
    )
    assert alice_client.get(LIST).json()["results"][0]["target"]["id"] == "9"


@pytest.mark.parametrize("path", ["notifications/99999999999999999999", "notifications/abc", "notifications/devices/x"])
def test_it_answers_404_for_malformed_ids(alice_client, path):
    assert alice_client.get(f"/api/v1/{path}").status_code == 404


def test_it_answers_400_for_a_garbled_cursor_or_page_size(alice_client):
    response = alice_client.get(LIST, {"cursor": "garbage"})
    assert response.status_code == 400
    assert response.json() == {"cursor": ["Not a cursor of this list: use the previous page's `next` link."]}
    assert alice_client.get(LIST, {"cursor": "2026-01-01T00:00:00~1"}).status_code == 400  # naive time
    assert alice_client.get(LIST, {"cursor": "2026-01-01T00:00:00+00:00~x"}).status_code == 400
    assert alice_client.get(LIST, {"page_size": "0"}).status_code == 400


def test_it_hides_earlier_notifications_from_an_account_the_recipient_then_blocks(
    alice, bob, charlie, alice_client, django_capture_on_commit_callbacks
):
    from posts import services as posts_services

    with django_capture_on_commit_callbacks(execute=True):  # the replies' events are handled
        post = posts_services.post_create(author=alice, text="hello")
        posts_services.post_create(author=bob, text="rude", reply_to_id=post.pk)
        posts_services.post_create(author=charlie, text="nice", reply_to_id=post.pk)
    accounts_services.block_create(blocker=alice, blocked=bob)

    results = alice_client.get("/api/v1/notifications").json()["results"]
    assert [n["actor"]["username"] for n in results] == ["charlie"]
    assert selectors.unread_count(user_id=alice.pk) == 1


def test_it_hides_one_notification_the_inbox_hides(alice, bob, alice_client):
    """Regression: the detail read skipped the inbox's rules, so a row from an account the
    recipient had since blocked, or an email-only row, was readable (and deletable) by id."""
    from_blocked = NotificationFactory(recipient=alice, actor=bob)
    email_only = NotificationFactory(recipient=alice, in_app=False)
    accounts_services.block_create(blocker=alice, blocked=bob)

    for row in (from_blocked, email_only):
        assert alice_client.get(f"{LIST}/{row.pk}").status_code == 404
        assert alice_client.delete(f"{LIST}/{row.pk}").status_code == 404
    assert alice_client.get(f"{LIST}/{NotificationFactory(recipient=alice).pk}").status_code == 200
