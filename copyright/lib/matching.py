"""Matching a query's fingerprints against a reference library: candidates from an index, then
verification by aligned bit-error rate (audio) and aligned Hamming distance (frames).

Two indexes behind one interface (``add``, ``remove``, ``candidates``, ``fingerprints``):

- ``InvertedIndex``: sub-fingerprint chunks → (reference, position), in process, as sorted numpy
  arrays. An audio item (32 bits) gives three overlapping 20-bit keys, a frame hash (64 bits) its
  four 16-bit quarters: a copy with a few bit errors still shares chunks exactly with its original,
  while a lookup costs a binary search. Hits (at most ``max_hits``, the rarest keys first) vote for
  (reference, position difference); the best-voted alignments are candidates.
- ``BruteForceIndex``: every reference at every alignment (windows of the query slid over each
  reference); the tests' oracle and the benchmark's baseline.

``match`` verifies candidates the same way for both. Framework-free: numpy in, dataclasses out.
"""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from copyright.lib.fingerprint import (
    AUDIO_ITEM_CONTEXT,
    AUDIO_ITEM_SECONDS,
    FRAMES_PER_SECOND,
    is_flat,
    popcount32,
    popcount64,
)

AUDIO = "audio"
PICTURE = "picture"


@dataclass(frozen=True)
class Thresholds:
    """What counts as the same material (settings ``COPYRIGHT_*`` fill these in the app)."""

    audio_window: int = 16  # items (~2 s) per verified window
    audio_window_ber: float = 0.20  # a window at or under this bit-error rate matches
    audio_ber_good: float = 0.10  # BER at or under this: confidence 1
    audio_ber_random: float = 0.35  # BER at or over this: confidence 0
    audio_drift: int = 2  # items a window may slide against the previous one (speed changes)
    audio_search: int = 10  # items around a candidate's offset searched for the best alignment
    frame_distance: int = 10  # a frame pair at or under this Hamming distance (of 64) matches
    frame_distance_good: int = 4
    frame_distance_random: int = 24
    min_seconds: float = 3.0  # shorter matches are not reported at all
    min_votes: int = 4
    max_candidates: int = 25  # references verified per query (the best-voted)
    bins_per_reference: int = 3  # offset bins verified per candidate reference
    max_hits: int = 40_000  # postings read per query and kind (the rarest keys first)
    max_gap_windows: int = 1  # a run of matching windows may skip this many bad ones


@dataclass
class Match:
    reference_id: int
    kind: str  # audio | picture
    query_start: float  # seconds into the query (the uploaded video)
    reference_start: float  # seconds into the reference
    duration: float  # seconds matched
    confidence: float  # 0..1
    score: float  # mean BER (audio) or mean Hamming distance (picture) over the match


@dataclass(frozen=True)
class Candidate:
    reference_id: int
    kind: str
    offset: int  # reference position − query position, in items (audio) or frames (picture)
    votes: int


@dataclass
class _Stored:
    audio: np.ndarray
    frames: np.ndarray


AUDIO_KEY_BITS, AUDIO_KEY_SHIFTS = 20, (0, 6, 12)  # three overlapping 20-bit windows of 32 bits
FRAME_KEY_BITS, FRAME_KEY_SHIFTS = 16, (0, 16, 32, 48)  # the four 16-bit quarters of 64 bits


def _chunks(values: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Keys (chunk number in the top bits, chunk value below) and the item position of each key.

    Audio: three overlapping 20-bit windows of each item — a copy at a bit-error rate of 0.06
    shares at least one with its original for ~60 % of its items, while chance collisions in a
    library of 10,000 references stay at a few per key. Frames: the four 16-bit quarters (a copy
    within 3 bits shares one for sure)."""
    bits, shifts = (AUDIO_KEY_BITS, AUDIO_KEY_SHIFTS) if kind == AUDIO else (FRAME_KEY_BITS, FRAME_KEY_SHIFTS)
    v = values.astype(np.uint64)
    mask = np.uint64((1 << bits) - 1)
    parts = [((v >> np.uint64(shift)) & mask) | (np.uint64(i) << np.uint64(bits)) for i, shift in enumerate(shifts)]
    keys = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    positions = np.tile(np.arange(len(values), dtype=np.int64), len(parts))
    return keys, positions


class BaseIndex:
    def __init__(self) -> None:
        self._refs: dict[int, _Stored] = {}

    def __len__(self) -> int:
        return len(self._refs)

    def __contains__(self, reference_id: int) -> bool:
        return reference_id in self._refs

    def reference_ids(self) -> list[int]:
        return list(self._refs)

    def add(self, reference_id: int, *, audio: np.ndarray, frames: np.ndarray) -> None:
        self._refs[reference_id] = _Stored(np.asarray(audio, dtype=np.uint32), np.asarray(frames, dtype=np.uint64))
        self._changed()

    def remove(self, reference_id: int) -> None:
        if self._refs.pop(reference_id, None) is not None:
            self._changed()

    def fingerprints(self, reference_id: int) -> _Stored:
        return self._refs[reference_id]

    def _changed(self) -> None:
        pass

    def candidates(self, *, audio: np.ndarray, frames: np.ndarray, thresholds: Thresholds) -> list[Candidate]:
        raise NotImplementedError


class InvertedIndex(BaseIndex):
    """Sorted chunk keys → (reference, position); rebuilt lazily after additions or removals."""

    # A chunk this common (silence, a flat picture) says nothing: left out of voting, as AcoustID does.
    STOP_POSTINGS = 5000

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None

    def _changed(self) -> None:
        self._built = None

    def _build(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        built = {}
        for kind in (AUDIO, PICTURE):
            keys, refs, positions = [], [], []
            for reference_id, stored in self._refs.items():
                values = stored.audio if kind == AUDIO else stored.frames
                if kind == PICTURE and len(values):
                    keep = np.flatnonzero(~is_flat(values))
                    k, p = _chunks(values[keep], kind)
                    p = keep[p]
                else:
                    k, p = _chunks(values, kind)
                keys.append(k)
                positions.append(p)
                refs.append(np.full(len(k), reference_id, dtype=np.int64))
            if keys:
                k, r, p = np.concatenate(keys), np.concatenate(refs), np.concatenate(positions)
            else:
                k, r, p = np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int64)
            order = np.argsort(k, kind="stable")
            built[kind] = (k[order], r[order], p[order])
        self._built = built
        return built

    def candidates(self, *, audio: np.ndarray, frames: np.ndarray, thresholds: Thresholds) -> list[Candidate]:
        built = self._built or self._build()
        found: list[Candidate] = []
        for kind, values, bin_size in ((AUDIO, audio, 8), (PICTURE, frames, 2)):
            keys, refs, positions = built[kind]
            if len(values) == 0 or len(keys) == 0:
                continue
            if kind == PICTURE:
                keep = np.flatnonzero(~is_flat(values))
                qkeys, qpos = _chunks(values[keep], kind)
                qpos = keep[qpos]
            else:
                qkeys, qpos = _chunks(values, kind)
            lo = np.searchsorted(keys, qkeys, side="left")
            hi = np.searchsorted(keys, qkeys, side="right")
            counts = hi - lo
            usable = (counts > 0) & (counts <= self.STOP_POSTINGS)
            lo, counts, qpos = lo[usable], counts[usable], qpos[usable]
            if counts.sum() > thresholds.max_hits:
                # The rarest keys first, up to a budget of hits: the most telling ones, and a query
                # costs about the same against 1,000 or 10,000 references.
                rarest = np.argsort(counts, kind="stable")
                within = rarest[np.cumsum(counts[rarest]) <= thresholds.max_hits]
                lo, counts, qpos = lo[within], counts[within], qpos[within]
            if len(lo) == 0:
                continue
            # Expand every (query key, posting range) into its postings without a Python loop.
            total = int(counts.sum())
            starts = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
            hit_refs = refs[starts]
            diffs = positions[starts] - np.repeat(qpos, counts)
            bins = np.floor_divide(diffs, bin_size)
            found.extend(_top_alignments(kind, hit_refs, bins, diffs, thresholds))
        return found


def _top_alignments(kind, hit_refs, bins, diffs, thresholds: Thresholds) -> list[Candidate]:
    """The best-voted (reference, offset bin) per reference, a bin's neighbours counted with it (a
    speed change spreads the votes), in numpy: the cost grows with the hits, not the library."""
    shift = bins.min() - 1
    width = int(bins.max() - shift + 2)
    codes = hit_refs * width + (bins - shift)
    order = np.argsort(codes, kind="stable")
    codes, diffs = codes[order], diffs[order]
    unique, first, votes = np.unique(codes, return_index=True, return_counts=True)
    around = votes.copy()
    for step in (-1, 1):
        at = np.searchsorted(unique, unique + step)
        found = (at < len(unique)) & (unique[np.minimum(at, len(unique) - 1)] == unique + step)
        around[found] += votes[at[found]]
    keep = np.flatnonzero(around >= thresholds.min_votes)
    if len(keep) == 0:
        return []
    limit = thresholds.max_candidates * thresholds.bins_per_reference * 4
    if len(keep) > limit:  # only the best-voted bins reach Python
        keep = keep[np.argpartition(-around[keep], limit)[:limit]]
    refs = unique[keep] // width
    # Each reference's best bins (repetitive music spreads the votes of the true alignment's
    # neighbourhood over a few bins): sort by (reference, votes), keep each reference's last few.
    order = np.lexsort((around[keep], refs))
    ranked, ranked_refs = keep[order], refs[order]
    group_end = np.r_[np.flatnonzero(ranked_refs[1:] != ranked_refs[:-1]), len(ranked_refs) - 1]
    end_of = np.repeat(group_end, np.diff(np.r_[-1, group_end]))
    top = (end_of - np.arange(len(ranked))) < thresholds.bins_per_reference
    ranked, ranked_refs = ranked[top], ranked_refs[top]
    best_votes = {int(r): int(v) for r, v in zip(ranked_refs, around[ranked], strict=True)}
    chosen_refs = set(sorted(best_votes, key=lambda r: -best_votes[r])[: thresholds.max_candidates])
    result = []
    for k, ref in sorted(zip(ranked, ranked_refs, strict=True), key=lambda kr: -around[kr[0]]):
        if int(ref) in chosen_refs:
            in_bin = diffs[first[k] : first[k] + votes[k]]
            result.append(Candidate(int(ref), kind, int(np.median(in_bin)), int(around[k])))
    return result


class BruteForceIndex(BaseIndex):
    """Every reference, every alignment: windows of the query slid over each whole reference."""

    AUDIO_PROBE = 32  # items (~4 s) per probe window
    FRAME_PROBE = 4  # frames per probe window

    def candidates(self, *, audio: np.ndarray, frames: np.ndarray, thresholds: Thresholds) -> list[Candidate]:
        found = []
        for reference_id, stored in self._refs.items():
            best = _slide(audio, stored.audio, self.AUDIO_PROBE, 32, popcount32)
            if best is not None and best[0] <= thresholds.audio_window_ber:
                found.append(Candidate(reference_id, AUDIO, best[1], 0))
            ok = ~is_flat(frames) if len(frames) else np.zeros(0, bool)
            best = _slide(frames, stored.frames, self.FRAME_PROBE, 64, popcount64, ok)
            if best is not None and best[0] * 64 <= thresholds.frame_distance:
                found.append(Candidate(reference_id, PICTURE, best[1], 0))
        return found


def _slide(query, reference, probe, bits, popcount, usable=None):
    """(lowest error rate, offset) of any ``probe``-long window of the query at any reference position."""
    if len(query) < probe or len(reference) < probe:
        return None
    ref_windows = sliding_window_view(reference, probe)  # (positions, probe)
    best = (2.0, 0)
    for start in range(0, len(query) - probe + 1, probe):
        if usable is not None and not usable[start : start + probe].all():
            continue
        window = query[start : start + probe]
        errors = popcount(ref_windows ^ window).sum(axis=1) / (probe * bits)
        at = int(np.argmin(errors))
        if errors[at] < best[0]:
            best = (float(errors[at]), at - start)
    return best


def _runs(good: list[bool], max_gap: int) -> tuple[int, int] | None:
    """The longest run of True allowing ``max_gap`` False in a row inside it: (first, last) index."""
    best, start, last_good, gap = None, None, None, 0
    for i, ok in enumerate(good):
        if ok:
            if start is None:
                start = i
            last_good, gap = i, 0
            if best is None or (last_good - start) > (best[1] - best[0]):
                best = (start, last_good)
        elif start is not None:
            gap += 1
            if gap > max_gap:
                start, gap = None, 0
    return best


def _confidence(score: float, good: float, random: float) -> float:
    return float(min(1.0, max(0.0, (random - score) / (random - good))))


def _best_alignment(query: np.ndarray, reference: np.ndarray, offset: int, t: Thresholds) -> int | None:
    """The offset near ``offset`` (± ``audio_search``) with the most matching windows; None without
    at least two. All offsets at once in numpy: a cheap reject of chance candidates before the walk."""
    w = t.audio_window
    # Only the part of the query that can overlap the reference at any searched offset.
    lo = max(0, -(offset + t.audio_search))
    hi = min(len(query), len(reference) - (offset - t.audio_search))
    n = max(0, hi - lo)
    n -= n % w
    if n < w or len(reference) == 0:
        return None
    offsets = np.arange(offset - t.audio_search, offset + t.audio_search + 1)
    at = lo + np.arange(n)[None, :] + offsets[:, None]
    valid = (at >= 0) & (at < len(reference))
    errors = popcount32(query[lo : lo + n][None, :] ^ reference[np.clip(at, 0, len(reference) - 1)]).astype(np.int32)
    windows = len(offsets), n // w
    error_sums = np.where(valid, errors, 0).reshape(*windows, w).sum(axis=2)
    complete = valid.reshape(*windows, w).all(axis=2)
    rates = np.where(complete, error_sums / (32 * w), 1.0)
    good = ((rates <= t.audio_window_ber) & complete).sum(axis=1)
    if good.max() < 2:
        return None
    mean_rate = np.where(complete, rates, 0).sum(axis=1) / np.maximum(complete.sum(axis=1), 1)
    best = np.lexsort((mean_rate, -good))[0]
    return int(offsets[best])


def verify_audio(query: np.ndarray, reference: np.ndarray, offset: int, t: Thresholds) -> Match | None:
    """Walk the query in windows, each aligned within ``audio_drift`` of the previous one's offset."""
    w = t.audio_window
    current = _best_alignment(query, reference, offset, t)
    if current is None:
        return None
    results = []  # (query start, reference start, ber)
    starts = list(range(max(0, -offset), len(query) - w + 1, w))
    if starts and starts[-1] + w < len(query):
        starts.append(len(query) - w)  # the tail, overlapping the last full window
    for qs in starts:
        best = None
        for o in range(current - t.audio_drift, current + t.audio_drift + 1):
            rs = qs + o
            if rs < 0 or rs + w > len(reference):
                continue
            ber = float(popcount32(query[qs : qs + w] ^ reference[rs : rs + w]).sum()) / (32 * w)
            if best is None or ber < best[0]:
                best = (ber, o)
        if best is None:
            if qs + current >= len(reference):
                break
            continue
        if best[0] <= t.audio_window_ber:
            current = best[1]
        results.append((qs, qs + best[1], best[0]))
    run = _runs([r[2] <= t.audio_window_ber for r in results], t.max_gap_windows)
    if run is None:
        return None
    chosen = results[run[0] : run[1] + 1]
    duration = (chosen[-1][0] + w - chosen[0][0] + AUDIO_ITEM_CONTEXT) * AUDIO_ITEM_SECONDS
    if duration < t.min_seconds:
        return None
    ber = float(np.mean([r[2] for r in chosen]))
    return Match(
        reference_id=0,
        kind=AUDIO,
        query_start=chosen[0][0] * AUDIO_ITEM_SECONDS,
        reference_start=chosen[0][1] * AUDIO_ITEM_SECONDS,
        duration=duration,
        confidence=_confidence(ber, t.audio_ber_good, t.audio_ber_random),
        score=ber,
    )


def verify_frames(query: np.ndarray, reference: np.ndarray, offset: int, t: Thresholds) -> Match | None:
    """Aligned frame pairs (±1 frame for the sampling phase); flat frames never count as matching."""
    flat_q, flat_r = is_flat(query), is_flat(reference)
    rows = []
    for qi in range(len(query)):
        best = None
        for o in (offset - 1, offset, offset + 1):
            ri = qi + o
            if 0 <= ri < len(reference) and not flat_q[qi] and not flat_r[ri]:
                d = int(popcount64(np.array([query[qi] ^ reference[ri]], dtype=np.uint64))[0])
                if best is None or d < best[0]:
                    best = (d, ri)
        if best is not None:
            rows.append((qi, best[1], best[0]))
    run = _runs([r[2] <= t.frame_distance for r in rows], t.max_gap_windows)
    if run is None:
        return None
    chosen = rows[run[0] : run[1] + 1]
    duration = len(chosen) / FRAMES_PER_SECOND
    if duration < t.min_seconds:
        return None
    distance = float(np.mean([r[2] for r in chosen]))
    return Match(
        reference_id=0,
        kind=PICTURE,
        query_start=chosen[0][0] / FRAMES_PER_SECOND,
        reference_start=chosen[0][1] / FRAMES_PER_SECOND,
        duration=duration,
        confidence=_confidence(distance, t.frame_distance_good, t.frame_distance_random),
        score=distance,
    )


def match(index: BaseIndex, *, audio: np.ndarray, frames: np.ndarray, thresholds: Thresholds) -> list[Match]:
    """The best verified match per reference (the longer of audio and picture), longest first."""
    audio = np.asarray(audio, dtype=np.uint32)
    frames = np.asarray(frames, dtype=np.uint64)
    best: dict[int, Match] = {}
    tried: dict[tuple[int, str], set[int]] = defaultdict(set)
    for candidate in index.candidates(audio=audio, frames=frames, thresholds=thresholds):
        seen = tried[(candidate.reference_id, candidate.kind)]
        if candidate.offset in seen or candidate.reference_id not in index:
            continue
        seen.add(candidate.offset)
        stored = index.fingerprints(candidate.reference_id)
        if candidate.kind == AUDIO:
            found = verify_audio(audio, stored.audio, candidate.offset, thresholds)
        else:
            found = verify_frames(frames, stored.frames, candidate.offset, thresholds)
        if found is None:
            continue
        found.reference_id = candidate.reference_id
        current = best.get(candidate.reference_id)
        if current is None or (found.duration, found.confidence) > (current.duration, current.confidence):
            best[candidate.reference_id] = found
    return sorted(best.values(), key=lambda m: (-m.duration, -m.confidence))
