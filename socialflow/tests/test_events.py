"""Domain events: record in the transaction, dispatch after commit, each handler once to effect,
failures retried with backoff without blocking the others, lost work re-driven, old events pruned."""

import uuid
from datetime import timedelta

import pytest
import redis
import time_machine
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from socialflow.celery import app as celery_app
from socialflow.core import events
from socialflow.core.models import Event, HandlerRun
from socialflow.redis import breaker
from socialflow.reliability.models import DeferredTask
from socialflow.reliability.tasks import redrive_deferred_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _test_event(monkeypatch):
    monkeypatch.setitem(events.CATALOG, "test.happened", events.EventSpec(("thing_id",), "a test event"))


def _later(seconds: float):
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def test_it_dispatches_after_commit_to_every_handler(event_handler, django_capture_on_commit_callbacks):
    seen = []
    event_handler("test.happened", lambda event: seen.append(("a", event.payload)), name="test.a")
    event_handler("test.happened", lambda event: seen.append(("b", event.payload)), name="test.b")

    with django_capture_on_commit_callbacks(execute=True):
        event = events.record("test.happened", thing_id=7)
        assert seen == []  # nothing runs before the commit

    assert sorted(seen) == [("a", {"thing_id": 7}), ("b", {"thing_id": 7})]
    event.refresh_from_db()
    assert event.status == Event.Status.DONE
    assert event.version == 1
    assert set(event.runs.values_list("handler", "status", "attempts")) == {
        ("test.a", HandlerRun.Status.DONE, 1),
        ("test.b", HandlerRun.Status.DONE, 1),
    }


@pytest.mark.django_db(transaction=True)
def test_it_dispatches_on_a_real_commit_and_not_on_a_rollback(event_handler):
    seen = []
    event_handler("test.happened", lambda event: seen.append(event.payload["thing_id"]), name="test.seen")

    with pytest.raises(RuntimeError), transaction.atomic():
        events.record("test.happened", thing_id=1)
        raise RuntimeError("the service failed")
    assert seen == []
    assert not Event.objects.exists()

    with transaction.atomic():
        events.record("test.happened", thing_id=2)
        assert seen == []
    assert seen == [2]


def test_it_stores_the_payload_as_json(event_handler, django_capture_on_commit_callbacks):
    got = []
    event_handler("test.happened", lambda event: got.append(event.payload), name="test.json")
    thing = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        events.record("test.happened", thing_id=thing)
    assert got == [{"thing_id": str(thing)}]


def test_it_refuses_undeclared_events_and_payloads():
    with pytest.raises(ValueError, match="undeclared event"):
        events.record("test.nope", thing_id=1)
    with pytest.raises(ValueError, match="takes exactly"):
        events.record("test.happened", thing_id=1, extra=2)
    with pytest.raises(ValueError, match="takes exactly"):
        events.record("test.happened")
    with pytest.raises(ValueError, match="undeclared event"):
        events.register("test.nope", lambda event: None, name="test.nope")


def test_it_refuses_two_handlers_under_one_name(event_handler):
    event_handler("test.happened", lambda event: None, name="test.dup")
    with pytest.raises(ValueError, match="already registered"):
        events.register("test.happened", lambda event: None, name="test.dup")


def test_it_finishes_an_event_nobody_handles(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = events.record("test.happened", thing_id=1)
    event.refresh_from_db()
    assert event.status == Event.Status.DONE
    assert not event.runs.exists()


def test_it_retries_a_failing_handler_with_backoff_and_never_runs_it_twice_to_effect(
    event_handler, django_capture_on_commit_callbacks
):
    calls = []

    def flaky(event):
        calls.append(timezone.now())
        Group.objects.create(name=f"effect-of-{event.pk}")  # the handler's database effect
        if len(calls) == 1:
            raise ConnectionError("the mail server is down")

    other = []
    event_handler("test.happened", flaky, name="test.flaky")
    event_handler("test.happened", lambda event: other.append(event.pk), name="test.steady")

    with django_capture_on_commit_callbacks(execute=True):
        event = events.record("test.happened", thing_id=1)

    # The failure rolled its effect back, did not hold up the other handler, and waits for a retry.
    assert len(calls) == 1 and other == [event.pk]
    assert not Group.objects.filter(name__startswith="effect-of-").exists()
    run = HandlerRun.objects.get(event=event, handler="test.flaky")
    assert run.status == HandlerRun.Status.PENDING
    assert run.attempts == 1
    assert "ConnectionError: the mail server is down" in run.last_error
    assert run.next_attempt_at == pytest.approx(calls[0] + timedelta(seconds=30), abs=timedelta(seconds=2))
    event.refresh_from_db()
    assert event.status == Event.Status.DISPATCHED

    # Not due yet: neither a duplicate message nor the re-drive runs it early.
    assert events.run_event_handler.delay(run.pk).get() == "skipped"
    events.redrive_events.delay()
    assert len(calls) == 1

    with _later(31):
        events.redrive_events.delay()
    assert len(calls) == 2
    run.refresh_from_db()
    assert run.status == HandlerRun.Status.DONE
    assert run.attempts == 2
    assert Group.objects.filter(name=f"effect-of-{event.pk}").count() == 1

    # Done is done: a redelivered dispatch, a redelivered run and later re-drives change nothing.
    events.dispatch_event.delay(event.pk)
    events.run_event_handler.delay(run.pk)
    with _later(3600):
        events.redrive_events.delay()
    assert len(calls) == 2
    assert other == [event.pk]
    assert Group.objects.filter(name__startswith="effect-of-").count() == 1
    event.refresh_from_db()
    assert event.status == Event.Status.DONE


def test_it_backs_off_exponentially_then_gives_up(event_handler, settings, django_capture_on_commit_callbacks):
    settings.EVENTS_MAX_ATTEMPTS = 3
    calls = []

    def broken(event):
        calls.append(1)
        raise ValueError("bad data")

    event_handler("test.happened", broken, name="test.broken")
    with django_capture_on_commit_callbacks(execute=True):
        event = events.record("test.happened", thing_id=1)
    run = HandlerRun.objects.get(event=event)
    assert events.retry_delay(1) == timedelta(seconds=30)
    assert events.retry_delay(2) == timedelta(seconds=60)
    assert events.retry_delay(20) == timedelta(hours=1)

    with _later(31):
        events.redrive_events.delay()
        run.refresh_from_db()
        assert (run.attempts, run.status) == (2, HandlerRun.Status.PENDING)
        assert run.next_attempt_at == pytest.approx(timezone.now() + timedelta(seconds=60), abs=timedelta(seconds=2))
    with _later(31 + 61):
        events.redrive_events.delay()
    run.refresh_from_db()
    event.refresh_from_db()
    assert (run.attempts, run.status, len(calls)) == (3, HandlerRun.Status.FAILED, 3)
    assert event.status == Event.Status.DONE

    # The admin's retry gives it a fresh budget.
    with django_capture_on_commit_callbacks(execute=True):
        assert events.runs_retry(run_ids=[run.pk]) == 1
    events.run_event_handler.delay(run.pk)
    run.refresh_from_db()
    assert (run.attempts, len(calls)) == (1, 4)


def test_it_rolls_back_a_run_whose_claim_was_taken_over(event_handler, django_capture_on_commit_callbacks):
    def slow(event):
        Group.objects.create(name="slow effect")
        # Meanwhile the re-drive presumed this worker dead and another worker claimed the run.
        HandlerRun.objects.filter(event=event).update(attempts=9)

    event_handler("test.happened", slow, name="test.slow")
    with django_capture_on_commit_callbacks(execute=True):
        event = events.record("test.happened", thing_id=1)
    assert not Group.objects.filter(name="slow effect").exists()
    assert HandlerRun.objects.get(event=event).status == HandlerRun.Status.RUNNING


def test_it_keeps_a_dispatch_the_broker_refused_for_the_quick_re_drive(
    event_handler, django_capture_on_commit_callbacks
):
    # During a Redis outage the dispatch becomes a deferred task (re-driven every few seconds once
    # the broker answers), not only an event for the minute-scale re-drive to find.
    seen = []
    event_handler("test.happened", lambda event: seen.append(event.pk), name="test.a")
    breaker.trip("127.0.0.1:1", redis.ConnectionError("refused"))
    with django_capture_on_commit_callbacks(execute=True):
        event = events.record("test.happened", thing_id=7)

    deferred = DeferredTask.objects.get()
    assert (deferred.name, deferred.args) == ("socialflow.core.events.dispatch_event", [event.pk])
    assert seen == []

    breaker.reset()
    assert redrive_deferred_tasks() == 1
    assert seen == [event.pk]


def test_it_redrives_events_whose_dispatch_was_lost(event_handler, django_capture_on_commit_callbacks):
    seen = []
    event_handler("test.happened", lambda event: seen.append(event.payload["thing_id"]), name="test.seen")
    with django_capture_on_commit_callbacks(execute=False):  # the broker lost the message
        event = events.record("test.happened", thing_id=5)
    assert seen == []

    events.redrive_events.delay()
    assert seen == []  # too young: its own message may still be on the way
    with _later(61):
        assert events.redrive_events(queued_at=timezone.now().isoformat()) == 1
    assert seen == [5]
    event.refresh_from_db()
    assert event.status == Event.Status.DONE


def test_it_releases_runs_whose_worker_died(event_handler, django_capture_on_commit_callbacks):
    seen = []
    event_handler("test.happened", lambda event: seen.append(event.pk), name="test.seen")
    with django_capture_on_commit_callbacks(execute=False):
        event = events.record("test.happened", thing_id=5)
    [run_id] = events.event_dispatch(event_id=event.pk)
    assert events.run_claim(run_id=run_id) is not None  # a worker claimed it, then died

    with _later(10 * 60):
        events.redrive_events.delay()
    assert seen == []  # still within the handler timeout
    with _later(16 * 60):
        events.redrive_events.delay()
    assert seen == [event.pk]
    run = HandlerRun.objects.get(pk=run_id)
    assert (run.status, run.attempts) == (HandlerRun.Status.DONE, 2)


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_it_records_who_claimed_a_run(event_handler, django_capture_on_commit_callbacks):
    import os
    import socket

    event_handler("test.happened", lambda event: None, name="test.noop")
    with django_capture_on_commit_callbacks(execute=False):
        event = events.record("test.happened", thing_id=5)
    [run_id] = events.event_dispatch(event_id=event.pk)
    run = events.run_claim(run_id=run_id)
    assert (run.claimed_host, run.claimed_pid) == (socket.gethostname(), os.getpid())


def test_it_releases_at_once_a_run_whose_worker_on_this_host_was_killed(
    event_handler, django_capture_on_commit_callbacks
):
    seen = []
    event_handler("test.happened", lambda event: seen.append(event.pk), name="test.seen")
    with django_capture_on_commit_callbacks(execute=False):
        event = events.record("test.happened", thing_id=5)
    [run_id] = events.event_dispatch(event_id=event.pk)
    events.run_claim(run_id=run_id)
    HandlerRun.objects.filter(pk=run_id).update(claimed_pid=_dead_pid())  # SIGKILLed mid-handler

    events.redrive_events.delay()
    assert seen == [event.pk]  # no 15-minute wait
    run = HandlerRun.objects.get(pk=run_id)
    assert (run.status, run.attempts) == (HandlerRun.Status.DONE, 2)


def test_it_leaves_a_run_claimed_by_a_live_worker_or_another_host_to_the_timeout(
    event_handler, django_capture_on_commit_callbacks
):
    seen = []
    event_handler("test.happened", lambda event: seen.append(event.payload["thing_id"]), name="test.seen")
    run_ids = []
    for thing_id in (1, 2):
        with django_capture_on_commit_callbacks(execute=False):
            event = events.record("test.happened", thing_id=thing_id)
        [run_id] = events.event_dispatch(event_id=event.pk)
        events.run_claim(run_id=run_id)
        run_ids.append(run_id)
    # 1: claimed by this (live) process; 2: by a process on another machine, whose pid says nothing here.
    HandlerRun.objects.filter(pk=run_ids[1]).update(claimed_host="other-host", claimed_pid=_dead_pid())

    with _later(10 * 60):
        events.redrive_events.delay()
    assert seen == []
    with _later(16 * 60):
        events.redrive_events.delay()
    assert sorted(seen) == [1, 2]


def test_it_prunes_finished_events_after_the_retention(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        old = events.record("test.happened", thing_id=1)
    with django_capture_on_commit_callbacks(execute=False):
        stuck = events.record("test.happened", thing_id=2)
    with _later(8 * 24 * 3600):
        with django_capture_on_commit_callbacks(execute=True):
            recent = events.record("test.happened", thing_id=3)
        assert events.prune_events.delay().get() == 1
    assert set(Event.objects.values_list("pk", flat=True)) == {stuck.pk, recent.pk}
    assert not Event.objects.filter(pk=old.pk).exists()


def test_it_schedules_the_redrive_and_the_prune(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"socialflow.core.events.redrive_events", "socialflow.core.events.prune_events"} <= tasks
    assert "socialflow.core.events.redrive_events" in celery_app.tasks


def test_it_lists_every_declared_event_in_the_architecture_doc():
    from pathlib import Path

    from django.conf import settings

    doc = (Path(settings.BASE_DIR) / "docs" / "architecture.md").read_text()
    section = doc[doc.index("### The events") :]
    for name, spec in events.CATALOG.items():
        if name.startswith("test."):
            continue
        row = next((line for line in section.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"{name} is missing from docs/architecture.md"
        assert row.split(" | ")[1] == ", ".join(f"`{f}`" for f in spec.fields), name


def test_the_redrive_judges_from_behind_the_backlog(event_handler, django_capture_on_commit_callbacks, monkeypatch):
    """Beat's call only re-queues the re-drive, stamped; the stamped call ignores work that was not
    yet overdue at the stamp (it may be waiting in the backlog the re-drive itself waited behind)."""
    seen = []
    event_handler("test.happened", lambda event: seen.append(event.pk), name="test.seen")
    with django_capture_on_commit_callbacks(execute=False):
        event = events.record("test.happened", thing_id=5)
    queued = []
    monkeypatch.setattr(events.redrive_events, "delay", lambda **kwargs: queued.append(kwargs))
    with _later(61):
        assert events.redrive_events() == 0
        [stamp] = queued
        assert seen == []
    with _later(61 + 45):  # the stamped call ran 45 s later: at its stamp the event was 61 s old
        assert events.redrive_events(**stamp) == 1
    assert seen == [event.pk]

    with django_capture_on_commit_callbacks(execute=False):
        young = events.record("test.happened", thing_id=6)
    stamp = {"queued_at": timezone.now().isoformat()}
    with _later(45):  # overdue now, but 0 s old at the stamp: still in the backlog, not lost
        assert events.redrive_events(**stamp) == 0
    assert young.pk not in seen
