"""Domain events: a service records what happened; other apps react after commit.

Recording (inside the service's transaction, one call)::

    events.record("video.ready", video_id=video.pk, author_id=video.author_id)

writes an ``Event`` row in the caller's transaction and, once it commits, queues ``dispatch_event``.
A rolled-back transaction records nothing and dispatches nothing.

Reacting (in the reacting app's ``AppConfig.ready()``)::

    events.register("video.ready", on_video_ready, name="notifications.video_ready")

``dispatch_event`` creates one ``HandlerRun`` per registered handler (unique per event and handler)
and queues ``run_event_handler`` for each, so a slow or failing handler never holds up the others.
A run is claimed by a conditional update (PENDING → RUNNING); the handler runs inside a transaction
that also marks the run DONE, and only while the claim is still ours, so its database effect
commits exactly once however many times the message is delivered. A handler that raises is rolled
back and retried with exponential backoff (``EVENTS_RETRY_BASE`` doubling, at most
``EVENTS_MAX_ATTEMPTS`` tries), then marked FAILED. ``redrive_events`` (every ``EVENTS_REDRIVE_AFTER``) dispatches
events whose message was lost, releases runs whose worker died and re-queues due retries;
``prune_events`` deletes finished events after ``EVENTS_RETENTION``.

Handlers take the ``Event`` (``event.payload`` holds the ids, ``event.version`` the payload
version), re-fetch what they need (the object may be gone by then) and must tolerate running after
a later event about the same object. Effects outside the database belong in
``transaction.on_commit`` inside the handler, so they happen only when its run commits.

Every event is declared in ``CATALOG`` with its payload fields; ``record`` and ``register`` refuse
undeclared names and ``record`` refuses a payload with other fields. docs/architecture.md lists
them. Nothing in here imports a domain app.
"""

import json
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from socialflow.core.models import Event, HandlerRun
from socialflow.reliability.queue import behind_the_backlog, enqueue

logger = logging.getLogger(__name__)

Handler = Callable[[Event], None]


@dataclass(frozen=True)
class EventSpec:
    fields: tuple[str, ...]
    doc: str
    version: int = 1


CATALOG: dict[str, EventSpec] = {
    # accounts
    "user.followed": EventSpec(("follower_id", "followee_id"), "follower now follows followee"),
    "user.follow_requested": EventSpec(
        ("follower_id", "followee_id", "request_id"), "follower asked to follow a private account"
    ),
    "user.follow_accepted": EventSpec(
        ("follower_id", "followee_id"), "followee accepted follower's request (follower now follows)"
    ),
    "user.unfollowed": EventSpec(
        ("follower_id", "followee_id"), "follower stopped following followee (or a block ended it)"
    ),
    "user.blocked": EventSpec(("blocker_id", "blocked_id"), "blocker blocked blocked (follows both ways are gone)"),
    "user.muted": EventSpec(("muter_id", "muted_id"), "muter muted muted (their posts leave muter's feeds)"),
    "user.unmuted": EventSpec(("muter_id", "muted_id"), "muter unmuted muted"),
    "user.deleted": EventSpec(
        ("user_id",),
        "the account was deleted (soft: gone from view at once; purged, i.e. its row deleted or "
        "anonymised, after ACCOUNT_PURGE_AFTER unless restored)",
    ),
    "user.banned": EventSpec(("user_id", "by_id", "until", "reason"), "a moderator banned the account"),
    "user.unbanned": EventSpec(("user_id", "by_id"), "a moderator lifted the ban"),
    "user.avatar_changed": EventSpec(("user_id", "avatar"), "the user set a new avatar (storage name)"),
    # moderation (socialflow.core.moderation)
    "content.moderated": EventSpec(
        ("kind", "target_id", "owner_id", "actor_id", "status", "previous_status", "reason", "audit_id"),
        "a moderator moved content (kind: video, post, comment, chat_message) to status; the owner should hear",
    ),
    "content.marked_sensitive": EventSpec(
        ("kind", "target_id", "owner_id", "actor_id", "sensitive", "reason", "audit_id"),
        "a moderator marked content sensitive (shown behind a content warning) or took the mark off",
    ),
    # moderation (the app): reports
    "report.resolved": EventSpec(
        ("report_id", "reporter_id", "target_type", "outcome"),
        "a moderator decided a report (outcome: removed or dismissed); the reporter should hear",
    ),
    "report.rights": EventSpec(
        ("report_id", "reporter_id", "target_type", "target_id", "details"),
        "a user reported content for rights (copyright); routed to the copyright domain",
    ),
    "report.replied": EventSpec(("report_id", "reporter_id"), "a moderator wrote in a report's thread"),
    "account.actioned": EventSpec(
        ("user_id", "action_id", "kind", "reason", "until"),
        "a moderator (or the strike rule) warned, struck, limited, suspended or banned an account",
    ),
    "appeal.decided": EventSpec(
        ("appeal_id", "user_id", "outcome", "note"), "a moderator granted or rejected a user's appeal"
    ),
    # posts
    "post.created": EventSpec(
        ("post_id", "author_id", "reply_to_id", "quote_of_id", "mentioned_user_ids", "announce"),
        "a post, reply or quote was published; announce: followers should hear about it",
    ),
    "post.mentioned": EventSpec(("post_id", "author_id", "user_ids"), "an edit mentioned new users"),
    "post.edited": EventSpec(("post_id", "author_id"), "the author changed the post's text"),
    "post.reposted": EventSpec(
        ("post_id", "original_id", "user_id", "original_author_id"), "user reposted original (post_id: the repost)"
    ),
    "post.liked": EventSpec(("post_id", "user_id", "author_id"), "user liked author's post"),
    "post.deleted": EventSpec(("post_ids", "author_id"), "a post and its reposts were deleted"),
    # videos
    "video.ready": EventSpec(("video_id", "author_id"), "transcoding finished; the video plays"),
    "video.failed": EventSpec(("video_id", "author_id", "error"), "transcoding failed for good"),
    "video.published": EventSpec(
        ("video_id", "author_id"), "a ready public video reached its publish time (once per video)"
    ),
    "video.liked": EventSpec(("video_id", "user_id", "author_id"), "user liked author's video"),
    "video.deleted": EventSpec(("video_id", "author_id"), "the video and its media were deleted"),
    "comment.created": EventSpec(
        ("comment_id", "video_id", "author_id", "video_author_id", "reply_to_author_id"),
        "a comment (or a reply to one) on a video",
    ),
    "comment.liked": EventSpec(("comment_id", "user_id", "author_id"), "user liked author's comment"),
    "comment.deleted": EventSpec(
        ("comment_ids", "video_id"), "comments were deleted (one and its replies, or a deleted video's)"
    ),
    "view.counted": EventSpec(
        ("video_id", "views"), "views were added to a video's counter (one per video per applied flush batch)"
    ),
    # live
    "stream.started": EventSpec(("stream_id", "owner_id"), "a live stream went on air"),
    "stream.ended": EventSpec(("stream_id", "owner_id"), "a live stream went off air"),
    # copyright
    "copyright.claim_created": EventSpec(
        ("claim_id", "video_id", "uploader_id", "claimant_id", "policy", "source"),
        "a copyright claim was made on a video (match, manual claim or takedown); both parties should hear",
    ),
    "copyright.claim_updated": EventSpec(
        ("claim_id", "video_id", "uploader_id", "claimant_id", "status", "actor_id"),
        "a claim moved to status (disputed, released, upheld, appealed; staff decisions); the other party should hear",
    ),
    "copyright.strike": EventSpec(
        ("claim_id", "video_id", "user_id", "audit_id"),
        "an upheld takedown counts as a copyright strike against user (the uploader)",
    ),
    # monetization
    "tip.received": EventSpec(
        ("tip_id", "creator_id", "fan_id", "amount_minor", "currency", "stream_id"),
        "a fan's tip to a creator was paid (stream_id: the live stream it was sent in, or null)",
    ),
    "membership.started": EventSpec(
        ("membership_id", "user_id", "creator_id"), "a fan became a member of a creator's channel (first payment)"
    ),
    "payout.sent": EventSpec(
        ("payout_id", "user_id", "amount_minor", "currency"), "a creator's payout left for their Stripe account"
    ),
    # monetization: ads (its name and amounts travel: notifications may not read monetization)
    "ad_campaign.reviewed": EventSpec(
        ("campaign_id", "advertiser_id", "campaign_name", "status", "reason"),
        "a moderator approved or rejected an advertiser's campaign (reason: the moderator's, for a rejection)",
    ),
    "ad_campaign.ended": EventSpec(
        ("campaign_id", "advertiser_id", "campaign_name", "reason", "spent_minor", "budget_minor", "currency"),
        "a campaign stopped serving: its budget is spent (reason budget_spent) or its schedule ended (schedule_ended)",
    ),
}

_registry: dict[str, dict[str, Handler]] = {}


def record(name: str, **payload) -> Event:
    """Record ``name`` with ``payload`` (ids and small JSON values) in the current transaction;
    dispatch is queued for after commit. Raises ValueError for an undeclared event or payload."""
    spec = CATALOG.get(name)
    if spec is None:
        raise ValueError(f"undeclared event {name!r}: declare it in socialflow.core.events.CATALOG")
    if set(payload) != set(spec.fields):
        raise ValueError(f"{name} takes exactly {sorted(spec.fields)}, got {sorted(payload)}")
    # Through JSON now, so handlers see exactly what was stored (UUIDs and datetimes as strings).
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    event = Event.objects.create(name=name, version=spec.version, payload=payload)
    # robust: a broker outage must not fail the committed request; redrive_events picks it up.
    transaction.on_commit(lambda: _dispatch_soon(event.pk), robust=True)
    return event


def _dispatch_soon(event_id: int) -> None:
    # A broker that is down (or known to be) never holds the request: the publish is kept as a
    # deferred task, re-driven every few seconds once the broker answers; redrive_events is the
    # slower safety net for a publish lost in between.
    enqueue(dispatch_event, event_id)


def register(event: str, handler: Handler | None = None, *, name: str | None = None):
    """Register ``handler`` for ``event`` under a stable ``name`` (its runs are recorded under it;
    renaming it re-runs nothing old but is a new handler). Usable as a decorator."""
    if event not in CATALOG:
        raise ValueError(f"undeclared event {event!r}: declare it in socialflow.core.events.CATALOG")

    def add(fn: Handler) -> Handler:
        key = name or f"{fn.__module__}.{fn.__qualname__}"
        current = _registry.setdefault(event, {}).get(key)
        if current is not None and current is not fn:
            raise ValueError(f"handler name {key!r} is already registered for {event}")
        _registry[event][key] = fn
        return fn

    return add if handler is None else add(handler)


def unregister(event: str, name: str) -> None:
    _registry.get(event, {}).pop(name, None)


def handlers_for(event: str) -> dict[str, Handler]:
    return dict(_registry.get(event, {}))


# --- dispatch: the outbox worker's services ------------------------------------------------------


def event_dispatch(*, event_id: int) -> list[int]:
    """Create the missing runs for the event's handlers and return the ids of those due now.

    Idempotent: runs are unique per (event, handler), so a second dispatch adds nothing."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.status == Event.Status.DONE:
        return []
    HandlerRun.objects.bulk_create(
        [HandlerRun(event_id=event_id, handler=key) for key in sorted(handlers_for(event.name))],
        ignore_conflicts=True,
    )
    now = timezone.now()
    Event.objects.filter(pk=event_id, status=Event.Status.PENDING).update(
        status=Event.Status.DISPATCHED, dispatched_at=now
    )
    run_ids = list(
        HandlerRun.objects.filter(
            event_id=event_id, status=HandlerRun.Status.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)
    )
    event_settle(event_id=event_id)
    return run_ids


def _this_host() -> str:
    return socket.gethostname()[:255]


def _pid_alive(pid: int | None) -> bool:
    """Whether a process with this pid exists on this host (signal 0 only checks)."""
    if not pid:
        return True  # unknown claimer: leave it to the timeout
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def run_claim(*, run_id: int) -> HandlerRun | None:
    """Compare-and-swap PENDING (and due) → RUNNING; None when taken, done or not due yet.

    Records the claiming host and pid, so a SIGKILLed worker's run is released without waiting
    for the timeout (``events_requeue_stuck``)."""
    now = timezone.now()
    changed = HandlerRun.objects.filter(pk=run_id, status=HandlerRun.Status.PENDING, next_attempt_at__lte=now).update(
        status=HandlerRun.Status.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        claimed_host=_this_host(),
        claimed_pid=os.getpid(),
    )
    if not changed:
        return None
    return HandlerRun.objects.select_related("event").get(pk=run_id)


class _ClaimLost(Exception):
    """The run was released (worker presumed dead) and claimed again while this one ran."""


def run_execute(*, run_id: int) -> HandlerRun | None:
    """Claim a run and call its handler; the effect and the DONE mark commit together.

    Returns the run as it ended (DONE, PENDING for a retry, FAILED), or None when not claimed."""
    run = run_claim(run_id=run_id)
    if run is None:
        return None
    handler = handlers_for(run.event.name).get(run.handler)
    try:
        if handler is None:
            # A worker running older code, or a handler removed: retry, so a current worker can take it.
            raise LookupError(f"no handler {run.handler!r} registered for {run.event.name} in this process")
        with transaction.atomic():
            handler(run.event)
            finished = HandlerRun.objects.filter(
                pk=run.pk, status=HandlerRun.Status.RUNNING, attempts=run.attempts
            ).update(status=HandlerRun.Status.DONE, finished_at=timezone.now(), last_error="")
            if not finished:
                raise _ClaimLost
    except _ClaimLost:
        logger.warning(
            "event handler %s on event %s lost its claim; its work was rolled back", run.handler, run.event_id
        )
        return None
    except Exception as exc:  # any handler failure: recorded and retried, never allowed to block the others
        logger.exception("event handler %s failed on %s #%s", run.handler, run.event.name, run.event_id)
        return run_fail(run=run, error=f"{type(exc).__name__}: {exc}")
    run.refresh_from_db()
    event_settle(event_id=run.event_id)
    return run


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the ``attempts``-th failed try: base, 2×base, 4×base, … capped at one hour."""
    return min(settings.EVENTS_RETRY_BASE * (2 ** max(attempts - 1, 0)), timedelta(hours=1))


def run_fail(*, run: HandlerRun, error: str) -> HandlerRun:
    """Record a failed try: back to PENDING after the backoff, or FAILED once attempts ran out."""
    now = timezone.now()
    final = run.attempts >= settings.EVENTS_MAX_ATTEMPTS
    fields = {"last_error": error[:2000], "finished_at": now if final else None}
    if final:
        fields["status"] = HandlerRun.Status.FAILED
    else:
        fields.update(status=HandlerRun.Status.PENDING, next_attempt_at=now + retry_delay(run.attempts))
    HandlerRun.objects.filter(pk=run.pk, status=HandlerRun.Status.RUNNING, attempts=run.attempts).update(**fields)
    run.refresh_from_db()
    if final:
        event_settle(event_id=run.event_id)
    return run


def event_settle(*, event_id: int) -> bool:
    """DISPATCHED → DONE once no run is pending or running."""
    open_runs = HandlerRun.objects.filter(
        event_id=event_id, status__in=[HandlerRun.Status.PENDING, HandlerRun.Status.RUNNING]
    )
    if open_runs.exists():
        return False
    return bool(
        Event.objects.filter(pk=event_id, status=Event.Status.DISPATCHED).update(
            status=Event.Status.DONE, finished_at=timezone.now()
        )
    )


def events_requeue_stuck(
    *, pending_older_than: timedelta, running_older_than: timedelta, as_of=None, limit: int = 1000
) -> tuple[list[int], list[int]]:
    """Reconcile. Returns (event ids to dispatch, run ids to run) and, on the way, releases runs
    stuck in RUNNING (their transaction never committed, so a rerun is safe) and settles events
    whose last run finished without settling them.

    A run is stuck once RUNNING for longer than ``running_older_than``, or at once when it was
    claimed on this host by a process that no longer exists (a SIGKILLed worker). Other hosts'
    processes cannot be checked from here: their runs wait for the timeout. A wrong guess (a pid
    reused, a claimer still alive) costs nothing: the claimer's DONE mark checks its claim, so its
    work rolls back and the run is simply done again.

    ``as_of`` (default now): events and runs count as pending only if they were due
    ``pending_older_than`` before it (``behind_the_backlog`` says why a re-drive passes it)."""
    now = timezone.now()
    as_of = as_of or now
    stuck = Q(started_at__lt=now - running_older_than)
    claimed_here = HandlerRun.objects.filter(status=HandlerRun.Status.RUNNING, claimed_host=_this_host())
    for pk, pid, attempts in claimed_here.values_list("pk", "claimed_pid", "attempts"):
        if not _pid_alive(pid):
            # The attempt count pins this claim: a run released and claimed again meanwhile stays.
            stuck |= Q(pk=pk, claimed_pid=pid, attempts=attempts)
    stale = HandlerRun.objects.filter(stuck, status=HandlerRun.Status.RUNNING)
    stale.filter(attempts__lt=settings.EVENTS_MAX_ATTEMPTS).update(
        status=HandlerRun.Status.PENDING, next_attempt_at=now, last_error="worker lost while running"
    )
    stale.filter(attempts__gte=settings.EVENTS_MAX_ATTEMPTS).update(
        status=HandlerRun.Status.FAILED, finished_at=now, last_error="worker lost while running, attempts used up"
    )
    event_ids = list(
        Event.objects.filter(status=Event.Status.PENDING, created_at__lt=as_of - pending_older_than)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    run_ids = list(
        # A retry (attempts > 0) waits in a worker for its countdown, not in the queue: due is due.
        HandlerRun.objects.filter(status=HandlerRun.Status.PENDING, next_attempt_at__lte=now)
        .exclude(next_attempt_at__gt=as_of - pending_older_than, attempts=0)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    unsettled = (
        Event.objects.filter(status=Event.Status.DISPATCHED, dispatched_at__lt=now - pending_older_than)
        .exclude(runs__status__in=[HandlerRun.Status.PENDING, HandlerRun.Status.RUNNING])
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in list(unsettled):
        event_settle(event_id=event_id)
    return event_ids, run_ids


def runs_retry(*, run_ids: list[int]) -> int:
    """Admin retry: FAILED runs go back to PENDING with a fresh attempt budget."""
    with transaction.atomic():
        runs = HandlerRun.objects.filter(pk__in=run_ids, status=HandlerRun.Status.FAILED)
        event_ids = set(runs.values_list("event_id", flat=True))
        count = runs.update(
            status=HandlerRun.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), finished_at=None
        )
        Event.objects.filter(pk__in=event_ids).update(status=Event.Status.DISPATCHED, finished_at=None)
    return count


def events_prune(*, retention: timedelta, batch: int = 5000) -> int:
    """Delete finished events (and their runs) older than ``retention``; returns how many."""
    ids = list(
        Event.objects.filter(status=Event.Status.DONE, finished_at__lt=timezone.now() - retention).values_list(
            "pk", flat=True
        )[:batch]
    )
    Event.objects.filter(pk__in=ids).delete()
    return len(ids)


# --- Celery tasks: thin, take ids, idempotent ----------------------------------------------------


def _queue_run(run_id: int, *, countdown: float | None = None) -> None:
    if countdown:
        try:
            run_event_handler.apply_async((run_id,), countdown=countdown)
        except BrokerError:  # the broker is down: redrive_events queues it again when it is due
            logger.warning("could not queue event handler run %s; the re-drive will", run_id)
    else:
        enqueue(run_event_handler, run_id)


@shared_task(acks_late=True)
def dispatch_event(event_id: int) -> int:
    """Fan an event out to its handler runs; returns how many were due.

    Every run but the first is queued as its own ``run_event_handler`` task, then the first runs
    here: most events have one or two handlers, and running one in place saves a broker round
    trip and a task per event without letting it hold up the others (they are queued already)."""
    run_ids = event_dispatch(event_id=event_id)
    for run_id in run_ids[1:]:
        _queue_run(run_id)
    if run_ids:
        _run_and_schedule_retry(run_ids[0])
    return len(run_ids)


@shared_task(acks_late=True)
def run_event_handler(run_id: int) -> str:
    return _run_and_schedule_retry(run_id)


def _run_and_schedule_retry(run_id: int) -> str:
    run = run_execute(run_id=run_id)
    if run is None:
        return "skipped"
    if run.status == HandlerRun.Status.PENDING:
        # The retry; if it arrives early (clock skew) the claim refuses it and the re-drive takes it.
        _queue_run(run.pk, countdown=max((run.next_attempt_at - timezone.now()).total_seconds(), 0))
    return run.status


@shared_task(acks_late=True)
def redrive_events(queued_at: str | None = None) -> int:
    """Periodic (CELERY_BEAT_SCHEDULE["core-events-redrive"]): dispatch lost events, re-queue due
    and released runs, judged from behind the queue's backlog (``behind_the_backlog``). Returns
    how many tasks were queued."""
    as_of = behind_the_backlog(redrive_events, queued_at)
    if as_of is None:
        return 0
    event_ids, run_ids = events_requeue_stuck(
        pending_older_than=settings.EVENTS_REDRIVE_AFTER,
        running_older_than=settings.EVENTS_HANDLER_TIMEOUT,
        as_of=as_of,
    )
    for event_id in event_ids:
        dispatch_event.delay(event_id)
    for run_id in run_ids:
        _queue_run(run_id)
    return len(event_ids) + len(run_ids)


@shared_task(acks_late=True)
def prune_events() -> int:
    """Periodic (daily): delete finished events older than EVENTS_RETENTION."""
    return events_prune(retention=settings.EVENTS_RETENTION)
