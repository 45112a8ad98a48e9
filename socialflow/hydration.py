"""Hydration caches: viewer-independent representations in the shared cache (Redis), each valid
under a *generation* token that every write to what it shows replaces.

Keys (in ``caches["default"]``): the entry ``hy:<kind>:<id>`` holds ``(token, payload)``; the
generation ``hy:<kind>:<id>:g`` holds the current token, a random one (a reader that finds none
starts one; an entry is never filed without one, so an expired or evicted generation never matches
an old entry). A *variant* (``hy:<kind>:<id>|<variant>``) is another entry under the same
generation: another rendering of the same rows (a video's rendered anonymous response beside its
representation), stale whenever the representation is.

Reading (:func:`hydration_read`) is one ``MGET`` of every entry and its generation: an entry whose
token is the current one is a hit. A miss comes back with the token read *before* the caller reads
the database; :func:`hydration_store` files the fresh payload under that token.

Writing (:func:`hydration_invalidate`, called explicitly by the services that write) sets a new
random token at once and again after the transaction commits. Why this is exact, with no lock: a
reader files what it read under the token it read *before* reading the database; rows read before a
write committed were read before that write's after-commit token was set, so they were filed under
an older token and are stale the moment it lands — a reader racing a writer can never re-fill a
stale entry. (The bump at once only makes the change visible inside the writing transaction, and
to tests, whose transaction never commits.) Generations outlive entries by an hour.

Redis down (or marked down by the breaker, ``socialflow.redis``): reads miss, stores and
invalidations are skipped with a warning. A write whose invalidation could not reach Redis leaves
at most ``HYDRATION_TTL_S`` of staleness: entries expire on their own.

Cascades: a kind whose representation embeds another kind (a video embeds its author; the video
list embeds videos) registers how to find the dependent ids (:func:`register_cascade`);
invalidating the embedded object also invalidates them, transitively, looked up both when
invalidation is asked (rows about to be deleted) and after commit (rows created meanwhile).
Generations are bumped embedded-first (the user, then their videos, then the list): a reader that
finds a dependent's new token finds the new tokens of what it embeds too, so it cannot file a new
list over an old video.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from socialflow.redis import REDIS_DOWN_ERRORS, redis_marked_down

logger = logging.getLogger(__name__)

GENERATION_GRACE_S = 3600  # generations outlive the entries filed under them by this much

_cascades: dict[str, list[tuple[str, Callable[[list[int]], Iterable[int]]]]] = {}


def _entry_key(kind: str, pk: int, variant: str | None = None) -> str:
    return f"hy:{kind}:{pk}" if variant is None else f"hy:{kind}:{pk}|{variant}"


def _generation_key(kind: str, pk: int) -> str:
    return f"hy:{kind}:{pk}:g"


def _cache():
    return caches["default"]


def hydration_read(*, kind: str, ids: list[int], variant: str | None = None) -> tuple[dict[int, bytes], dict[int, str]]:
    """``(hits, tokens)``: the current payloads by id, and for every other id the token to file a
    fresh payload under (read now, before the caller reads the database). One ``MGET``."""
    if not ids:
        return {}, {}
    keys = [_entry_key(kind, pk, variant) for pk in ids] + [_generation_key(kind, pk) for pk in ids]
    if redis_marked_down():
        return {}, {}
    try:
        found = _cache().get_many(keys)
    except REDIS_DOWN_ERRORS as exc:
        logger.warning("hydration cache unavailable (%s); reading the database", exc)
        return {}, {}
    return hydration_sort(
        kind=kind,
        ids=ids,
        entries={pk: found.get(_entry_key(kind, pk, variant)) for pk in ids},
        generations={pk: found.get(_generation_key(kind, pk)) for pk in ids},
    )


def hydration_keys(*, kind: str, pk: int, variant: str | None = None) -> tuple[str, str]:
    """The cache keys (before ``make_key``) of an entry and its generation, for a caller that reads
    them in its own pipeline and hands the values to :func:`hydration_sort`."""
    return _entry_key(kind, pk, variant), _generation_key(kind, pk)


def hydration_current(entry: tuple | None, token: str | None):
    """The payload of ``entry`` if it was filed under ``token``, the current generation; else ``None``."""
    return entry[1] if token is not None and entry is not None and entry[0] == token else None


def hydration_sort(
    *, kind: str, ids: list[int], entries: dict[int, tuple | None], generations: dict[int, str | None]
) -> tuple[dict[int, bytes], dict[int, str]]:
    """:func:`hydration_read`'s answer from entries and generations read already: the hits, and a
    token for every miss (a generation started for ids that have none)."""
    hits, tokens = {}, {}
    for pk in ids:
        token = generations.get(pk)
        payload = hydration_current(entries.get(pk), token)
        if payload is not None:
            hits[pk] = payload
        else:
            tokens[pk] = token
    absent = [pk for pk, token in tokens.items() if token is None]
    if absent:
        try:
            tokens.update(_start_generations(kind, absent))
        except REDIS_DOWN_ERRORS as exc:
            logger.warning("hydration cache unavailable (%s); reading the database", exc)
            return {}, {}
    return hits, tokens


def _start_generations(kind: str, ids: list[int]) -> dict[int, str]:
    """Give ids without a generation a random one (``SET NX``; a racing writer's wins) and return
    the current ones: one pipeline. Entries are only ever filed under a random token, so a
    generation that expired or was evicted can never match an old entry."""
    cache = _cache()
    client = cache.client.get_client(write=True)
    pipe = client.pipeline(transaction=False)
    for pk in ids:
        key = cache.make_key(_generation_key(kind, pk))
        pipe.set(key, cache.client.encode(secrets.token_hex(8)), nx=True, ex=_generation_ttl_s())
        pipe.get(key)
    replies = pipe.execute()
    return {pk: cache.client.decode(value) for pk, value in zip(ids, replies[1::2], strict=True) if value is not None}


def _generation_ttl_s() -> int:
    return settings.HYDRATION_TTL_S + GENERATION_GRACE_S


def hydration_store(
    *,
    kind: str,
    payloads: dict[int, object],
    tokens: dict[int, str],
    variant: str | None = None,
    ttl_s: int | None = None,
) -> None:
    """File fresh payloads under the tokens :func:`hydration_read` gave for them (one pipeline),
    for ``ttl_s`` (default ``HYDRATION_TTL_S``; never longer, since the generations outlive
    entries by ``GENERATION_GRACE_S`` only)."""
    entries = {_entry_key(kind, pk, variant): (tokens[pk], payload) for pk, payload in payloads.items() if pk in tokens}
    ttl_s = settings.HYDRATION_TTL_S if ttl_s is None else min(ttl_s, settings.HYDRATION_TTL_S)
    if not entries or ttl_s <= 0 or redis_marked_down():
        return
    try:
        _cache().set_many(entries, timeout=ttl_s)
    except REDIS_DOWN_ERRORS as exc:
        logger.warning("hydration cache unavailable (%s); not storing", exc)


def _bump(kind: str, ids: set[int]) -> None:
    if not ids or redis_marked_down():
        if ids:
            logger.warning("hydration cache marked down; %s %s stay cached until they expire", kind, sorted(ids))
        return
    token = secrets.token_hex(8)
    try:
        _cache().set_many({_generation_key(kind, pk): token for pk in ids}, timeout=_generation_ttl_s())
    except REDIS_DOWN_ERRORS as exc:
        logger.warning("hydration cache unavailable (%s); %s %s stay cached until they expire", exc, kind, sorted(ids))


def _with_dependents(kind: str, ids: list[int]) -> dict[str, set[int]]:
    """``kind``'s ids and, transitively, their dependents', embedded kinds before the kinds that
    embed them (the dict's order is the order generations are bumped in)."""
    targets: dict[str, set[int]] = {kind: set(ids)}
    pending = [kind]
    while pending:
        current = pending.pop(0)
        for dependent_kind, ids_of in _cascades.get(current, ()):
            found = set(ids_of(sorted(targets[current]))) if targets[current] else set()
            known = targets.pop(dependent_kind, None)
            targets[dependent_kind] = found | (known or set())  # (re-)inserted after what it embeds
            if known is None or not found <= known:  # new ids to cascade from (a cycle ends here)
                pending.append(dependent_kind)
    return targets


def _merged(first: dict[str, set[int]], second: dict[str, set[int]]) -> dict[str, set[int]]:
    merged = {name: set(pks) for name, pks in first.items()}
    for name, pks in second.items():
        merged.setdefault(name, set()).update(pks)
    return merged


def hydration_invalidate(*, kind: str, ids: Iterable[int]) -> None:
    """Make the cached representations of ``ids`` (and of what embeds them) stale: at once, and
    again once the current transaction commits. Call it from every service that changes what the
    representation shows or who may see it."""
    ids = sorted({int(pk) for pk in ids})
    if not ids:
        return
    before = _with_dependents(kind, ids)
    # Now as well as after commit: readers in this transaction (and tests, whose transaction never
    # commits) see the change at once; a reader that files the old rows under this token in the
    # meantime is made stale again by the bump after commit.
    for name, pks in before.items():
        _bump(name, pks)

    def bump_after_commit():
        for name, pks in _merged(before, _with_dependents(kind, ids)).items():
            _bump(name, pks)

    transaction.on_commit(bump_after_commit)


def register_cascade(kind: str, *, dependent_kind: str, ids_of: Callable[[list[int]], Iterable[int]]) -> None:
    """Invalidating ``kind`` ids also invalidates ``ids_of(ids)`` of ``dependent_kind`` (an app
    registers this from ``AppConfig.ready()``: videos embed their author)."""
    entries = _cascades.setdefault(kind, [])
    entries[:] = [entry for entry in entries if entry[0] != dependent_kind]
    entries.append((dependent_kind, ids_of))
