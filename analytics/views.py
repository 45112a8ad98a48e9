"""Studio pages of analytics (server-rendered, /studio/analytics/): the channel dashboard and one
video's analytics with Chart.js charts, the realtime 48-hour panel (polls the API) and CSV exports
of every report. The reports are the API's (``analytics.selectors``), embedded with ``json_script``."""

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from analytics import selectors
from socialflow.core.exceptions import InvalidInput, NotFound
from videos import selectors as video_selectors


def _range(request):
    try:
        return selectors.date_range(start=request.GET.get("from"), end=request.GET.get("to"), user=request.user), ""
    except InvalidInput as exc:
        return selectors.date_range(start=None, end=None, user=request.user), exc.message


def _page(report: dict) -> dict:
    """The figures the KPI cards show, in the units people read."""
    return {
        "report": report,
        "watch_minutes": report["totals"]["watch_time_ms"] / 60_000,
        "avg_seconds": report["average_view_duration_ms"] / 1000,
        "completion_pct": report["completion_rate"] * 100,
        "engagement_pct": report["engagement_rate"] * 100,
    }


def _csv(report: dict, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in selectors.report_csv_rows(report):
        writer.writerow(row)
    return response


@login_required
def index(request):
    rng, error = _range(request)
    report = selectors.channel_report(user=request.user, rng=rng)
    videos = list(video_selectors.videos_of_author(author_id=request.user.pk).only("pk", "title", "views_count")[:50])
    return render(
        request,
        "analytics/channel.html",
        {**_page(report), "rng": rng, "error": error, "videos": videos},
    )


@login_required
def channel_csv(request):
    rng, _ = _range(request)
    report = selectors.channel_report(user=request.user, rng=rng)
    return _csv(report, f"channel-{rng.start}-{rng.end}.csv")


def _video_or_404(request, video_id):
    try:
        return selectors.video_for_analytics(video_id=video_id, user=request.user)
    except NotFound:
        return None


@login_required
def video(request, video_id: int):
    item = _video_or_404(request, video_id)
    if item is None:
        return render(request, "analytics/not_found.html", status=404)
    rng, error = _range(request)
    report = selectors.video_report(video=item, rng=rng)
    return render(
        request,
        "analytics/video.html",
        {**_page(report), "video": item, "rng": rng, "error": error},
    )


@login_required
def video_csv(request, video_id: int):
    item = _video_or_404(request, video_id)
    if item is None:
        return render(request, "analytics/not_found.html", status=404)
    rng, _ = _range(request)
    return _csv(selectors.video_report(video=item, rng=rng), f"video-{item.pk}-{rng.start}-{rng.end}.csv")
