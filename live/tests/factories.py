import factory

from accounts.tests.factories import UserFactory
from live.models import ChatMessage, LiveChannel, Stream


class StreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stream
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Stream {n}")
    description = "Live from the test suite"

    @factory.post_generation
    def channel(stream, create, extracted, **kwargs):
        # Every broadcaster has a channel (its persistent stream key), as stream_create makes it.
        if create:
            LiveChannel.objects.get_or_create(owner=stream.owner)


class ChatMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatMessage

    stream = factory.SubFactory(StreamFactory)
    user = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"message {n}")
