"""The automatic classifiers behind one small interface (``base.Classifier``) and a registry.

A classifier takes one ``Item`` (a text, or an image as an RGB array) and returns a ``Result``
(score 0..1, label, details). Callers (``moderation.services.classification``) only use
``for_item``/``get``: a better model replaces one by registering under the same name.
"""

from moderation.classifiers.base import Classifier, Item, Result, for_item, get, names, register
from moderation.classifiers.nsfw import NudeNetClassifier
from moderation.classifiers.pdq import PDQClassifier
from moderation.classifiers.spam import SpamClassifier
from moderation.classifiers.toxicity import ProfanityClassifier, WatchedWordsClassifier

register(NudeNetClassifier())
register(PDQClassifier())
register(ProfanityClassifier())
register(WatchedWordsClassifier())
register(SpamClassifier())

__all__ = ["Classifier", "Item", "Result", "for_item", "get", "names", "register"]
