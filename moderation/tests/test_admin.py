import pytest
from django.contrib.auth.models import Group, Permission

from accounts.tests.factories import UserFactory
from live.tests.factories import ChatMessageFactory
from moderation.apps import MODERATOR_PERMISSIONS, MODERATOR_VIEW_PERMISSIONS
from moderation.models import Report
from moderation.tests.factories import ReportFactory
from posts.models import Post
from posts.tests.factories import PostFactory
from socialflow.core.models import AuditEntry
from videos.models import Comment
from videos.tests.factories import CommentFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/moderation/report/"


@pytest.fixture
def moderator(db):
    user = UserFactory(username="mod", is_staff=True)
    user.groups.add(Group.objects.get(name="moderator"))
    return user


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def test_the_moderator_group_has_the_moderation_permissions_and_only_views_elsewhere():
    perms = Group.objects.get(name="moderator").permissions.select_related("content_type")
    own = {p.codename for p in perms if p.content_type.app_label == "moderation"}
    elsewhere = {(p.content_type.app_label, p.codename) for p in perms if p.content_type.app_label != "moderation"}
    assert own == set(MODERATOR_PERMISSIONS)
    assert elsewhere == set(MODERATOR_VIEW_PERMISSIONS)
    assert all(codename.startswith("view_") for _, codename in elsewhere)
    assert "delete_report" not in MODERATOR_PERMISSIONS and "delete_signal" not in MODERATOR_PERMISSIONS


def test_a_moderator_opens_the_reported_post_and_the_audit_log_but_cannot_change_them(mod_client):
    post = PostFactory()
    assert mod_client.get(f"/admin/posts/post/{post.pk}/change/").status_code == 200
    assert mod_client.get("/admin/core/auditentry/").status_code == 200
    assert mod_client.post(f"/admin/posts/post/{post.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_queue_orders_by_severity_then_open_reports_on_the_target(mod_client):
    crowded, lonely, severe = PostFactory(), PostFactory(), PostFactory(text="a threat")
    spam = [ReportFactory(target=crowded) for _ in range(3)]
    single = ReportFactory(target=lonely)
    worst = ReportFactory(target=severe, reason="violence")
    response = mod_client.get(QUEUE)
    assert response.status_code == 200
    shown = [r.pk for r in response.context["cl"].result_list]
    assert shown == [worst.pk, *[r.pk for r in spam], single.pk]
    assert response.context["cl"].result_list[1].open_on_target == 3
    assert b"a threat" in response.content  # the preview column
    assert f"/admin/posts/post/{severe.pk}/change/".encode() in response.content


def test_the_queue_filters_by_status_reason_type_and_copyright(mod_client):
    ReportFactory(reason="rights")
    ReportFactory(reason="spam", status=Report.Status.DISMISSED)
    for query, count in [("status=open", 1), ("reason=spam", 1), ("target_type=post", 2), ("copyright=yes", 1)]:
        response = mod_client.get(f"{QUEUE}?{query}")
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == count, query


def test_dismiss_closes_the_reports_and_audits_each(mod_client, moderator):
    reports = ReportFactory.create_batch(2)
    mod_client.post(QUEUE, {"action": "dismiss_reports", "_selected_action": [r.pk for r in reports]})
    assert set(Report.objects.values_list("status", flat=True)) == {"dismissed"}
    assert Report.objects.filter(resolved_by=moderator, resolved_at__isnull=False).count() == 2
    entries = AuditEntry.objects.filter(action="report.dismiss", actor=moderator)
    assert sorted(entries.values_list("target_id", flat=True)) == sorted(str(r.pk) for r in reports)
    assert not Post.objects.filter(moderation_status="removed").exists()


def test_remove_content_asks_why_then_removes_and_resolves_every_open_report_on_it(mod_client, moderator):
    post = PostFactory()
    first, second = ReportFactory(target=post), ReportFactory(target=post, reason="hate")
    other = ReportFactory()
    page = mod_client.post(QUEUE, {"action": "remove_content", "_selected_action": [first.pk]})
    assert page.status_code == 200
    assert b"Remove reported content" in page.content
    assert Report.objects.filter(status="open").count() == 3
    mod_client.post(
        QUEUE, {"action": "remove_content", "_selected_action": [first.pk], "apply": "1", "reason": "spam wave"}
    )
    post.refresh_from_db()
    assert post.moderation_status == "removed"
    assert post.moderation_reason == "spam wave"
    assert set(Report.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {"resolved"}
    assert Report.objects.get(pk=other.pk).status == "open"
    assert AuditEntry.objects.filter(action="post.removed", target_id=str(post.pk), actor=moderator).count() == 1


def test_remove_content_on_a_comment_a_chat_message_and_a_user(mod_client, moderator):
    comment, message, user = CommentFactory(), ChatMessageFactory(), UserFactory()
    reports = [
        ReportFactory(target=comment, target_type="comment"),
        ReportFactory(target=message, target_type="chat_message"),
        ReportFactory(target=user, target_type="user"),
    ]
    mod_client.post(
        QUEUE, {"action": "remove_content", "_selected_action": [r.pk for r in reports], "apply": "1", "reason": ""}
    )
    assert not Comment.objects.filter(pk=comment.pk).exists()  # a removed comment is deleted
    message.refresh_from_db()
    user.refresh_from_db()
    assert message.moderation_status == "removed"
    assert user.is_permanently_banned
    assert AuditEntry.objects.filter(action="user.ban", target_id=str(user.pk), actor=moderator).exists()
    assert set(Report.objects.values_list("status", flat=True)) == {"resolved"}


def test_a_staff_user_without_the_group_cannot_see_or_act(client):
    report = ReportFactory()
    client.force_login(UserFactory(is_staff=True))
    assert client.get(QUEUE).status_code == 403
    response = client.post(QUEUE, {"action": "dismiss_reports", "_selected_action": [report.pk]})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == "open"


def test_a_staff_user_who_may_only_view_cannot_act(client):
    report = ReportFactory()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_report"))
    client.force_login(viewer)
    assert client.get(QUEUE).status_code == 200
    client.post(QUEUE, {"action": "dismiss_reports", "_selected_action": [report.pk]})
    report.refresh_from_db()
    assert report.status == "open"
