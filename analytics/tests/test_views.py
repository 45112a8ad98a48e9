"""Studio analytics pages: the owner's own data only, bounded queries, CSV exports, escaping."""

import csv
import io

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from analytics import services
from analytics.tests.test_api import _watch
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def video(alice, bob, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice, title="<script>alert(1)</script> & friends", duration_ms=10_000)
    with django_capture_on_commit_callbacks(execute=True):
        _watch(video, bob, seconds=10)
    services.tracking_flush()
    return video


def test_the_studio_home_shows_analytics(alice):
    response = _client(alice).get("/studio/")
    assert b'href="/studio/analytics/"' in response.content


def test_the_channel_dashboard(alice, video, django_assert_max_num_queries):
    for _ in range(5):
        VideoFactory(author=alice)
    client = _client(alice)
    with django_assert_max_num_queries(12):
        response = client.get("/studio/analytics/")
    assert response.status_code == 200
    html = response.content.decode()
    for canvas in ("chart-daily", "chart-retention", "chart-sources", "chart-realtime"):
        assert f'id="{canvas}"' in html
    assert "/static/vendor/chart.js/chart.umd.min.js" in html and "cdn" not in html.lower()
    assert 'data-url="/api/v1/analytics/realtime"' in html
    assert "<script>alert(1)</script>" not in html  # titles are escaped, in HTML and in the JSON
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in html
    assert '<span class="value" id="kpi-views">1</span>' in html


def test_the_video_page(alice, video, django_assert_max_num_queries):
    client = _client(alice)
    with django_assert_max_num_queries(10):
        response = client.get(f"/studio/analytics/videos/{video.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-url="/api/v1/analytics/realtime?video={video.pk}"' in html
    assert "<script>alert(1)</script>" not in html
    assert 'id="analytics-report"' in html


def test_other_creators_get_404(bob, charlie, video):
    for user in (bob, charlie):
        client = _client(user)
        assert client.get(f"/studio/analytics/videos/{video.pk}/").status_code == 404
        assert client.get(f"/studio/analytics/videos/{video.pk}/export.csv").status_code == 404
        # Their own channel page shows none of alice's figures.
        assert '<span class="value" id="kpi-views">0</span>' in client.get("/studio/analytics/").content.decode()


def test_anonymous_is_sent_to_sign_in(video):
    response = Client().get("/studio/analytics/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_bad_range_is_a_message_not_an_error(alice, video):
    response = _client(alice).get("/studio/analytics/?from=2026-05-02&to=2026-05-01")
    assert response.status_code == 200
    assert b"&#x27;from&#x27; must not be after &#x27;to&#x27;." in response.content


def test_csv_exports(alice, video):
    client = _client(alice)
    response = client.get("/studio/analytics/export.csv?from=2026-01-01&to=2026-12-31")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["day", "views", "sessions"] and "followers_gained" in rows[0]
    assert len(rows) == 1 + 365
    response = client.get(f"/studio/analytics/videos/{video.pk}/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    views = rows[0].index("views")
    assert sum(int(row[views]) for row in rows[1:]) == 1


def test_the_admin_shows_the_tables_read_only(video):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client = _client(admin_user)
    for model in ("channelday", "videoday", "recommendationrun"):
        assert client.get(f"/admin/analytics/{model}/").status_code == 200
    assert client.get("/admin/analytics/channelday/add/").status_code == 403
