import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from live.tests.factories import ChatMessageFactory, StreamFactory
from moderation.models import Report
from moderation.tests.factories import ReportFactory
from posts.tests.factories import PostFactory
from videos.tests.factories import CommentFactory, VideoFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _report(client, target_type, target_id, reason="spam", **extra):
    return client.post(URL, {"target_type": target_type, "target_id": str(target_id), "reason": reason, **extra})


@pytest.mark.parametrize(
    ("target_type", "make", "owner"),
    [
        ("post", lambda u: PostFactory(author=u), "author"),
        ("video", lambda u: VideoFactory(author=u), "author"),
        ("comment", lambda u: CommentFactory(author=u), "author"),
        ("stream", lambda u: StreamFactory(owner=u), "owner"),
        ("chat_message", lambda u: ChatMessageFactory(user=u), "user"),
        ("user", lambda u: u, None),
    ],
)
def test_every_kind_can_be_reported_once_while_open(target_type, make, owner, alice, bob):
    target = make(bob)
    client = _client(alice)
    response = _report(client, target_type, target.pk, reason="harassment", details="  rude  ")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["target_type"] == target_type
    assert body["target_id"] == str(target.pk)
    assert body["reason"] == "harassment"
    assert body["details"] == "rude"
    assert body["status"] == "open"
    assert body["resolved_at"] is None
    assert isinstance(body["id"], str)
    # A second report of the same target while the first is open: the same report, 200.
    again = _report(client, target_type, target.pk, reason="spam")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Report.objects.filter(reporter=alice).count() == 1
    report = Report.objects.get()
    assert report.target == target
    assert report.severity == 3


def test_a_new_report_is_allowed_once_the_first_is_closed(alice, bob):
    post = PostFactory(author=bob)
    ReportFactory(reporter=alice, target=post, status=Report.Status.DISMISSED)
    assert _report(_client(alice), "post", post.pk).status_code == 201


def test_the_database_allows_one_open_report_per_reporter_and_target(alice, bob):
    post = PostFactory(author=bob)
    ReportFactory(reporter=alice, target=post)
    with pytest.raises(IntegrityError):
        ReportFactory(reporter=alice, target=post)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target_type": "planet", "target_id": "1", "reason": "spam"}, "target_type"),
        ({"target_type": "post", "target_id": "1", "reason": "boring"}, "reason"),
        ({"target_type": "post", "target_id": "1", "reason": "spam", "details": "x" * 1001}, "details"),
        ({"target_type": "post", "reason": "spam"}, "target_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(body, field, alice):
    response = _client(alice).post(URL, body)
    assert response.status_code == 400
    assert field in response.json()


def test_a_missing_or_invisible_target_is_a_404(alice, bob):
    client = _client(alice)
    assert _report(client, "post", 999999).status_code == 404
    assert _report(client, "video", "not-an-id").status_code == 404
    hidden = PostFactory(author=bob, moderation_status="removed")
    assert _report(client, "post", hidden.pk).status_code == 404
    private = VideoFactory(author=bob, visibility="private")
    response = _report(client, "video", private.pk)
    assert response.status_code == 404
    assert response.json()["detail"] == "No such video."


def test_reporting_yourself_or_your_own_content_is_a_400(alice):
    client = _client(alice)
    response = _report(client, "user", alice.pk)
    assert response.status_code == 400
    assert response.json() == {"target_id": ["You cannot report yourself."]}
    assert _report(client, "post", PostFactory(author=alice).pk).status_code == 400


def test_anonymous_may_not_report_or_list(api_client, bob):
    assert _report(api_client, "user", bob.pk).status_code == 401
    assert api_client.get(URL).status_code == 401


def test_reports_are_throttled_per_user(settings, alice):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "reports": "2/hour"},
    }
    client = _client(alice)
    users = UserFactory.create_batch(3)
    assert _report(client, "user", users[0].pk).status_code == 201
    assert _report(client, "user", users[1].pk).status_code == 201
    response = _report(client, "user", users[2].pk)
    assert response.status_code == 429
    assert "Retry-After" in response
    assert client.get(URL).status_code == 200  # reading one's reports is not limited
    assert _report(_client(users[0]), "user", users[2].pk).status_code == 201  # per user


def test_the_list_is_the_callers_own_reports_newest_first_cursor_paged(alice, bob, django_assert_max_num_queries):
    mine = [ReportFactory(reporter=alice) for _ in range(3)]
    ReportFactory(reporter=bob)
    client = _client(alice)
    with django_assert_max_num_queries(2):
        response = client.get(URL, {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["results"]] == [str(mine[2].pk), str(mine[1].pk)]
    assert body["previous"] is None
    rest = client.get(body["next"]).json()
    assert [r["id"] for r in rest["results"]] == [str(mine[0].pk)]
    assert rest["next"] is None


def test_the_list_costs_the_same_queries_for_more_reports(alice):
    client = _client(alice)
    ReportFactory(reporter=alice)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    ReportFactory.create_batch(10, reporter=alice)
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many.captured_queries) == len(few.captured_queries)
