import pytest

from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://sf.example.com"


@pytest.fixture
def target(db):
    """Any saved row works as a notification target; a user keeps these tests independent of other apps."""
    return UserFactory()


@pytest.fixture
def other_target(db):
    return UserFactory()
