"""The classifier interface and its registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

TEXT = "text"
IMAGE = "image"


@dataclass
class Item:
    """One thing to classify. ``text`` for a text item, ``image`` (an RGB ``numpy`` array,
    height × width × 3) for an image. ``author_id``, ``author_joined`` (aware datetime) and
    ``target_type`` give context to classifiers that want it (spam)."""

    kind: str
    text: str = ""
    image: Any = None
    author_id: int | None = None
    author_joined: Any = None
    target_type: str = ""


@dataclass
class Result:
    score: float  # 0 (clean) .. 1 (certainly a violation)
    label: str = ""  # what scored highest: "FEMALE_BREAST_EXPOSED", "profanity", "duplicate", ...
    details: dict = field(default_factory=dict)
    # A classifier that decides by list rather than threshold (watched words) may force a decision.
    decision: str | None = None


class Classifier:
    """Subclasses set ``name`` (the settings' threshold key and the stored signal's classifier),
    ``kind`` (which items it takes), ``model`` and ``version`` (stored with every signal), and
    implement ``classify``. Heavy models load lazily, once per process."""

    name: ClassVar[str]
    kind: ClassVar[str]
    model: str = ""
    version: str = ""

    def classify(self, item: Item) -> Result:
        raise NotImplementedError

    def applies_to(self, item: Item) -> bool:
        return item.kind == self.kind


_registry: dict[str, Classifier] = {}


def register(classifier: Classifier) -> Classifier:
    """Add or replace (same ``name``) a classifier."""
    _registry[classifier.name] = classifier
    return classifier


def get(name: str) -> Classifier:
    return _registry[name]


def names() -> list[str]:
    return sorted(_registry)


def for_item(item: Item) -> list[Classifier]:
    return [c for name, c in sorted(_registry.items()) if c.applies_to(item)]
