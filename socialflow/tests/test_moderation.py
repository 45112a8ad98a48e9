"""One moderation state, one way to change it, one append-only audit trail, the owner told once.

Personas: alice owns the content, bob is someone else, mod is a site moderator."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts import services as accounts_services
from accounts.tests.factories import UserFactory
from live.tests.factories import ChatMessageFactory
from notifications.models import Notification
from posts import selectors as posts_selectors
from posts.tests.factories import PostFactory
from socialflow.core import access, events, moderation
from socialflow.core.models import AuditEntry, Event, HandlerRun
from socialflow.core.moderation import ModerationStatus, moderation_apply
from videos.tests.factories import CommentFactory, VideoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod(db):
    return UserFactory(username="mod", role="moderator")


# --- moderation_apply -----------------------------------------------------------------------------


def test_it_moves_the_state_and_writes_one_audit_entry_and_one_event(alice, mod):
    video = VideoFactory(author=alice, title="Spam video")
    version = video.media_version
    entry = moderation_apply(actor=mod, target=video, status="removed", reason="  spam  ")
    video.refresh_from_db()
    assert (video.moderation_status, video.moderation_reason, video.moderated_by) == ("removed", "spam", mod)
    assert video.moderated_at is not None and video.media_version == version + 1  # signed links die
    assert (entry.actor, entry.action, entry.target_id, entry.target_repr, entry.reason) == (
        mod,
        "video.removed",
        str(video.pk),
        "Spam video",
        "spam",
    )
    assert entry.metadata == {"previous_status": "visible", "status": "removed"}
    event = Event.objects.get(name="content.moderated")
    assert event.payload == {
        "kind": "video",
        "target_id": str(video.pk),
        "owner_id": alice.pk,
        "actor_id": mod.pk,
        "status": "removed",
        "previous_status": "visible",
        "reason": "spam",
        "audit_id": entry.pk,
    }


def test_it_records_nothing_when_the_status_does_not_change(alice, mod):
    post = PostFactory(author=alice)
    assert moderation_apply(actor=mod, target=post, status="held", reason="check") is not None
    assert moderation_apply(actor=mod, target=post, status="held", reason="again") is None
    assert AuditEntry.objects.count() == 1 and Event.objects.filter(name="content.moderated").count() == 1


def test_it_writes_nothing_when_the_action_rolls_back(alice, mod):
    video = VideoFactory(author=alice)
    with pytest.raises(RuntimeError), transaction.atomic():
        moderation_apply(actor=mod, target=video, status="removed")
        raise RuntimeError("the rest of the action failed")
    video.refresh_from_db()
    assert video.moderation_status == "visible"
    assert not AuditEntry.objects.exists() and not Event.objects.filter(name="content.moderated").exists()


def test_it_refuses_what_is_not_moderatable(alice, mod):
    with pytest.raises(LookupError):
        moderation_apply(actor=mod, target=alice, status="removed")
    with pytest.raises(ValueError):
        moderation_apply(actor=mod, target=VideoFactory(), status="hidden")


def test_it_knows_every_moderated_kind():
    assert moderation.kinds() == ["chat_message", "comment", "post", "video"]


# --- the access layer -----------------------------------------------------------------------------


def test_it_keeps_removed_and_held_content_out_of_sight(alice, bob, mod):
    video = VideoFactory(author=alice)
    post = PostFactory(author=alice)
    moderation_apply(actor=mod, target=video, status="removed", reason="spam")
    moderation_apply(actor=mod, target=post, status="held")
    for viewer in (None, bob):
        assert not access.visible_to("video", viewer).filter(pk=video.pk).exists()
        assert not access.can_view(viewer, video)
        assert not posts_selectors.posts_visible_to(viewer=viewer).filter(pk=post.pk).exists()
    assert access.can_view(alice, video) and access.can_view(mod, video)  # the owner and moderators still do
    moderation_apply(actor=mod, target=video, status="visible")
    assert access.visible_to("video", bob).filter(pk=video.pk).exists()


def test_it_shows_a_held_comment_only_to_its_author_and_the_creator(alice, bob, charlie, mod):
    comment = CommentFactory(video=VideoFactory(author=alice), author=bob)
    moderation_apply(actor=alice, target=comment, status="held")
    assert [access.can_view(v, comment) for v in (None, charlie, bob, alice, mod)] == [False, False, True, True, True]
    assert not access.visible_to("comment", charlie).filter(pk=comment.pk).exists()
    assert access.visible_to("comment", bob).filter(pk=comment.pk).exists()


# --- the audit trail ------------------------------------------------------------------------------


def test_it_keeps_audit_entries_append_only(alice, mod):
    entry = moderation_apply(actor=mod, target=VideoFactory(author=alice), status="removed")
    entry.reason = "rewritten"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().reason == ""


def test_it_audits_bans_and_account_deletes(alice, mod):
    accounts_services.user_ban(user=alice, by=mod, reason="spam ring")
    accounts_services.user_unban(user=alice, by=mod)
    accounts_services.user_delete(user=alice, by=mod)
    accounts_services.user_restore(user=alice, by=mod)
    entries = list(AuditEntry.objects.order_by("id").values_list("actor", "action", "target_id", "reason"))
    assert entries == [
        (mod.pk, "user.ban", str(alice.pk), "spam ring"),
        (mod.pk, "user.unban", str(alice.pk), ""),
        (mod.pk, "user.delete", str(alice.pk), ""),
        (mod.pk, "user.restore", str(alice.pk), ""),
    ]
    accounts_services.user_delete(user=UserFactory())  # the owner deleting their account: not audited
    assert AuditEntry.objects.count() == 4


def test_it_shows_the_audit_log_read_only_in_the_admin(client, alice, mod):
    root = get_user_model().objects.create_superuser(username="root", email="root@example.com", password="pw")
    client.force_login(root)
    entry = moderation_apply(actor=mod, target=VideoFactory(author=alice, title="findable"), status="removed")
    changelist = "/admin/core/auditentry/"
    for query in (
        "",
        "?q=findable",
        "?action=video.removed",
        f"?actor__id__exact={mod.pk}",
        f"?created_at__year={entry.created_at.year}",
    ):
        page = client.get(f"{changelist}{query}")
        assert page.status_code == 200 and b"findable" in page.content, query
    assert client.get(f"{changelist}add/").status_code == 403
    detail = client.get(f"{changelist}{entry.pk}/change/")
    assert detail.status_code == 200 and not detail.context["adminform"].form.fields  # view only
    assert client.post(f"{changelist}{entry.pk}/change/", {"reason": "x"}).status_code == 403
    assert client.post(f"{changelist}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(changelist).context["action_form"] is None  # no actions, not even delete_selected
    client.force_login(UserFactory(is_staff=True, role="moderator"))  # moderators read it too
    assert client.get(changelist).status_code == 200
    client.force_login(UserFactory(role="moderator"))
    assert client.get(changelist).status_code == 302  # not without staff access (to the admin login)
    assert AuditEntry.objects.get().reason == ""


# --- the owner is told ----------------------------------------------------------------------------


def test_it_tells_the_owner_once(alice, mod, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice, title="My trip")
    with django_capture_on_commit_callbacks(execute=True):
        moderation_apply(actor=mod, target=video, status="removed", reason="copyright")
    event = Event.objects.get(name="content.moderated")
    events.event_dispatch(event_id=event.pk)  # a duplicate dispatch adds no run
    run = HandlerRun.objects.get(event=event, handler="notifications.on_content_moderated")
    events.run_event_handler(run.pk)  # nor does a re-delivered message
    notification = Notification.objects.get(recipient=alice)
    assert (notification.kind, notification.actor, notification.target) == ("moderation_action", None, video)
    assert notification.data["sentence"] == "Your video was removed: copyright"


def test_it_tells_the_author_of_a_deleted_comment_and_a_removed_chat_message(
    alice, bob, mod, django_capture_on_commit_callbacks
):
    comment = CommentFactory(video=VideoFactory(author=alice), author=bob)
    message = ChatMessageFactory(user=bob)
    with django_capture_on_commit_callbacks(execute=True):
        moderation_apply(actor=mod, target=comment, status=ModerationStatus.REMOVED)  # a removed comment is deleted
        moderation_apply(actor=mod, target=message, status=ModerationStatus.REMOVED, reason="slur")
    told = Notification.objects.filter(recipient=bob, kind="moderation_action").order_by("id")
    assert [(n.target, n.data["sentence"]) for n in told] == [
        (None, "Your comment was removed"),
        (message, "Your chat message was removed: slur"),
    ]


def test_it_tells_nobody_about_their_own_action(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        moderation_apply(actor=alice, target=PostFactory(author=alice), status="removed")
    assert not Notification.objects.exists()


def test_it_keeps_a_purged_moderator_as_the_actor(alice, mod, settings):
    entry = moderation_apply(actor=mod, target=VideoFactory(author=alice), status="removed")
    accounts_services.user_delete(user=mod)
    settings.ACCOUNT_PURGE_AFTER = timedelta(0)
    assert accounts_services.user_purge(user_id=mod.pk) == "anonymised"  # the audit trail protects the row
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor_id == mod.pk and entry.actor.username.startswith("deleted_")
