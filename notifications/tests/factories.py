import factory

from accounts.tests.factories import UserFactory
from notifications.models import Delivery, Kind, Notification, PushDevice


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    actor = factory.SubFactory(UserFactory)
    kind = Kind.REPLY
    actors_count = 1
    data = factory.LazyFunction(dict)


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    notification = factory.SubFactory(NotificationFactory)
    channel = "email"
    status = Delivery.Status.PENDING


class WebPushDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PushDevice

    user = factory.SubFactory(UserFactory)
    platform = PushDevice.Platform.WEBPUSH
    token = factory.Sequence(lambda n: f"https://push.example.com/send/{n}")
    p256dh = "BOrtPpRvkqCkbtpz3X3ri-7M0fn1h1S5eZ8ZUTzr6BvdZgw3dF5p2rRrfmlZ6kGhV8wDmxXE-DOlBzXz4U3vJ5A"
    auth = "k9Xzm43nBGo5Vfh2oPvPqw"
    name = factory.Sequence(lambda n: f"browser {n}")


class FcmDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PushDevice

    user = factory.SubFactory(UserFactory)
    platform = PushDevice.Platform.FCM
    token = factory.Sequence(lambda n: f"fcm-token-{n}")
