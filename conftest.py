"""Project-wide fixtures: personas (alice owns, bob is another user, charlie an outsider),
authenticated API clients, and a clean cache per test."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from socialflow.core import events


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api_client():
    return APIClient()


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie")


@pytest.fixture
def alice_client(alice):
    return bearer_client(alice)


@pytest.fixture
def bob_client(bob):
    return bearer_client(bob)


@pytest.fixture
def charlie_client(charlie):
    return bearer_client(charlie)


@pytest.fixture
def event_handler():
    """Register a domain-event handler for one test: ``event_handler("post.created", fn, name=...)``."""
    added: list[tuple[str, str]] = []

    def add(event: str, fn, *, name: str):
        events.register(event, fn, name=name)
        added.append((event, name))
        return fn

    yield add
    for event, name in added:
        events.unregister(event, name)
