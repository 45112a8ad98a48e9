"""The console (admin) beyond reports: signals, graded enforcement, strikes, appeals, the staff's
lists, with and without the moderator group; every action audited; the user told."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory
from live import services as live_services
from moderation import services
from moderation.classifiers import pdq
from moderation.models import AccountAction, Appeal, HashEntry, Report, ReportMessage, Signal, WatchedWord
from moderation.tests.factories import ReportFactory
from moderation.tests.images import as_array, png_bytes, shapes
from notifications.models import Notification
from posts.models import Post
from posts.tests.factories import PostFactory
from socialflow.core import restrictions
from socialflow.core.exceptions import Conflict, PermissionDenied
from socialflow.core.models import AuditEntry, Event
from socialflow.core.moderation import ModerationStatus, moderation_apply, moderation_mark_sensitive
from videos import services as videos_services

pytestmark = pytest.mark.django_db

REPORTS = "/admin/moderation/report/"
SIGNALS = "/admin/moderation/signal/"
APPEALS = "/admin/moderation/appeal/"


def _moderator(name="mod"):
    user = UserFactory(username=name, is_staff=True)
    user.groups.add(Group.objects.get(name="moderator"))
    return user


@pytest.fixture
def moderator():
    return _moderator()


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def _signal(post, *, classifier="toxicity", decision="hold", score=0.9, excerpt=""):
    return Signal.objects.create(
        target_type="post",
        target_content_type=ContentType.objects.get_for_model(Post),
        target_id=post.pk,
        author=post.author,
        classifier=classifier,
        model="m",
        version="1",
        input_key=f"k{Signal.objects.count()}",
        input_label="text",
        excerpt=excerpt or post.text,
        score=score,
        decision=decision,
        review="pending" if decision != "allow" else "none",
    )


def _enforce(client, url, action, pks, reason="spamming", days=None):
    data = {"action": action, "_selected_action": pks, "apply": "1", "reason": reason}
    if days is not None:
        data["days"] = days
    return client.post(url, data)


# --- graded enforcement -------------------------------------------------------------------------------


def test_warn_from_the_report_queue_is_audited_and_the_author_told(mod_client, moderator):
    post = PostFactory()
    report = ReportFactory(target=post)
    page = mod_client.post(REPORTS, {"action": "warn_author", "_selected_action": [report.pk]})
    assert page.status_code == 200 and b"Warn the author" in page.content  # asks why first
    _enforce(mod_client, REPORTS, "warn_author", [report.pk], reason="Be kind")
    action = AccountAction.objects.get(user=post.author)
    assert (action.kind, action.reason, action.created_by, action.report) == ("warn", "Be kind", moderator, report)
    assert AuditEntry.objects.filter(action="account.warn", actor=moderator, target_id=str(post.author_id)).exists()
    event = Event.objects.get(name="account.actioned")
    assert event.payload["kind"] == "warn" and event.payload["user_id"] == post.author_id


def test_a_limit_needs_a_duration_and_blocks_uploads_and_live(mod_client):
    post = PostFactory()
    report = ReportFactory(target=post)
    page = _enforce(mod_client, REPORTS, "limit_author", [report.pk])
    assert page.status_code == 200 and b"Say for how many days" in page.content
    assert not AccountAction.objects.exists()
    _enforce(mod_client, REPORTS, "limit_author", [report.pk], days=3)
    limit = AccountAction.objects.get(kind="limit")
    assert limit.until > timezone.now() + timedelta(days=2)
    assert "may not upload videos" in restrictions.refusal(post.author, restrictions.UPLOAD)
    with pytest.raises(PermissionDenied):
        live_services.stream_create(owner=post.author, title="live")
    with pytest.raises(PermissionDenied):
        videos_services.upload_create(user=post.author, length=10, metadata={"filename": "a.mp4"})


def test_suspend_and_ban_go_through_the_account_ban(mod_client):
    first, second = PostFactory(), PostFactory()
    r1, r2 = ReportFactory(target=first), ReportFactory(target=second)
    _enforce(mod_client, REPORTS, "suspend_author", [r1.pk], days=7)
    _enforce(mod_client, REPORTS, "ban_author", [r2.pk])
    suspended, banned = User.objects.get(pk=first.author_id), User.objects.get(pk=second.author_id)
    assert suspended.is_banned and not suspended.is_permanently_banned
    assert banned.is_permanently_banned
    assert AuditEntry.objects.filter(action="user.ban").count() == 2
    assert AuditEntry.objects.filter(action__in=["account.suspend", "account.ban"]).count() == 2


def test_three_strikes_within_the_window_limit_uploads_and_live(settings, moderator):
    settings.MODERATION_STRIKES_LIMIT = 3
    user = UserFactory()
    for i in range(2):
        services.account_action_create(user=user, kind="strike", by=moderator, reason=f"strike {i}")
    old = services.account_action_create(user=user, kind="strike", by=moderator, reason="old")
    AccountAction.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=200))
    AccountAction.objects.filter(kind="limit").delete()
    assert restrictions.refusal(user, restrictions.LIVE) is None  # 2 strikes in the window
    services.account_action_create(user=user, kind="strike", by=moderator, reason="third in the window")
    limit = AccountAction.objects.get(kind="limit", user=user)
    assert limit.automatic and limit.created_by is None
    assert limit.until.date() == (timezone.now() + settings.MODERATION_STRIKE_SUSPENSION).date()
    assert "may not go live" in restrictions.refusal(user, restrictions.LIVE)
    assert AuditEntry.objects.filter(action="account.limit", actor=None).exists()


def test_the_user_hears_the_reason_and_where_to_appeal(moderator, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.account_action_create(user=user, kind="strike", by=moderator, reason="Spam links")
    note = Notification.objects.get(recipient=user, kind="moderation_action")
    assert note.data["sentence"] == "You received a strike: Spam links"
    assert note.data["appeal_url"] == "/studio/moderation/"


# --- signals ----------------------------------------------------------------------------------------------


def test_the_signal_queue_shows_pending_decisions_with_a_preview(mod_client):
    held = PostFactory(text="held text here")
    _signal(held, score=0.91)
    _signal(PostFactory(text="fine"), decision="allow", score=0.01)
    response = mod_client.get(SIGNALS)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1
    assert b"held text here" in response.content


def test_overturning_a_hold_restores_the_content_and_confirming_removes_it(mod_client, moderator):
    restored, removed = PostFactory(), PostFactory()
    for post in (restored, removed):
        moderation_apply(actor=None, target=post, status="held", reason="automatic")
    s1, s2 = _signal(restored), _signal(removed)
    mod_client.post(SIGNALS, {"action": "overturn_signals", "_selected_action": [s1.pk], "apply": "1", "reason": "ok"})
    mod_client.post(SIGNALS, {"action": "confirm_signals", "_selected_action": [s2.pk], "apply": "1", "reason": "bad"})
    restored.refresh_from_db()
    removed.refresh_from_db()
    assert restored.moderation_status == ModerationStatus.VISIBLE
    assert removed.moderation_status == ModerationStatus.REMOVED
    s1.refresh_from_db()
    s2.refresh_from_db()
    assert (s1.review, s1.reviewed_by, s2.review) == ("overturned", moderator, "confirmed")
    assert AuditEntry.objects.filter(action="signal.overturned", actor=moderator).exists()
    assert AuditEntry.objects.filter(action="post.restored", actor=moderator).exists()


def test_escalation_is_audited_and_filterable(mod_client, moderator):
    report = ReportFactory()
    mod_client.post(
        REPORTS, {"action": "escalate_reports", "_selected_action": [report.pk], "apply": "1", "reason": "?"}
    )
    report.refresh_from_db()
    assert report.escalated
    assert AuditEntry.objects.filter(action="report.escalate", actor=moderator).exists()
    assert len(mod_client.get(f"{REPORTS}?escalated=yes").context["cl"].result_list) == 1


# --- the group ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [SIGNALS, APPEALS, "/admin/moderation/accountaction/", "/admin/moderation/hashentry/"])
def test_a_staff_user_without_the_group_cannot_open_the_console(client, url):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 403


def test_a_staff_user_without_the_group_cannot_enforce(client):
    post = PostFactory()
    report = ReportFactory(target=post)
    client.force_login(UserFactory(is_staff=True))
    _enforce(client, REPORTS, "ban_author", [report.pk])
    assert not AccountAction.objects.exists()
    assert not User.objects.get(pk=post.author_id).is_banned


# --- appeals ------------------------------------------------------------------------------------------------


def test_an_appeal_is_decided_by_another_moderator_and_reverses_the_action(client, moderator):
    user = UserFactory()
    action = services.account_action_create(
        user=user, kind="suspend", by=moderator, reason="abuse", duration=timedelta(days=3)
    )
    appeal = services.appeal_create(user=user, action_id=str(action.pk), text="It was my brother")
    with pytest.raises(Conflict):
        services.appeal_create(user=user, action_id=str(action.pk), text="again")
    client.force_login(moderator)
    client.post(APPEALS, {"action": "grant_appeals", "_selected_action": [appeal.pk], "apply": "1", "reason": "ok"})
    appeal.refresh_from_db()
    assert appeal.status == "pending"  # the same moderator may not review their own decision
    other = _moderator("other")
    client.force_login(other)
    client.post(APPEALS, {"action": "grant_appeals", "_selected_action": [appeal.pk], "apply": "1", "reason": "fair"})
    appeal.refresh_from_db()
    action.refresh_from_db()
    user.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.decision_note) == ("granted", other, "fair")
    assert action.revoked_at is not None and not user.is_banned
    assert AuditEntry.objects.filter(action="appeal.granted", actor=other).exists()
    assert Event.objects.filter(name="appeal.decided", payload__outcome="granted").exists()


def test_an_appeal_of_held_content_restores_it_when_granted(moderator):
    post = PostFactory()
    moderation_apply(actor=None, target=post, status="held", reason="automatic")
    signal = _signal(post)
    appeal = services.appeal_create(user=post.author, target_type="post", target_id=str(post.pk), text="satire")
    services.appeal_decide(appeal=appeal, by=moderator, grant=True, note="satire indeed")
    post.refresh_from_db()
    signal.refresh_from_db()
    assert post.moderation_status == ModerationStatus.VISIBLE and signal.review == "overturned"


def test_a_rejected_appeal_leaves_the_decision(moderator):
    user = UserFactory()
    strike = services.account_action_create(user=user, kind="strike", by=moderator, reason="spam")
    appeal = services.appeal_create(user=user, action_id=strike.pk, text="no")
    services.appeal_decide(appeal=appeal, by=_moderator("second"), grant=False, note="stands")
    strike.refresh_from_db()
    assert strike.revoked_at is None and Appeal.objects.get().status == "rejected"


def test_a_staff_user_without_the_group_cannot_decide_appeals(client, moderator):
    user = UserFactory()
    strike = services.account_action_create(user=user, kind="strike", by=moderator, reason="spam")
    appeal = services.appeal_create(user=user, action_id=strike.pk, text="no")
    client.force_login(UserFactory(is_staff=True))
    client.post(APPEALS, {"action": "grant_appeals", "_selected_action": [appeal.pk], "apply": "1", "reason": "x"})
    appeal.refresh_from_db()
    assert appeal.status == "pending"


# --- the report thread, rights routing ---------------------------------------------------------------------


def test_a_moderator_messages_the_reporter_from_the_queue(mod_client, moderator):
    report = ReportFactory()
    mod_client.post(
        REPORTS, {"action": "message_reporter", "_selected_action": [report.pk], "apply": "1", "reason": "Which part?"}
    )
    message = ReportMessage.objects.get(report=report)
    assert message.by_moderator and message.author == moderator and message.text == "Which part?"
    assert Event.objects.filter(name="report.replied", payload__report_id=report.pk).exists()
    page = mod_client.get(f"{REPORTS}{report.pk}/change/")
    assert b"Which part?" in page.content


# --- the staff's lists ----------------------------------------------------------------------------------------


def test_moderators_maintain_the_watched_words_and_the_hash_list(mod_client, moderator):
    mod_client.post("/admin/moderation/watchedword/add/", {"phrase": "grift coin", "action": "hold"})
    assert WatchedWord.objects.get().added_by == moderator
    image = shapes(seed=21)
    upload = SimpleUploadedFile("bad.png", png_bytes(image), content_type="image/png")
    response = mod_client.post(
        "/admin/moderation/hashentry/add/", {"pdq": "", "description": "known", "active": "on", "image": upload}
    )
    assert response.status_code == 302, response.content[:2000]
    entry = HashEntry.objects.get()
    assert entry.pdq == pdq.pdq_hex(as_array(image))[0] and entry.added_by == moderator
    bad = mod_client.post("/admin/moderation/hashentry/add/", {"pdq": "xyz", "description": "", "active": "on"})
    assert bad.status_code == 200 and b"64 hexadecimal digits" in bad.content


def test_report_statuses_stay_valid():
    assert set(Report.Status.values) == {"open", "resolved", "dismissed"}


def test_a_reported_chat_message_is_shown_in_its_context(mod_client):
    from live.tests.factories import ChatMessageFactory, StreamFactory

    stream = StreamFactory()
    before = ChatMessageFactory(stream=stream, text="earlier line")
    reported = ChatMessageFactory(stream=stream, text="the reported line")
    after = ChatMessageFactory(stream=stream, text="later line")
    report = ReportFactory(target=reported, target_type="chat_message")
    page = mod_client.get(f"{REPORTS}{report.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    content = content[content.index("<ol") :]  # the chat around the message, after its excerpt
    assert content.index(before.text) < content.index(reported.text) < content.index(after.text)


# --- mark sensitive -------------------------------------------------------------------------------


def test_mark_sensitive_keeps_the_post_up_behind_a_warning_audited_and_the_author_told(
    mod_client, moderator, django_capture_on_commit_callbacks
):
    post = PostFactory()
    report = ReportFactory(target=post)
    page = mod_client.post(REPORTS, {"action": "mark_sensitive", "_selected_action": [report.pk]})
    assert page.status_code == 200 and b"sensitive" in page.content  # asks why first
    with django_capture_on_commit_callbacks(execute=True):
        _enforce(mod_client, REPORTS, "mark_sensitive", [report.pk], reason="Graphic injury")
    post.refresh_from_db()
    report.refresh_from_db()
    assert post.sensitive and post.moderation_status == ModerationStatus.VISIBLE
    assert report.status == Report.Status.RESOLVED
    assert AuditEntry.objects.filter(action="post.sensitive", actor=moderator, reason="Graphic injury").exists()
    told = Notification.objects.get(recipient=post.author, kind="moderation_action")
    assert told.data["status"] == "sensitive" and "Graphic injury" in told.data["sentence"]
    assert told.data["appeal_url"] == "/studio/moderation/"
    viewer = UserFactory()
    api = APIClient()
    api.force_authenticate(viewer)
    assert api.get(f"/api/v1/posts/{post.pk}").json()["sensitive"] is True


def test_mark_sensitive_skips_what_cannot_carry_the_mark(mod_client):
    report = ReportFactory(target=UserFactory(), target_type="user")
    _enforce(mod_client, REPORTS, "mark_sensitive", [report.pk], reason="n/a")
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN


def test_marking_twice_records_once(moderator):
    post = PostFactory()
    assert moderation_mark_sensitive(actor=moderator, target=post, reason="x") is not None
    assert moderation_mark_sensitive(actor=moderator, target=post, reason="x") is None
    assert AuditEntry.objects.filter(action="post.sensitive").count() == 1
