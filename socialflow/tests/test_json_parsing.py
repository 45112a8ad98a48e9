"""Hostile JSON bodies are a clean 400 on every JSON endpoint, never a RecursionError 500."""

import pytest

from socialflow.core import jsonsafe

pytestmark = pytest.mark.django_db

DEEP = "[" * 50_000 + "]" * 50_000  # far past Python's recursion limit
OVER_LIMIT = '{"username": ' + "[" * (jsonsafe.MAX_DEPTH + 1) + "]" * (jsonsafe.MAX_DEPTH + 1) + "}"
LONE_SURROGATE = '{"username": "\\ud800", "password": "x"}'


@pytest.mark.parametrize("body", [DEEP, OVER_LIMIT, LONE_SURROGATE], ids=["deep", "over-limit", "lone-surrogate"])
@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/token", "/api/v1/auth/register", "/api/v1/live/ingest/publish?secret=s", "/api/v1/posts"],
)
def test_it_answers_400_to_hostile_json(api_client, alice_client, settings, path, body):
    settings.LIVE_INGEST_SECRET = "s"
    client = alice_client if path == "/api/v1/posts" else api_client
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"


def test_it_still_parses_ordinary_json(alice_client):
    response = alice_client.post("/api/v1/posts", data={"text": "nested ok ✓"}, format="json")
    assert response.status_code == 201
    assert response.json()["text"] == "nested ok ✓"


def test_it_refuses_depth_without_recursing():
    nested = "[" * (jsonsafe.MAX_DEPTH) + "]" * (jsonsafe.MAX_DEPTH)
    assert jsonsafe.loads(nested)
    with pytest.raises(jsonsafe.JSONError):
        jsonsafe.loads("[" + nested + "]")
    with pytest.raises(jsonsafe.JSONError):
        jsonsafe.loads('"\\udfff"')
