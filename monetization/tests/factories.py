import factory

from accounts.tests.factories import UserFactory
from monetization.models import Account, AccountKind


class CreatorAccountFactory(factory.django.DjangoModelFactory):
    """A creator's pending account (pass ``kind=AccountKind.CREATOR_AVAILABLE`` for the other)."""

    class Meta:
        model = Account
        django_get_or_create = ("owner", "kind", "currency")

    owner = factory.SubFactory(UserFactory)
    kind = AccountKind.CREATOR_PENDING
    currency = "USD"


class PlatformAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("owner", "kind", "currency")

    owner = None
    kind = AccountKind.STRIPE_CLEARING
    currency = "USD"
