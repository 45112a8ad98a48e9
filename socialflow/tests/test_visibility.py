"""One Visibility for every app; each kind of content allows its own subset of it."""

import pytest

from accounts.tests.factories import UserFactory
from posts import services as post_services
from posts.models import POST_VISIBILITIES, Post
from posts.models import Visibility as PostVisibility
from socialflow.core.exceptions import InvalidInput
from socialflow.core.visibility import Visibility
from videos.models import PLAYLIST_VISIBILITIES, VIDEO_VISIBILITIES, Playlist, Video
from videos.models import Visibility as VideoVisibility


def test_it_is_one_enum_with_stable_values():
    assert PostVisibility is VideoVisibility is Visibility
    assert Visibility.values == ["public", "unlisted", "private", "followers", "members", "direct"]


def test_each_kind_of_content_allows_its_subset_in_the_documented_order():
    assert [v.value for v in VIDEO_VISIBILITIES] == ["public", "unlisted", "private", "followers", "members"]
    assert [v.value for v in POST_VISIBILITIES] == ["public", "unlisted", "followers", "members", "direct"]
    assert [v.value for v in PLAYLIST_VISIBILITIES] == ["public", "unlisted", "private"]
    assert [value for value, _ in Video._meta.get_field("visibility").choices] == [v.value for v in VIDEO_VISIBILITIES]
    assert [value for value, _ in Post._meta.get_field("visibility").choices] == [v.value for v in POST_VISIBILITIES]
    assert [value for value, _ in Playlist._meta.get_field("visibility").choices] == ["public", "unlisted", "private"]


@pytest.mark.django_db
def test_a_post_refuses_a_visibility_only_videos_have():
    with pytest.raises(InvalidInput) as exc:
        post_services.post_create(author=UserFactory(), text="hi", visibility=Visibility.PRIVATE)
    assert exc.value.field == "visibility"
    assert exc.value.message == "One of public, unlisted, followers, members, direct."
