import pytest
from django.utils import timezone

from socialflow.redis import get_redis


@pytest.fixture(autouse=True)
def _clean_redis():
    client = get_redis()
    if client is not None:
        client.flushdb()
    yield
    if client is not None:
        client.flushdb()


@pytest.fixture(params=["db", "redis"])
def store_kind(request, settings):
    """Run a test against both timeline stores (Redis only when REDIS_URL is set, as in CI)."""
    if request.param == "redis" and get_redis() is None:
        pytest.skip("REDIS_URL is not set")
    settings.FEED_STORE = request.param
    return request.param


@pytest.fixture
def store(store_kind):
    from posts.feeds import get_store

    return get_store()


def activate(*users):
    """Mark users as seen now (fan-out reaches active users only)."""
    from accounts.models import User

    now = timezone.now()
    User.objects.filter(pk__in=[u.pk for u in users]).update(last_seen_at=now)
    for user in users:
        user.last_seen_at = now
