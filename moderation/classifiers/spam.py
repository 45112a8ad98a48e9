"""Spam: rules plus a small naive-Bayes text model.

Rules (the context of ``moderation.models.Signal`` rows of this classifier, so no other app is
queried): the author's posting rate (texts classified in ``MODERATION_SPAM_RATE_WINDOW``), the
same normalised text from several accounts in ``MODERATION_SPAM_DUPLICATE_WINDOW`` (a campaign),
link density, and the account's age. The model: scikit-learn's ``MultinomialNB`` over hashed word
uni- and bigrams, trained by ``moderation.tasks.train_spam_model`` from moderators' decisions on
top of a deterministic seed corpus (``seed_corpus``), so a fresh clone has a working model. The
score is the highest of the rules' and the model's (a rule alone can hold a flood of "hello")."""

from __future__ import annotations

import io
import random
import threading

import numpy as np
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.naive_bayes import MultinomialNB

from moderation.classifiers.base import TEXT, Classifier, Item, Result
from moderation.classifiers.text import fingerprint, links, normalise
from moderation.models import Signal, SpamModel

N_FEATURES = 2**14
SEED_VERSION = 0


def vectorizer() -> HashingVectorizer:
    return HashingVectorizer(
        n_features=N_FEATURES, alternate_sign=False, ngram_range=(1, 2), norm=None, preprocessor=normalise
    )


# --- the seed corpus: generated, deterministic ----------------------------------------------------

_SPAM_OPENERS = ["Buy", "Cheap", "Get", "Earn", "Win", "Free", "Limited offer:", "Click here for", "Best price on"]
_SPAM_THINGS = [
    "followers", "crypto signals", "bitcoin", "watches", "pills", "likes", "a free iphone", "casino bonus",
    "weight loss pills", "forex profits", "gift cards", "subscribers", "loans", "viagra", "investment returns",
]  # fmt: skip
_SPAM_TAILS = [
    "now!!!", "today only", "100% guaranteed", "click the link", "DM me", "visit my profile", "limited time",
    "act fast", "no risk", "$$$", "earn $500 a day", "work from home", "check my bio",
]  # fmt: skip
_HAM_SUBJECTS = [
    "the match", "my cat", "this recipe", "the new album", "our trip", "the weather", "this video", "the book",
    "your stream", "the tutorial", "my garden", "the concert", "this song", "the lecture", "our hike",
]  # fmt: skip
_HAM_VERBS = ["loved", "enjoyed", "watched", "finished", "tried", "recommend", "missed", "remember", "liked"]
_HAM_TAILS = [
    "yesterday", "with friends", "last weekend", "so much", "again", "twice", "this morning", "finally",
    "thanks for sharing", "great work", "can't wait for the next one", "what do you think?",
]  # fmt: skip


def seed_corpus(n: int = 400) -> tuple[list[str], list[int]]:
    """``n`` generated examples (half spam, label 1), the same on every machine."""
    rng = random.Random(13)
    texts, labels = [], []
    for i in range(n):
        if i % 2:
            link = rng.choice(["", " https://spam.example/" + str(rng.randint(1, 999)), " www.deals.example"])
            texts.append(f"{rng.choice(_SPAM_OPENERS)} {rng.choice(_SPAM_THINGS)} {rng.choice(_SPAM_TAILS)}{link}")
            labels.append(1)
        else:
            texts.append(f"I {rng.choice(_HAM_VERBS)} {rng.choice(_HAM_SUBJECTS)} {rng.choice(_HAM_TAILS)}")
            labels.append(0)
    return texts, labels


def train(texts: list[str], labels: list[int]) -> MultinomialNB:
    model = MultinomialNB(alpha=0.5)
    model.fit(vectorizer().transform(texts), np.asarray(labels))
    return model


def dump(model: MultinomialNB) -> bytes:
    out = io.BytesIO()
    np.savez(
        out, feature_log_prob=model.feature_log_prob_, class_log_prior=model.class_log_prior_, classes=model.classes_
    )
    return out.getvalue()


def load(weights: bytes) -> MultinomialNB:
    data = np.load(io.BytesIO(weights), allow_pickle=False)
    model = MultinomialNB(alpha=0.5)
    model.feature_log_prob_ = data["feature_log_prob"]
    model.class_log_prior_ = data["class_log_prior"]
    model.classes_ = data["classes"]
    model.n_features_in_ = model.feature_log_prob_.shape[1]
    return model


_lock = threading.Lock()
_current: dict = {"version": None, "model": None, "checked": 0.0}
RELOAD_EVERY_S = 60.0


def current_model() -> tuple[int, MultinomialNB]:
    """The newest trained model (re-checked once a minute per process), else the seed model."""
    now = timezone.now().timestamp()
    if _current["model"] is None or now - _current["checked"] > RELOAD_EVERY_S:
        with _lock:
            latest = SpamModel.objects.order_by("-version").values_list("version", flat=True).first()
            if latest is not None and latest != _current["version"]:
                row = SpamModel.objects.get(version=latest)
                _current.update(version=latest, model=load(bytes(row.weights)))
            elif latest is None and _current["version"] != SEED_VERSION:
                _current.update(version=SEED_VERSION, model=train(*seed_corpus()))
            _current["checked"] = now
    return _current["version"], _current["model"]


def forget_loaded_model() -> None:
    _current.update(version=None, model=None, checked=0.0)


class SpamClassifier(Classifier):
    name = "spam"
    kind = TEXT
    model = "rules+naive-bayes"

    def classify(self, item: Item) -> Result:
        version, nb = current_model()
        self.version = f"nb-v{version}"
        nb_score = float(nb.predict_proba(vectorizer().transform([item.text]))[0][1])
        now = timezone.now()
        rules: dict[str, float] = {}
        if item.author_id is not None:
            recent = Signal.objects.filter(
                classifier=self.name,
                author_id=item.author_id,
                created_at__gte=now - settings.MODERATION_SPAM_RATE_WINDOW,
            ).count()
            if recent >= settings.MODERATION_SPAM_RATE_LIMIT:
                rules["rate"] = min(1.0, 0.75 + 0.05 * (recent - settings.MODERATION_SPAM_RATE_LIMIT))
        digest = fingerprint(item.text)
        if digest:
            others = (
                Signal.objects.filter(
                    classifier=self.name,
                    fingerprint=digest,
                    created_at__gte=now - settings.MODERATION_SPAM_DUPLICATE_WINDOW,
                )
                .exclude(author_id=item.author_id)
                .aggregate(n=Count("author_id", distinct=True))["n"]
            )
            if others + 1 >= settings.MODERATION_SPAM_DUPLICATE_ACCOUNTS:
                rules["duplicate"] = min(1.0, 0.8 + 0.05 * (others + 1 - settings.MODERATION_SPAM_DUPLICATE_ACCOUNTS))
        words = max(1, len(item.text.split()))
        link_count = links(item.text)
        if link_count >= 2 and link_count / words >= 0.2:
            rules["links"] = min(1.0, 0.4 + 0.1 * link_count)
        new_account = bool(
            item.author_joined is not None and item.author_joined > now - settings.MODERATION_NEW_ACCOUNT_AGE
        )
        # A new account raises what the rules and the model found, never alone.
        boost = 0.1 if new_account and (rules or nb_score >= 0.5) else 0.0
        top_rule = max(rules.items(), key=lambda kv: kv[1], default=("", 0.0))
        score = min(1.0, max(nb_score * 0.9, top_rule[1]) + boost)
        label = top_rule[0] if top_rule[1] >= nb_score * 0.9 else ("naive_bayes" if nb_score >= 0.5 else "")
        return Result(
            score=round(score, 4),
            label=label,
            details={
                "naive_bayes": round(nb_score, 4),
                "rules": {k: round(v, 3) for k, v in rules.items()},
                "links": link_count,
                "new_account": new_account,
                "fingerprint": digest,
            },
        )
