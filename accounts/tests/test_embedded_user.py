"""The one embedded-user serializer and the shape each embedding keeps."""

import pytest
from rest_framework.test import APIRequestFactory

from accounts.api.serializers import EmbeddedUserSerializer, UserBriefSerializer, user_brief
from accounts.tests.factories import UserFactory
from live.api.serializers import ChatUserSerializer, LiveUserSerializer
from notifications.api.serializers import ActorSerializer, actor_payload
from videos.api.serializers import AuthorSerializer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("shape", "keys"),
    [
        (UserBriefSerializer, ["id", "username", "display_name", "avatar_url", "is_private"]),
        (AuthorSerializer, ["id", "username", "display_name", "avatar_url"]),
        (ActorSerializer, ["id", "username", "display_name", "avatar_url"]),
        (LiveUserSerializer, ["id", "username", "display_name"]),
        (ChatUserSerializer, ["username", "display_name"]),
    ],
)
def test_each_embedding_keeps_its_fields_in_order(shape, keys):
    assert issubclass(shape, EmbeddedUserSerializer)
    user = UserFactory(username="alice", display_name="Alice")
    assert list(shape(user).data) == keys
    assert list(shape().fields) == keys  # what the OpenAPI component documents
    assert shape.embed(user) == dict(shape(user).data)


def test_it_shows_the_display_name_as_set_except_in_the_brief():
    user = UserFactory(username="alice", display_name="")
    assert user_brief(user)["display_name"] == "alice"
    assert AuthorSerializer.embed(user)["display_name"] == ""
    assert actor_payload(user)["display_name"] == ""
    assert user_brief(user)["id"] == str(user.pk)


def test_it_makes_avatar_urls_absolute_on_the_requests_host_or_site_url(settings):
    user = UserFactory(avatar="avatars/a.png")
    request = APIRequestFactory().get("/", HTTP_HOST="api.example.org")
    assert AuthorSerializer(user, context={"request": request}).data["avatar_url"].startswith("http://api.example.org/")
    assert user_brief(user)["avatar_url"].startswith(settings.SITE_URL)
    assert user_brief(UserFactory())["avatar_url"] is None
