"""Analytics reads: one video's or one channel's report over a date range (days in the creator's
time zone), the realtime last-48-hours series, and CSV rows of any report.

Who may read: a video's owner (and, through ``socialflow.core.revenue.is_analytics_claimant``, a
copyright claimant holding a ``track`` claim on it); a channel's report: its owner only. Anyone
else gets ``NotFound`` (existence is not revealed)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from analytics.models import RETENTION_BUCKETS, SOURCES, ChannelDay, DailyViewer, Kind, RawEvent, VideoDay
from analytics.services import zone_for
from socialflow.core import revenue
from socialflow.core.exceptions import InvalidInput, NotFound
from socialflow.core.money import Money
from videos import selectors as video_selectors

COUNTERS = (
    "views",
    "sessions",
    "watch_time_ms",
    "completed_sessions",
    "unique_viewers",
    "likes",
    "comments",
    "shares",
)
DEFAULT_RANGE_DAYS = 28
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError) as exc:
        raise InvalidInput("Use a date as YYYY-MM-DD.", field=field, code="invalid_date") from exc


def date_range(*, start: str | None, end: str | None, user) -> DateRange:
    """The requested ``from``..``to`` (inclusive, the creator's days); default: the last 28 days."""
    today = timezone.now().astimezone(zone_for(getattr(user, "time_zone", "UTC"))).date()
    stop = _parse_date(end, "to") if end else today
    first = _parse_date(start, "from") if start else stop - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    for value, field in ((first, "from"), (stop, "to")):
        if not EARLIEST <= value <= today + timedelta(days=366):
            raise InvalidInput(
                f"Dates from {EARLIEST.isoformat()} to a year from now.", field=field, code="date_out_of_range"
            )
    if first > stop:
        raise InvalidInput("'from' must not be after 'to'.", field="from", code="invalid_range")
    if (stop - first).days + 1 > settings.ANALYTICS_MAX_RANGE_DAYS:
        raise InvalidInput(
            f"At most {settings.ANALYTICS_MAX_RANGE_DAYS} days in one report.", field="from", code="range_too_long"
        )
    return DateRange(first, stop)


# --- who may read --------------------------------------------------------------------------------


def video_for_analytics(*, video_id, user):
    """The video whose analytics ``user`` may read: its owner, or a ``track`` claimant."""
    try:
        pk = int(video_id)
    except (TypeError, ValueError) as exc:
        raise NotFound("Video not found.") from exc
    if not 0 < pk < 2**63:
        raise NotFound("Video not found.")
    video = video_selectors.video_for_event(video_id=pk)
    uid = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    if video is None or uid is None:
        raise NotFound("Video not found.")
    if video.author_id != uid and not revenue.is_analytics_claimant(user_id=uid, video_id=video.pk):
        raise NotFound("Video not found.")
    return video


# --- reports -------------------------------------------------------------------------------------


def _series(rows, rng: DateRange, *, extra: tuple[str, ...] = ()) -> tuple[list[dict], dict, list[int], dict]:
    by_day = {row.day: row for row in rows}
    days = []
    totals = dict.fromkeys((*COUNTERS, *extra), 0)
    retention = [0] * RETENTION_BUCKETS
    sources = dict.fromkeys(SOURCES, 0)
    for day in rng.days:
        row = by_day.get(day)
        entry = {"day": day.isoformat()}
        for name in (*COUNTERS, *extra):
            value = getattr(row, name, 0) if row else 0
            entry[name] = value
            totals[name] += value
        if row:
            retention = [a + b for a, b in zip(retention, row.retention, strict=True)]
            for source, n in (row.sources or {}).items():
                sources[source] = sources.get(source, 0) + n
        days.append(entry)
    return days, totals, retention, sources


def _derived(totals: dict, retention_counts: list[int]) -> dict:
    sessions = totals["sessions"]
    views = totals["views"]
    return {
        "average_view_duration_ms": totals["watch_time_ms"] // sessions if sessions else 0,
        "completion_rate": round(totals["completed_sessions"] / sessions, 4) if sessions else 0.0,
        "engagement_rate": round((totals["likes"] + totals["comments"] + totals["shares"]) / views, 4)
        if views
        else 0.0,
        "retention": [
            {"percent": i * 100 // RETENTION_BUCKETS, "viewers": round(n / sessions, 4) if sessions else 0.0}
            for i, n in enumerate(retention_counts)
        ],
    }


def _revenue(*, user_id: int, zone, rng: DateRange) -> dict:
    start = datetime.combine(rng.start, time.min, tzinfo=zone)
    end = datetime.combine(rng.end + timedelta(days=1), time.min, tzinfo=zone)
    per_day: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for created_at, source, currency, amount in revenue.revenue_rows(user_id=user_id, start=start, end=end):
        day = created_at.astimezone(zone).date().isoformat()
        per_day[day][(source, currency)] += amount
        totals[(source, currency)] += amount

    def shape(sums):
        return [
            {"source": source, "currency": currency, "amount_minor": amount, "amount": str(Money(amount, currency))}
            for (source, currency), amount in sorted(sums.items())
        ]

    return {
        "by_source": shape(totals),
        "days": [{"day": day, "by_source": shape(sums)} for day, sums in sorted(per_day.items())],
    }


def _unique_viewers(*, scope: str, scope_id: int, rng: DateRange) -> int:
    """Distinct viewers over the whole range (a day's figure is that day's; someone who watched on
    three days is one viewer of the period, not three)."""
    return (
        DailyViewer.objects.filter(scope=scope, scope_id=scope_id, day__gte=rng.start, day__lte=rng.end)
        .values("viewer_key")
        .distinct()
        .count()
    )


def video_report(*, video, rng: DateRange) -> dict:
    rows = VideoDay.objects.filter(video_id=video.pk, day__gte=rng.start, day__lte=rng.end)
    days, totals, retention, sources = _series(rows, rng)
    totals["unique_viewers"] = _unique_viewers(scope=DailyViewer.Scope.VIDEO, scope_id=video.pk, rng=rng)
    return {
        "video": {"id": str(video.pk), "title": video.title},
        "from": rng.start.isoformat(),
        "to": rng.end.isoformat(),
        "time_zone": video.author.time_zone,
        "totals": totals,
        **_derived(totals, retention),
        "traffic_sources": sources,
        "days": days,
        # The ledger attributes earnings to the creator, not to one video: revenue is per channel.
        "revenue": None,
    }


def channel_report(*, user, rng: DateRange, top: int = 10) -> dict:
    rows = ChannelDay.objects.filter(channel_id=user.pk, day__gte=rng.start, day__lte=rng.end)
    days, totals, retention, sources = _series(rows, rng, extra=("followers_gained", "followers_lost"))
    totals["unique_viewers"] = _unique_viewers(scope=DailyViewer.Scope.CHANNEL, scope_id=user.pk, rng=rng)
    top_rows = list(
        VideoDay.objects.filter(channel_id=user.pk, day__gte=rng.start, day__lte=rng.end)
        .values("video_id")
        .annotate(views=Sum("views"), watch_time_ms=Sum("watch_time_ms"))
        .order_by("-views", "-watch_time_ms", "video_id")[:top]
    )
    titles = video_selectors.video_titles(video_ids=[r["video_id"] for r in top_rows])
    return {
        "channel": {"id": str(user.pk), "username": user.username},
        "from": rng.start.isoformat(),
        "to": rng.end.isoformat(),
        "time_zone": user.time_zone,
        "totals": totals,
        **_derived(totals, retention),
        "traffic_sources": sources,
        "days": days,
        "followers_net": totals["followers_gained"] - totals["followers_lost"],
        "top_videos": [
            {
                "id": str(r["video_id"]),
                "title": titles.get(r["video_id"], ""),
                "views": r["views"],
                "watch_time_ms": r["watch_time_ms"],
            }
            for r in top_rows
            if r["video_id"] in titles
        ],
        "revenue": _revenue(user_id=user.pk, zone=zone_for(user.time_zone), rng=rng),
    }


def realtime(*, user, video=None, hours: int = 48) -> dict:
    """Views and sessions per hour for the last ``hours`` hours (raw rows already drained: the
    buffer is at most one flush interval behind)."""
    now = timezone.now()
    since = (now - timedelta(hours=hours - 1)).replace(minute=0, second=0, microsecond=0)
    qs = RawEvent.objects.filter(channel_id=user.pk, occurred_at__gte=since, kind__in=[Kind.VIEW, Kind.SESSION])
    if video is not None:
        qs = qs.filter(video_id=video.pk)
    counts = defaultdict(lambda: {"views": 0, "sessions": 0})
    for row in qs.annotate(hour=TruncHour("occurred_at")).values("hour", "kind").annotate(n=Count("id")):
        counts[row["hour"]]["views" if row["kind"] == Kind.VIEW else "sessions"] += row["n"]
    hours_list = []
    for i in range(hours):
        hour = since + timedelta(hours=i)
        c = counts.get(hour, {"views": 0, "sessions": 0})
        hours_list.append({"hour": hour.isoformat(), **c})
    return {
        "hours": hours_list,
        "views": sum(h["views"] for h in hours_list),
        "sessions": sum(h["sessions"] for h in hours_list),
    }


# --- CSV -----------------------------------------------------------------------------------------


def report_csv_rows(report: dict) -> list[list]:
    """One row per day: the report's daily counters (and follower changes for a channel)."""
    days = report["days"]
    if not days:
        return [["day"]]
    header = list(days[0].keys())
    return [header, *[[day[name] for name in header] for day in days]]
