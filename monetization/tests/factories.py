import factory

from accounts.tests.factories import UserFactory
from monetization.models import Account, AccountKind, CreatorSubscription


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


class CreatorSubscriptionFactory(factory.django.DjangoModelFactory):
    """A creator's live plan subscription (basic, active); ``plan=``, ``status=`` for others."""

    class Meta:
        model = CreatorSubscription

    user = factory.SubFactory(UserFactory)
    plan = "basic"
    status = CreatorSubscription.Status.ACTIVE
    stripe_subscription_id = factory.Sequence(lambda n: f"sub_plan_{n}")
    stripe_customer_id = factory.Sequence(lambda n: f"cus_plan_{n}")
