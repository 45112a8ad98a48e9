"""The periodic task trains the spam model from moderators' decisions, on top of the seed corpus."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from accounts.tests.factories import UserFactory
from moderation import classifiers, services, tasks
from moderation.classifiers import spam
from moderation.classifiers.base import TEXT, Item
from moderation.models import Signal, SpamModel
from moderation.tests.factories import ReportFactory
from notifications.models import Notification
from posts.models import Post
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

# Words the seed corpus has never seen: only the moderators' decisions can teach them.
CAMPAIGN = "zorblax tokens moonshot presale whitelist zorblax"


def _decided(text, review):
    post = PostFactory(text=text)
    return Signal.objects.create(
        target_type="post",
        target_content_type=ContentType.objects.get_for_model(Post),
        target_id=post.pk,
        author=post.author,
        classifier="spam",
        model="rules+naive-bayes",
        version="nb-v0",
        input_key=f"k{post.pk}",
        excerpt=text,
        score=0.5,
        decision="hold",
        review=review,
    )


def test_nothing_to_learn_stores_no_model():
    assert tasks.train_spam_model() is None
    assert not SpamModel.objects.exists()


def test_the_task_learns_from_confirmed_and_overturned_decisions_and_reports():
    spam.forget_loaded_model()
    before = spam.current_model()[1].predict_proba(spam.vectorizer().transform([CAMPAIGN]))[0][1]
    for i in range(6):
        _decided(f"{CAMPAIGN} {i}", Signal.Review.CONFIRMED)
        _decided(f"lovely zorblax garden photos {i}", Signal.Review.OVERTURNED)
    resolved = ReportFactory(target=PostFactory(text=f"{CAMPAIGN} join now"), reason="spam", status="resolved")
    assert resolved.status == "resolved"
    version = tasks.train_spam_model()
    row = SpamModel.objects.get(version=version)
    assert row.decided_examples == 13 and row.spam_examples == 200 + 7 and row.ham_examples == 200 + 6
    loaded_version, model = spam.current_model()  # workers pick the newest version up
    assert loaded_version == version
    after = model.predict_proba(spam.vectorizer().transform([CAMPAIGN]))[0][1]
    assert after > before and after > 0.9
    # Nothing new decided: no new version.
    assert tasks.train_spam_model() is None
    spam.forget_loaded_model()


def test_the_classifier_reports_the_model_version_it_used():
    spam.forget_loaded_model()
    _decided(CAMPAIGN, Signal.Review.CONFIRMED)
    version = tasks.train_spam_model()
    classifier = classifiers.get("spam")
    classifier.classify(Item(kind=TEXT, text="hello"))
    assert classifier.version == f"nb-v{version}"
    spam.forget_loaded_model()


def test_moderator_replies_and_appeal_outcomes_reach_the_user(django_capture_on_commit_callbacks):
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Group.objects.get(name="moderator"))
    report = ReportFactory()
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_message_add(report=report, author=moderator, text="Which part?", by_moderator=True)
        strike = services.account_action_create(user=user, kind="strike", by=moderator, reason="spam")
        appeal = services.appeal_create(user=user, action_id=strike.pk, text="no")
        services.appeal_decide(appeal=appeal, by=UserFactory(), grant=False, note="stands")
    replied = Notification.objects.get(recipient=report.reporter)
    assert replied.data["sentence"] == "A moderator replied about your report"
    sentences = set(Notification.objects.filter(recipient=user).values_list("data__sentence", flat=True))
    assert sentences == {"You received a strike: spam", "Your appeal was rejected: the decision stands (stands)"}
