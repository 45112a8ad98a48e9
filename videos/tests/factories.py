import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from videos.models import Comment, Playlist, Video


class VideoFactory(factory.django.DjangoModelFactory):
    """A ready, public, published video (no media files unless a test transcodes one)."""

    class Meta:
        model = Video

    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Video {n}")
    description = factory.Faker("sentence")
    status = Video.Status.READY
    visibility = "public"
    duration_ms = 60_000
    width = 1280
    height = 720
    progress = 100
    published_at = factory.LazyFunction(timezone.now)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    video = factory.SubFactory(VideoFactory)
    author = factory.SubFactory(UserFactory)
    text = factory.Faker("sentence")


class PlaylistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Playlist

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Playlist {n}")
