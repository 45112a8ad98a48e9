"""The API's orjson renderer writes what DRF's JSONRenderer wrote, and bodies round-trip."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from socialflow.api.renderers import JSONRenderer
from socialflow.core import jsonsafe
from videos.tests.factories import VideoFactory

UTC = dt.UTC
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))


def _payload():
    return {
        "aware_utc": dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        "aware_utc_whole": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "aware_other": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=PLUS_TWO),
        "naive": dt.datetime(2026, 1, 2, 3, 4, 5),
        "date": dt.date(2026, 1, 2),
        "time": dt.time(3, 4, 5, 600),
        "duration": dt.timedelta(minutes=3, microseconds=5),
        "decimal": Decimal("12.50"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "lazy": gettext_lazy("Not found."),
        "text": 'déjà vu ✓ 日本語 🎬 "quoted" \\ \n\t\x01',
        "separators": "a\u2028b\u2029c",
        "big": 2**70,
        "negative_big": -(2**70),
        "u64": 2**64 - 1,
        "numbers": [0, -1, 0.1, 1.5, 1e16, True, False, None],
        "int_keys": {1: "a", 2: "b"},
        "tuple": (1, (2, 3)),
        "generator": (i for i in range(3)),
        "nested": {"results": [{"id": "1", "tags": ["a"]}], "next": None, "previous": None},
    }


@pytest.mark.parametrize("key", list(_payload()))
def test_it_renders_each_value_as_drf_did(key):
    assert JSONRenderer().render({key: _payload()[key]}) == DRFJSONRenderer().render({key: _payload()[key]})


def test_it_renders_a_whole_body_as_drf_did():
    assert JSONRenderer().render(_payload()) == DRFJSONRenderer().render(_payload())


@pytest.mark.parametrize("media_type", ["application/json; indent=4", "application/json; indent=0"])
def test_it_indents_as_drf_did(media_type):
    data = {"a": [1, {"b": dt.datetime(2026, 1, 2, tzinfo=UTC)}], "é": None}
    assert JSONRenderer().render(data, media_type) == DRFJSONRenderer().render(data, media_type)
    context = {"indent": 4}
    assert JSONRenderer().render(data, None, context) == DRFJSONRenderer().render(data, None, context)


def test_it_fails_where_drf_failed():
    with pytest.raises(ValueError, match="timezone-aware times"):
        JSONRenderer().render({"t": dt.time(3, tzinfo=UTC)})
    with pytest.raises(TypeError):
        JSONRenderer().render({"o": object()})
    assert JSONRenderer().render(None) == b""


def test_it_reads_long_integers_exactly():
    assert jsonsafe.loads(b'{"n": 123456789012345678901234567890, "m": -9223372036854775809}') == {
        "n": 123456789012345678901234567890,
        "m": -9223372036854775809,
    }
    assert jsonsafe.loads('[1.25, "12345678901234567890"]') == [1.25, "12345678901234567890"]
    with pytest.raises(jsonsafe.JSONError):
        jsonsafe.loads(b'{"n": 12345678901234567890, "s": "\\ud800"}')


@pytest.mark.django_db
def test_it_answers_a_malformed_body_with_the_same_400(alice_client):
    response = alice_client.post("/api/v1/posts", data=b'{"text": "x",}', content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code"} and body["code"] == "parse_error"
    assert body["detail"].startswith("JSON parse error - Invalid JSON:")
    assert response.content == DRFJSONRenderer().render(body)


@pytest.mark.django_db
def test_it_round_trips_text_numbers_and_datetimes(alice_client, alice):
    text = "déjà vu ✓ 日本語 🎬 \u2028 end"
    response = alice_client.post("/api/v1/posts", data={"text": text}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["text"] == text and b"\\u2028" in response.content
    video = VideoFactory(author=alice)
    when = "2030-01-02T03:04:05.123456Z"
    response = alice_client.patch(f"/api/v1/videos/{video.pk}", data={"published_at": when}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["published_at"] == when
    # A number past 64 bits reaches the serializer whole: the field's own error, not "not an integer".
    response = alice_client.post(
        f"/api/v1/videos/{video.pk}/watch",
        data=b'{"view_id": "12345678-1234-5678-1234-567812345678", "position_ms": 123456789012345678901234567890, '
        b'"watched_ms": 1}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "position_ms" in response.json() and "less than or equal" in str(response.json()["position_ms"])


@pytest.mark.django_db
def test_it_still_serves_the_browsable_api(api_client):
    response = api_client.get("/api/v1/videos", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"&quot;results&quot;" in response.content or b'"results"' in response.content
