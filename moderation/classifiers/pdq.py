"""Known-bad images: Meta's PDQ perceptual hash (``pdqhash``) matched against the staff's hash
list (``HashEntry``) with threatexchange's ``PDQIndex2`` (a faiss index, ~1 ms a query at 10k
hashes). The index is rebuilt in the process when the list changes (a version key in the cache)."""

from __future__ import annotations

import threading
import uuid
from importlib import metadata

import numpy as np
from django.conf import settings

from moderation.classifiers.base import IMAGE, Classifier, Item, Result
from moderation.models import HashEntry
from socialflow.cache import fallback_cache as cache

LIST_VERSION_KEY = "moderation:pdq-list-version"

_lock = threading.Lock()
_index: dict = {"version": None, "index": None}


def pdq_hex(image) -> tuple[str, int]:
    """The image's PDQ hash (64 hex digits) and quality (0..100; under 50 the hash is unreliable)."""
    import pdqhash

    bits, quality = pdqhash.compute(np.ascontiguousarray(image, dtype=np.uint8))
    return np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality)


def hash_list_changed() -> None:
    """Call after the list changes: every process rebuilds its index on its next query."""
    cache.set(LIST_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def _list_version() -> str:
    version = cache.get(LIST_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(LIST_VERSION_KEY, version, timeout=None)
        version = cache.get(LIST_VERSION_KEY, version)
    return version


def index():
    """The process's index of the active hash list (``None`` when the list is empty)."""
    version = _list_version()
    if _index["version"] != version:
        with _lock:
            if _index["version"] != version:
                from threatexchange.signal_type.pdq.pdq_index2 import PDQIndex2

                entries = list(HashEntry.objects.filter(active=True).values_list("pdq", "pk"))
                _index["index"] = (
                    PDQIndex2(entries=entries, threshold=settings.MODERATION_PDQ_MATCH_DISTANCE) if entries else None
                )
                _index["version"] = version
    return _index["index"]


class PDQClassifier(Classifier):
    name = "pdq"
    kind = IMAGE
    model = "pdq-hashlist"

    def __init__(self):
        self.version = metadata.version("pdqhash")

    def classify(self, item: Item) -> Result:
        digest, quality = pdq_hex(item.image)
        found = index()
        matches = found.query(digest) if found is not None else []
        details = {"pdq": digest, "quality": quality}
        if not matches:
            return Result(score=0.0, details=details)
        best = min(matches, key=lambda m: m.similarity_info.distance)
        distance = int(best.similarity_info.distance)
        details.update({"entry_id": best.metadata, "distance": distance})
        return Result(score=1.0, label=f"hash list entry {best.metadata}", details=details)
