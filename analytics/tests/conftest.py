import pytest

from socialflow.redis import get_redis


@pytest.fixture(autouse=True)
def _empty_tracking_buffer():
    client = get_redis()
    if client is not None:
        for key in client.scan_iter(match="sf:analytics:*"):
            client.delete(key)
    yield
