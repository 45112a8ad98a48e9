import factory

from accounts.tests.factories import UserFactory
from live.models import ChatMessage, Stream


class StreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stream

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Stream {n}")
    description = "Live from the test suite"


class ChatMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatMessage

    stream = factory.SubFactory(StreamFactory)
    user = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"message {n}")
