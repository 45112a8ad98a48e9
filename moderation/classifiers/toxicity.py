"""Toxic text: alt-profanity-check (a linear SVM over a TF-IDF bag of words, shipped in the wheel)
on the raw and the normalised text, the higher score wins (so "f***" and "f.u.c.k" count); VADER's
compound sentiment is stored alongside for moderators. And the staff's watched-words list."""

from __future__ import annotations

import re
import threading
from importlib import metadata

from moderation.classifiers.base import TEXT, Classifier, Item, Result
from moderation.classifiers.text import normalise
from moderation.models import WatchedWord
from socialflow.cache import fallback_cache as cache

_lock = threading.Lock()
_models: dict = {}


def _load() -> dict:
    if not _models:
        with _lock:
            if not _models:
                # Imported on first use: profanity_check unpickles its model at import (~2 s).
                from profanity_check import predict_prob
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _models["vader"] = SentimentIntensityAnalyzer()
                _models["predict_prob"] = predict_prob
    return _models


class ProfanityClassifier(Classifier):
    name = "toxicity"
    kind = TEXT
    model = "alt-profanity-check"

    def __init__(self):
        self.version = metadata.version("alt-profanity-check")

    def classify(self, item: Item) -> Result:
        models = _load()
        normalised = normalise(item.text)
        raw, clean = models["predict_prob"]([item.text, normalised])
        score = float(max(raw, clean))
        sentiment = models["vader"].polarity_scores(item.text)["compound"]
        return Result(
            score=round(score, 4),
            label="profanity" if score >= 0.5 else "",
            details={
                "raw": round(float(raw), 4),
                "normalised": round(float(clean), 4),
                "normalised_text": normalised[:200] if normalised != item.text.lower() else "",
                "sentiment": sentiment,
            },
        )


WATCHED_CACHE_KEY = "moderation:watched-words:v1"


def watched_words() -> list[tuple[str, str]]:
    """``[(normalised phrase, action)]`` from the staff list, cached until the list changes."""
    words = cache.get(WATCHED_CACHE_KEY)
    if words is None:
        words = [(normalise(w.phrase), w.action) for w in WatchedWord.objects.order_by("pk")]
        cache.set(WATCHED_CACHE_KEY, words, timeout=300)
    return words


def watched_words_changed() -> None:
    cache.delete(WATCHED_CACHE_KEY)


ACTION_SCORE = {"flag": 0.5, "hold": 0.7, "remove": 1.0}
ACTION_DECISION = {"flag": "allow", "hold": "hold", "remove": "remove"}
_RANK = ("flag", "hold", "remove")


class WatchedWordsClassifier(Classifier):
    name = "watched_words"
    kind = TEXT
    model = "watched-words"
    version = "1"

    def classify(self, item: Item) -> Result:
        text = normalise(item.text)
        hits = [
            (phrase, action)
            for phrase, action in watched_words()
            if phrase and re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text)
        ]
        if not hits:
            return Result(score=0.0, decision="allow")
        phrase, action = max(hits, key=lambda h: _RANK.index(h[1]))
        return Result(
            score=ACTION_SCORE[action],
            label=phrase[:64],
            details={"matches": [p for p, _ in hits][:10], "action": action},
            decision=ACTION_DECISION[action],
        )
