"""Training the naive-Bayes spam model from moderators' decisions (``moderation.tasks.train_spam_model``).

Examples: the seed corpus (generated, so a fresh clone has a model) plus every text moderators
decided on — spam signals confirmed (spam) or overturned (not spam), and reports for spam that
removed the content (spam) or were dismissed (not spam). A new ``SpamModel`` version is stored only
when there are decided examples not in the newest model."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from moderation import selectors
from moderation.classifiers import spam
from moderation.models import Reason, Report, Signal, SpamModel

MAX_DECIDED = 20_000


def decided_examples() -> tuple[list[str], list[int]]:
    texts: list[str] = []
    labels: list[int] = []
    reviewed = (
        Signal.objects.filter(classifier="spam", review__in=[Signal.Review.CONFIRMED, Signal.Review.OVERTURNED])
        .exclude(excerpt="")
        .order_by("-reviewed_at")
        .values_list("excerpt", "review")[:MAX_DECIDED]
    )
    for text, review in reviewed:
        texts.append(text)
        labels.append(1 if review == Signal.Review.CONFIRMED else 0)
    reports = (
        Report.objects.filter(reason=Reason.SPAM)
        .exclude(status=Report.Status.OPEN)
        .order_by("-resolved_at")
        .values_list("target_type", "target_id", "status")[:MAX_DECIDED]
    )
    for target_type, target_id, status in reports:
        target = selectors.target_get(target_type=target_type, target_id=target_id)
        text = getattr(target, "text", "") if target is not None else ""
        if text:
            texts.append(text[:500])
            labels.append(1 if status == Report.Status.RESOLVED else 0)
    return texts, labels


def spam_model_train(*, force: bool = False) -> SpamModel | None:
    """Train and store a new version (None when nothing new was decided and not ``force``)."""
    decided_texts, decided_labels = decided_examples()
    latest = SpamModel.objects.order_by("-version").first()
    if not force and latest is not None and latest.decided_examples == len(decided_texts):
        return None
    if not force and latest is None and not decided_texts:
        return None  # the seed model is built in memory at first use; nothing to add yet
    seed_texts, seed_labels = spam.seed_corpus()
    texts, labels = seed_texts + decided_texts, seed_labels + decided_labels
    model = spam.train(texts, labels)
    with transaction.atomic():
        version = (SpamModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        row = SpamModel.objects.create(
            version=version,
            weights=spam.dump(model),
            spam_examples=sum(labels),
            ham_examples=len(labels) - sum(labels),
            decided_examples=len(decided_texts),
        )
    spam.forget_loaded_model()
    return row
