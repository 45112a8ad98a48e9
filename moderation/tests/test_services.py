import pytest

from accounts.tests.factories import UserFactory
from live import services as live_services
from live.models import Stream
from live.tests.factories import StreamFactory
from moderation import selectors, services
from moderation.models import AccountAction, Report
from moderation.tests.factories import ReportFactory
from notifications.models import Notification
from posts.tests.factories import PostFactory
from socialflow.core import events
from socialflow.core.models import Event
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def test_severity_follows_the_reason(alice, bob):
    report, created = services.report_create(
        reporter=alice, target_type="video", target_id=VideoFactory(author=bob).pk, reason="self_harm"
    )
    assert created
    assert report.severity == 5
    assert not report.for_copyright


def test_rights_reports_are_routed_to_copyright(alice, bob):
    rights = ReportFactory(reporter=alice, reason="rights")
    ReportFactory(reporter=bob, reason="spam")
    assert rights.for_copyright
    assert list(selectors.reports_for_copyright()) == [rights]


def test_removing_a_stream_ends_it(alice, bob):
    stream = StreamFactory(owner=bob)
    live_services.stream_go_live(stream=stream)
    report = ReportFactory(reporter=alice, target=stream, target_type="stream")
    assert services.report_target_remove(report=report, by=None) == 1
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED


def test_a_target_gone_meanwhile_just_closes_its_reports(alice, bob):
    post = PostFactory(author=bob)
    report = ReportFactory(reporter=alice, target=post)
    post.delete()
    assert services.report_target_remove(report=report, by=None, reason="gone") == 1
    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED


def test_a_closed_report_is_not_closed_twice(alice):
    report = ReportFactory(reporter=alice)
    assert services.reports_dismiss(reports=[report], by=None) == 1
    assert services.reports_dismiss(reports=[Report.objects.get(pk=report.pk)], by=None) == 0
    assert Event.objects.filter(name="report.resolved").count() == 1


@pytest.mark.parametrize(
    ("action", "sentence"),
    [
        ("remove", "Your report about a post was reviewed: removed"),
        ("dismiss", "Your report about a post was reviewed: no violation found"),
    ],
)
def test_the_reporter_is_told_the_outcome(action, sentence, alice, bob, charlie, django_capture_on_commit_callbacks):
    report = ReportFactory(reporter=alice, target=PostFactory(author=bob))
    with django_capture_on_commit_callbacks(execute=True):
        if action == "remove":
            services.report_target_remove(report=report, by=charlie, reason="spam")
        else:
            services.reports_dismiss(reports=[report], by=charlie)
    event = Event.objects.get(name="report.resolved")
    assert event.payload == {
        "report_id": report.pk,
        "reporter_id": alice.pk,
        "target_type": "post",
        "outcome": "removed" if action == "remove" else "dismissed",
    }
    told = Notification.objects.get(recipient=alice, kind="report_resolved")
    assert told.data["sentence"] == sentence
    assert told.actor_id is None  # the reporter is not told who decided


def test_an_upheld_copyright_takedown_is_a_strike_against_the_uploader(django_capture_on_commit_callbacks):
    # copyright records the event (it may not import moderation); moderation turns it into a strike.
    uploader = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        events.record("copyright.strike", claim_id=7, video_id=9, user_id=uploader.pk, audit_id=1)
    strike = AccountAction.objects.get(user=uploader)
    assert strike.kind == AccountAction.Kind.STRIKE and strike.created_by is None
    assert "claim 7" in strike.reason
