import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory


@pytest.fixture
def moderator(db):
    return UserFactory(username="mod", role=User.Role.MODERATOR, is_staff=True)
