"""The process's matching index over every ready, active reference, kept in step with the database.

``current()`` returns the index after a cheap sync: it lists the (reference, fingerprint) ids now
matchable and loads only what is new, dropping what is gone (a reference deactivated, deleted or
re-fingerprinted). Each worker process holds its own copy; ``COPYRIGHT_INDEX`` picks the inverted
index or the brute-force one.
"""

import threading

import numpy as np
from django.conf import settings

from copyright.lib import fingerprint as fp
from copyright.lib.matching import BaseIndex, BruteForceIndex, InvertedIndex, Thresholds
from copyright.models import Fingerprint, Reference

_lock = threading.Lock()
_state: dict = {"kind": None, "index": None, "loaded": {}}


def thresholds() -> Thresholds:
    return Thresholds(
        audio_window_ber=settings.COPYRIGHT_AUDIO_WINDOW_BER,
        audio_ber_good=settings.COPYRIGHT_AUDIO_BER_GOOD,
        audio_ber_random=settings.COPYRIGHT_AUDIO_BER_RANDOM,
        frame_distance=settings.COPYRIGHT_FRAME_DISTANCE,
        frame_distance_good=settings.COPYRIGHT_FRAME_DISTANCE_GOOD,
        frame_distance_random=settings.COPYRIGHT_FRAME_DISTANCE_RANDOM,
        min_seconds=settings.COPYRIGHT_MATCH_MIN_SECONDS,
    )


def new_index(kind: str | None = None) -> BaseIndex:
    return BruteForceIndex() if (kind or settings.COPYRIGHT_INDEX) == "brute" else InvertedIndex()


def unpack(row_kind: str, data: bytes) -> np.ndarray:
    dtype = "<u4" if row_kind == Fingerprint.Kind.AUDIO else "<u8"
    return np.frombuffer(bytes(data), dtype=dtype).astype(np.uint32 if dtype == "<u4" else np.uint64)


ALGORITHMS = {Fingerprint.Kind.AUDIO: fp.AUDIO_ALGORITHM, Fingerprint.Kind.PICTURE: fp.PICTURE_ALGORITHM}


def current() -> BaseIndex:
    with _lock:
        if _state["kind"] != settings.COPYRIGHT_INDEX:
            _state.update(kind=settings.COPYRIGHT_INDEX, index=new_index(), loaded={})
        index, loaded = _state["index"], _state["loaded"]
        rows = Fingerprint.objects.filter(
            reference__status=Reference.Status.READY,
            reference__active=True,
            algorithm__in=list(ALGORITHMS.values()),
        ).values_list("reference_id", "id")
        wanted: dict[int, frozenset[int]] = {}
        for reference_id, fingerprint_id in rows:
            wanted.setdefault(reference_id, set()).add(fingerprint_id)
        wanted = {ref: frozenset(ids) for ref, ids in wanted.items()}
        for reference_id in [ref for ref in loaded if wanted.get(ref) != loaded[ref]]:
            index.remove(reference_id)
            del loaded[reference_id]
        missing = [ref for ref in wanted if ref not in loaded]
        if missing:
            by_ref: dict[int, dict[str, np.ndarray]] = {ref: {} for ref in missing}
            for ref, kind, data in Fingerprint.objects.filter(
                id__in=[i for r in missing for i in wanted[r]]
            ).values_list("reference_id", "kind", "data"):
                by_ref[ref][kind] = unpack(kind, data)
            for ref, arrays in by_ref.items():
                index.add(
                    ref,
                    audio=arrays.get(Fingerprint.Kind.AUDIO, np.zeros(0, np.uint32)),
                    frames=arrays.get(Fingerprint.Kind.PICTURE, np.zeros(0, np.uint64)),
                )
                loaded[ref] = wanted[ref]
        return index


def reset() -> None:
    """Forget the process's index (tests; a settings change)."""
    with _lock:
        _state.update(kind=None, index=None, loaded={})
