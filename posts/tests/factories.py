import factory

from accounts.tests.factories import UserFactory
from posts.models import Post


class PostFactory(factory.django.DjangoModelFactory):
    """A plain post row (no fan-out, no counters): for read-side tests. Write-side tests use
    ``posts.services.post_create``."""

    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"post number {n}")
