import pytest
from django.contrib.admin.models import LogEntry

from accounts.tests.factories import UserFactory
from live import services
from live.models import ChatMessage, Stream, StreamBan
from live.tests.factories import ChatMessageFactory, StreamFactory
from socialflow.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_it_ends_streams_from_the_admin_and_logs_it(admin_client):
    stream = StreamFactory()
    services.stream_go_live(stream=stream)
    response = admin_client.post(
        "/admin/live/stream/", {"action": "end_streams", "_selected_action": [stream.pk]}, follow=True
    )
    assert response.status_code == 200
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED
    assert LogEntry.objects.filter(object_id=str(stream.pk), change_message__contains="Ended").exists()
    assert AuditEntry.objects.filter(action="stream.end", target_id=str(stream.pk), actor__username="root").exists()


def test_it_turns_chat_off_in_bulk_from_the_admin_and_audits_it(admin_client):
    streams = [StreamFactory(), StreamFactory()]
    admin_client.post(
        "/admin/live/stream/", {"action": "disable_chat", "_selected_action": [s.pk for s in streams]}, follow=True
    )
    assert not Stream.objects.filter(pk__in=[s.pk for s in streams], chat_enabled=True).exists()
    entries = AuditEntry.objects.filter(action="stream.update", actor__username="root")
    assert sorted(entries.values_list("target_id", flat=True)) == sorted(str(s.pk) for s in streams)
    assert entries.first().metadata == {"chat_enabled": False}


def test_it_deletes_messages_and_bans_authors_from_the_admin(admin_client, bob):
    stream = StreamFactory()
    messages = [ChatMessageFactory(stream=stream, user=bob) for _ in range(2)]
    ids = [m.pk for m in messages]
    admin_client.post(
        "/admin/live/chatmessage/", {"action": "delete_messages", "_selected_action": ids, "apply": "1", "reason": ""}
    )
    assert ChatMessage.objects.filter(pk__in=ids, moderation_status="removed").count() == 2
    assert AuditEntry.objects.filter(action="chat_message.removed", target_id__in=[str(i) for i in ids]).count() == 2
    admin_client.post("/admin/live/chatmessage/", {"action": "restore_messages", "_selected_action": ids[:1]})
    assert ChatMessage.objects.get(pk=ids[0]).moderation_status == "visible"
    assert AuditEntry.objects.filter(action="chat_message.restored").count() == 1
    admin_client.post("/admin/live/chatmessage/", {"action": "ban_authors", "_selected_action": ids})
    ban = StreamBan.objects.get(stream=stream, user=bob)
    assert ban.expires_at is None
    assert AuditEntry.objects.filter(action="chat.ban", target_id=str(bob.pk)).count() == 1
    assert LogEntry.objects.filter(change_message__contains="Banned @bob").count() == 1


def test_it_searches_chat_messages(admin_client):
    ChatMessageFactory(text="needle in the chat")
    ChatMessageFactory(text="hay")
    response = admin_client.get("/admin/live/chatmessage/", {"q": "needle"})
    assert response.status_code == 200
    assert b"needle in the chat" in response.content and b">hay<" not in response.content
