"""API: a report's thread, the caller's account actions and appeals; the report-abuse limits;
rights reports routed to copyright by an event; the Studio standing page."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from moderation import services
from moderation.models import Appeal, ReportMessage
from moderation.tests.factories import ReportFactory
from posts.tests.factories import PostFactory
from socialflow.core.models import Event
from socialflow.core.moderation import moderation_apply

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def moderator():
    user = UserFactory(username="mod", is_staff=True)
    user.groups.add(Group.objects.get(name="moderator"))
    return user


def test_the_reporter_and_moderators_share_a_thread(moderator, django_assert_max_num_queries):
    report = ReportFactory()
    reporter = _client(report.reporter)
    created = reporter.post(f"/api/v1/reports/{report.pk}/messages", {"text": "It keeps happening"})
    assert created.status_code == 201 and created.json()["from_moderator"] is False
    services.report_message_add(report=report, author=moderator, text="Thanks, looking", by_moderator=True)
    with django_assert_max_num_queries(3):
        listed = reporter.get(f"/api/v1/reports/{report.pk}/messages")
    assert [m["text"] for m in listed.json()["results"]] == ["It keeps happening", "Thanks, looking"]
    assert listed.json()["results"][1]["from_moderator"] is True
    assert "author" not in listed.json()["results"][1]  # never which moderator


def test_someone_elses_report_thread_is_a_404():
    report = ReportFactory()
    stranger = _client(UserFactory())
    assert stranger.get(f"/api/v1/reports/{report.pk}/messages").status_code == 404
    assert stranger.post(f"/api/v1/reports/{report.pk}/messages", {"text": "x"}).status_code == 404
    assert stranger.get("/api/v1/reports/not-an-id/messages").status_code == 404
    assert not ReportMessage.objects.exists()


def test_an_empty_or_long_message_is_a_400():
    report = ReportFactory()
    client = _client(report.reporter)
    assert client.post(f"/api/v1/reports/{report.pk}/messages", {"text": ""}).status_code == 400
    assert client.post(f"/api/v1/reports/{report.pk}/messages", {"text": "x" * 1001}).status_code == 400


def test_report_abuse_is_rate_limited(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "reports": "3/hour"},
    }
    client = _client(UserFactory())
    codes = [
        client.post("/api/v1/reports", {"target_type": "post", "target_id": str(PostFactory().pk), "reason": "spam"})
        for _ in range(4)
    ]
    assert [r.status_code for r in codes] == [201, 201, 201, 429]
    assert "Retry-After" in codes[-1]


def test_rights_reports_are_routed_to_copyright_by_an_event():
    post = PostFactory()
    reporter = _client(UserFactory())
    reporter.post(
        "/api/v1/reports", {"target_type": "post", "target_id": str(post.pk), "reason": "rights", "details": "my song"}
    )
    event = Event.objects.get(name="report.rights")
    assert event.payload["target_id"] == str(post.pk) and event.payload["details"] == "my song"
    reporter.post("/api/v1/reports", {"target_type": "post", "target_id": str(PostFactory().pk), "reason": "spam"})
    assert Event.objects.filter(name="report.rights").count() == 1


def test_the_caller_lists_their_account_actions(moderator, django_assert_max_num_queries):
    user = UserFactory()
    services.account_action_create(user=user, kind="warn", by=moderator, reason="be nice")
    services.account_action_create(user=user, kind="strike", by=moderator, reason="spam")
    services.account_action_create(user=UserFactory(), kind="warn", by=moderator, reason="other")
    client = _client(user)
    with django_assert_max_num_queries(2):
        response = client.get("/api/v1/moderation/actions")
    assert [a["kind"] for a in response.json()["results"]] == ["strike", "warn"]
    assert response.json()["results"][0]["active"] is True


def test_appeals_through_the_api(moderator, django_assert_max_num_queries):
    user = UserFactory()
    strike = services.account_action_create(user=user, kind="strike", by=moderator, reason="spam")
    warn = services.account_action_create(user=user, kind="warn", by=moderator, reason="hm")
    client = _client(user)
    created = client.post("/api/v1/appeals", {"action_id": str(strike.pk), "text": "not spam"})
    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert client.post("/api/v1/appeals", {"action_id": str(strike.pk), "text": "again"}).status_code == 409
    assert client.post("/api/v1/appeals", {"action_id": str(warn.pk), "text": "x"}).status_code == 400
    assert client.post("/api/v1/appeals", {"text": "nothing named"}).status_code == 400
    other = services.account_action_create(user=UserFactory(), kind="strike", by=moderator, reason="x")
    assert client.post("/api/v1/appeals", {"action_id": str(other.pk), "text": "x"}).status_code == 404
    post = PostFactory(author=user)
    visible = client.post("/api/v1/appeals", {"target_type": "post", "target_id": str(post.pk), "text": "x"})
    assert visible.status_code == 400
    moderation_apply(actor=None, target=post, status="held", reason="automatic")
    held = client.post("/api/v1/appeals", {"target_type": "post", "target_id": str(post.pk), "text": "satire"})
    assert held.status_code == 201
    with django_assert_max_num_queries(2):
        listed = client.get("/api/v1/appeals")
    assert len(listed.json()["results"]) == 2
    assert Appeal.objects.count() == 2


def test_the_studio_page_shows_standing_and_takes_appeals(client, moderator):
    user = UserFactory()
    strike = services.account_action_create(user=user, kind="strike", by=moderator, reason="Spam links")
    client.force_login(user)
    page = client.get("/studio/moderation/")
    assert page.status_code == 200
    assert b"Spam links" in page.content and b"Active strikes: <strong>1</strong>" in page.content
    response = client.post("/studio/moderation/", {"action_id": str(strike.pk), "text": "was not me"})
    assert response.status_code == 302
    assert Appeal.objects.get().action == strike
    assert b"appealed" in client.get("/studio/moderation/").content


def test_the_studio_page_needs_a_login(client):
    assert client.get("/studio/moderation/").status_code == 302
