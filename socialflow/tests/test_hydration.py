"""``socialflow.hydration``: generation tokens make entries exact without locks."""

import pytest
from django.db import transaction

from socialflow import hydration
from socialflow.hydration import hydration_invalidate, hydration_read, hydration_store

pytestmark = pytest.mark.django_db


def test_it_serves_what_was_stored_under_the_current_token():
    hits, tokens = hydration_read(kind="thing", ids=[1, 2])
    assert hits == {} and set(tokens) == {1, 2}
    hydration_store(kind="thing", payloads={1: b"one"}, tokens=tokens)
    hits, tokens = hydration_read(kind="thing", ids=[1, 2])
    assert hits == {1: b"one"} and set(tokens) == {2}


def test_a_reader_racing_a_writer_never_refills_a_stale_entry(django_capture_on_commit_callbacks):
    """The reader reads the token, then the old row; the writer commits; the reader files the old
    row. Whenever the reader read its token, the writer's bump after commit makes that entry stale."""
    _, before_write = hydration_read(kind="thing", ids=[1])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hydration_invalidate(kind="thing", ids=[1])
        _, during_write = hydration_read(kind="thing", ids=[1])  # after the immediate bump, before commit
    for token in (before_write, during_write):
        hydration_store(kind="thing", payloads={1: b"old row"}, tokens=token)
        assert hydration_read(kind="thing", ids=[1])[0] == {}


def test_invalidating_an_embedded_object_invalidates_what_embeds_it(monkeypatch):
    monkeypatch.setattr(hydration, "_cascades", {})
    hydration.register_cascade("person", dependent_kind="thing", ids_of=lambda ids: [10 * pk for pk in ids])
    _, tokens = hydration_read(kind="thing", ids=[10, 20])
    hydration_store(kind="thing", payloads={10: b"by 1", 20: b"by 2"}, tokens=tokens)
    hydration_invalidate(kind="person", ids=[1])
    assert hydration_read(kind="thing", ids=[10, 20])[0] == {20: b"by 2"}


def test_it_misses_and_stores_nothing_while_redis_is_down(outage_redis):
    _, tokens = hydration_read(kind="thing", ids=[1])
    hydration_store(kind="thing", payloads={1: b"x"}, tokens=tokens)
    outage_redis.kill()
    assert hydration_read(kind="thing", ids=[1]) == ({}, {})
    hydration_invalidate(kind="thing", ids=[1])  # logged, not raised


def test_an_evicted_generation_never_revives_an_old_entry():
    from django.core.cache import cache

    _, tokens = hydration_read(kind="thing", ids=[1])
    assert tokens[1]  # a random generation started by the reader, never ""
    hydration_store(kind="thing", payloads={1: b"old"}, tokens=tokens)
    cache.delete("hy:thing:1:g")  # evicted (or expired)
    hits, fresh = hydration_read(kind="thing", ids=[1])
    assert hits == {} and fresh[1] != tokens[1]


def test_a_variant_is_stale_once_its_plain_entrys_generation_is_bumped():
    _, tokens = hydration_read(kind="thing", ids=[1], variant="rendered")
    hydration_store(kind="thing", payloads={1: b"bytes"}, tokens=tokens, variant="rendered")
    assert hydration_read(kind="thing", ids=[1], variant="rendered")[0] == {1: b"bytes"}
    assert hydration_read(kind="thing", ids=[1])[0] == {}  # the plain entry is another one
    hydration_invalidate(kind="thing", ids=[1])
    assert hydration_read(kind="thing", ids=[1], variant="rendered")[0] == {}


def test_it_stores_nothing_for_a_ttl_of_zero_and_caps_longer_ones(settings):
    from django.core.cache import cache

    _, tokens = hydration_read(kind="thing", ids=[1, 2])
    hydration_store(kind="thing", payloads={1: b"x"}, tokens=tokens, ttl_s=0)
    hydration_store(kind="thing", payloads={2: b"y"}, tokens=tokens, ttl_s=10 * settings.HYDRATION_TTL_S)
    assert hydration_read(kind="thing", ids=[1, 2])[0] == {2: b"y"}
    assert cache.get("hy:thing:1") is None
    assert 0 < cache.ttl("hy:thing:2") <= settings.HYDRATION_TTL_S


def test_it_cascades_transitively_bumping_embedded_kinds_first(monkeypatch):
    monkeypatch.setattr(hydration, "_cascades", {})
    hydration.register_cascade("a", dependent_kind="b", ids_of=lambda ids: [10 * pk for pk in ids])
    hydration.register_cascade("b", dependent_kind="c", ids_of=lambda ids: [pk + 1 for pk in ids])
    bumps = []
    real = hydration._bump

    def spy(kind, ids):
        bumps.append((kind, set(ids)))
        real(kind, ids)

    monkeypatch.setattr(hydration, "_bump", spy)
    hydration_invalidate(kind="a", ids=[1])
    assert bumps == [("a", {1}), ("b", {10}), ("c", {11})]


def test_a_kind_reached_twice_is_bumped_after_everything_it_embeds(monkeypatch):
    """a -> b -> c and a -> c: c comes after b, not between a and b."""
    monkeypatch.setattr(hydration, "_cascades", {})
    hydration.register_cascade("a", dependent_kind="c", ids_of=lambda ids: [100])
    hydration.register_cascade("a", dependent_kind="b", ids_of=lambda ids: [10])
    hydration.register_cascade("b", dependent_kind="c", ids_of=lambda ids: [200])
    order = list(hydration._with_dependents("a", [1]).items())
    assert order == [("a", {1}), ("b", {10}), ("c", {100, 200})]
