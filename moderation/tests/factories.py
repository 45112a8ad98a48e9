import factory
from django.contrib.contenttypes.models import ContentType

from accounts.tests.factories import UserFactory
from moderation.models import SEVERITY, Report
from posts.tests.factories import PostFactory


class ReportFactory(factory.django.DjangoModelFactory):
    """An open spam report of a post (pass ``target=`` and ``target_type=`` for another kind)."""

    class Meta:
        model = Report
        exclude = ("target",)

    reporter = factory.SubFactory(UserFactory)
    target = factory.SubFactory(PostFactory)
    target_type = "post"
    target_content_type = factory.LazyAttribute(lambda o: ContentType.objects.get_for_model(o.target))
    target_id = factory.LazyAttribute(lambda o: o.target.pk)
    reason = "spam"
    severity = factory.LazyAttribute(lambda o: SEVERITY[o.reason])
