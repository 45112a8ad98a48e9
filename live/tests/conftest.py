import pytest

from live.lib.ratelimit import local_buckets


@pytest.fixture(autouse=True)
def _live_settings(settings, tmp_path):
    settings.LIVE_RECORDINGS_DIR = tmp_path / "recordings"
    settings.LIVE_RECORDINGS_DIR.mkdir()
    settings.LIVE_INGEST_SECRET = "test-ingest-secret"
    local_buckets.clear()
    yield
    local_buckets.clear()
