"""The transcoding pipeline: claim a job fairly, probe, one ffmpeg run, publish atomically.

State: ``processing`` videos wait with ``claimed_at`` empty. A worker claims one with a
compare-and-swap update that sets a fresh ``claim_token``; the claim is refreshed (heartbeat) with
every progress write, so a claim whose heartbeat stopped (killed worker) is stale and may be taken
over. Outputs are written to a private attempt directory and published under a new generation
prefix; only the claimer whose token still matches switches the row to ``ready``. A killed worker
therefore leaves no half-published renditions, and the retry redoes the job from the source.
"""

import logging
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from socialflow.core import events
from videos import storage
from videos.lib import ffmpeg
from videos.lib.probe import ProbeError, probe
from videos.models import Video
from videos.services.cache import video_cache_invalidate
from videos.services.thumbnails import is_custom_thumbnail
from videos.services.videos import video_announce_if_due, video_mark_failed

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)
CLAIM_STALE_AFTER = timedelta(minutes=3)
HEARTBEAT_EVERY_S = 30.0
PROGRESS_EVERY_S = 1.0


class TranscodeRetryableError(Exception):
    """Worth another attempt (ffmpeg crashed, storage hiccup)."""


@dataclass
class Claim:
    video_id: int
    token: str


def _claimable() -> Q:
    stale = timezone.now() - CLAIM_STALE_AFTER
    return Q(status=Video.Status.PROCESSING) & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))


def transcode_claim(*, video_id: int) -> Claim | None:
    """Claim one specific video if it is waiting or its previous claimer went silent."""
    token = uuid.uuid4().hex
    now = timezone.now()
    changed = (
        Video.objects.filter(_claimable(), pk=video_id)
        .exclude(source_name="")
        .update(
            claimed_at=now,
            claim_token=token,
            transcode_started_at=now,
            transcode_attempts=F("transcode_attempts") + 1,
        )
    )
    return Claim(video_id=video_id, token=token) if changed else None


def transcode_claim_next() -> Claim | None:
    """Fair queueing: the waiting job of the uploader served least recently, oldest job first.

    A user who queued 50 videos is served once, then everyone else who waits goes first.
    """
    last_served = (
        Video.objects.filter(author=OuterRef("author"), transcode_started_at__isnull=False)
        .order_by("-transcode_started_at")
        .values("transcode_started_at")[:1]
    )
    for _ in range(5):  # lose a race to another worker: try the next candidate
        candidate = (
            Video.objects.filter(_claimable())
            .exclude(source_name="")
            .annotate(author_last_served=Subquery(last_served))
            .order_by(F("author_last_served").asc(nulls_first=True), "queued_at", "id")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        claim = transcode_claim(video_id=candidate)
        if claim:
            return claim
    return None


class _ProgressWriter:
    """Throttled progress writes (at most one per second, only when the % changed) + heartbeat."""

    def __init__(self, claim: Claim, *, base: int = 0, span: int = 100):
        self.claim, self.base, self.span = claim, base, span
        self.last_pct, self.last_write = -1, 0.0

    def __call__(self, pct: int) -> None:
        value = min(99, self.base + pct * self.span // 100)
        now = time.monotonic()
        heartbeat_due = now - self.last_write >= HEARTBEAT_EVERY_S
        if (value != self.last_pct and now - self.last_write >= PROGRESS_EVERY_S) or heartbeat_due:
            Video.objects.filter(pk=self.claim.video_id, claim_token=self.claim.token).update(
                progress=value, claimed_at=timezone.now()
            )
            video_cache_invalidate(video_ids=[self.claim.video_id])  # progress is shown
            self.last_pct, self.last_write = value, now


def _validate(result) -> None:
    if result.width < settings.VIDEO_MIN_DIMENSION or result.height < settings.VIDEO_MIN_DIMENSION:
        raise ProbeError(f"The video is too small ({result.width}x{result.height}).")
    if result.width > settings.VIDEO_MAX_DIMENSION or result.height > settings.VIDEO_MAX_DIMENSION:
        raise ProbeError(
            f"The video is too large ({result.width}x{result.height}); the limit is "
            f"{settings.VIDEO_MAX_DIMENSION} pixels a side."
        )
    if result.duration_s <= 0:
        raise ProbeError("The video has no duration.")
    if result.duration_s > settings.VIDEO_MAX_DURATION_S:
        raise ProbeError(f"The video is too long; the limit is {settings.VIDEO_MAX_DURATION_S // 60} minutes.")


def _plan(result, *, ladder: list[int] | None = None) -> ffmpeg.Plan:
    return ffmpeg.plan_ladder(
        width=result.width,
        height=result.height,
        fps=result.fps,
        duration_s=result.duration_s,
        has_audio=result.has_audio,
        ladder=ladder or settings.VIDEO_LADDER,
        bits_per_pixel=settings.VIDEO_BITS_PER_PIXEL,
        segment_s=settings.VIDEO_SEGMENT_SECONDS,
    )


def _renditions(plan: ffmpeg.Plan, prefix: str) -> list[dict]:
    return [
        {
            "name": rung.name,
            "height": rung.height,
            "width": rung.width,
            "bitrate": rung.video_bitrate + (rung.audio_bitrate if plan.has_audio else 0),
            "playlist": f"{prefix}/{rung.name}/index.m3u8",
        }
        for rung in plan.rungs
    ]


def _publish(*, claim: Claim, out_dir: Path, plan: ffmpeg.Plan, final: bool, extras: bool) -> bool:
    """Copy the attempt's outputs to a new generation and switch the row to it (token-checked)."""
    generation = f"g{claim.token[:12]}{'' if final else 'q'}"
    prefix = f"videos/{claim.video_id}/{generation}"
    storage.publish_dir(local_dir=out_dir, prefix=prefix)
    fields = {
        "media_prefix": prefix,
        "renditions": _renditions(plan, prefix),
        "master_playlist": f"{prefix}/master.m3u8",
    }
    if extras:
        fields.update(
            thumbnail=f"{prefix}/poster.jpg",
            preview_sprite=f"{prefix}/sprite.jpg",
            preview_vtt=f"{prefix}/sprite.vtt",
        )
    if final:
        fields.update(
            status=Video.Status.READY,
            progress=100,
            error="",
            ready_at=timezone.now(),
            claimed_at=None,
            claim_token="",
        )
    with transaction.atomic():
        old_prefix, old_thumbnail = Video.objects.filter(pk=claim.video_id).values_list(
            "media_prefix", "thumbnail"
        ).first() or (None, "")
        if is_custom_thumbnail(claim.video_id, old_thumbnail):
            fields.pop("thumbnail", None)  # the creator's own image outlives re-transcodes
        changed = Video.objects.filter(
            pk=claim.video_id, status=Video.Status.PROCESSING, claim_token=claim.token
        ).update(**fields)
        if not changed:
            transaction.on_commit(lambda: storage.delete_prefix(prefix))
            return False
        video_cache_invalidate(video_ids=[claim.video_id])
        if old_prefix and old_prefix != prefix:
            transaction.on_commit(lambda: storage.delete_prefix(old_prefix))
        if final:
            video = Video.objects.get(pk=claim.video_id)
            events.record("video.ready", video_id=video.pk, author_id=video.author_id)
            if video.published_at is None:
                Video.objects.filter(pk=video.pk, published_at__isnull=True).update(published_at=timezone.now())
                video.refresh_from_db(fields=["published_at"])
            video_announce_if_due(video=video)
    return True


def _encode(*, source: Path, out_dir: Path, plan: ffmpeg.Plan, progress, extras: bool) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = ffmpeg.build_command(
        source=str(source),
        out_dir=out_dir,
        plan=plan,
        preset=settings.VIDEO_X264_PRESET,
        threads=settings.VIDEO_FFMPEG_THREADS,
        extras=extras,
    )
    try:
        ffmpeg.run_with_progress(
            cmd, duration_s=plan.duration_s, on_progress=progress, timeout_s=max(1800.0, plan.duration_s * 20)
        )
    except ffmpeg.FfmpegError as exc:
        raise TranscodeRetryableError(f"{exc}: {exc.stderr_tail.strip()[-300:]}") from exc
    if extras:
        ffmpeg.tile_sprite(out_dir, plan)
        # Relative URL: players resolve it against the .vtt's own URL (local media or CDN alike).
        (out_dir / "sprite.vtt").write_text(ffmpeg.sprite_vtt(plan, sprite_url="sprite.jpg"))


def transcode_run(*, claim: Claim) -> str:
    """Do one claimed job to the end. Returns the final status.

    Bad media fails the video at once (no retry); ffmpeg/storage trouble raises
    ``TranscodeRetryableError`` for the task to retry (the claim is released first).
    """
    video = Video.objects.filter(pk=claim.video_id, claim_token=claim.token).first()
    if video is None:
        return "lost"
    if video.transcode_attempts > settings.VIDEO_TRANSCODE_MAX_ATTEMPTS:
        video_mark_failed(video_id=video.pk, error="Transcoding kept failing; please upload again.", token=claim.token)
        return Video.Status.FAILED
    work_root = Path(settings.VIDEO_WORK_DIR) / str(video.pk)
    # Earlier attempts' leftovers: their claims are gone (ours replaced them), so nobody writes there.
    if work_root.exists():
        for stale in work_root.iterdir():
            if stale.name != claim.token:
                shutil.rmtree(stale, ignore_errors=True)
    attempt_dir = work_root / claim.token
    try:
        with storage.local_copy(video.source_name) as source:
            try:
                if not Path(source).is_file():
                    raise ProbeError("The uploaded file is missing.")
                result = probe(str(source))
                _validate(result)
            except ProbeError as exc:
                video_mark_failed(video_id=video.pk, error=str(exc), token=claim.token)
                return Video.Status.FAILED
            Video.objects.filter(pk=video.pk, claim_token=claim.token).update(
                width=result.width, height=result.height, duration_ms=int(result.duration_s * 1000)
            )
            video_cache_invalidate(video_ids=[video.pk])
            plan = _plan(result)
            # A re-transcode keeps serving the previous full ladder until the new one replaces it.
            quick = (
                result.duration_s >= settings.VIDEO_QUICK_PASS_MIN_S
                and len(plan.rungs) > 1
                and not (video.ready_at and video.master_playlist)
            )
            if quick:
                # Lowest rung first so a long video is watchable early; it is ~1/10 of the work.
                low = _plan(result, ladder=[plan.rungs[-1].height])
                _encode(
                    source=source,
                    out_dir=attempt_dir / "quick",
                    plan=low,
                    progress=_ProgressWriter(claim, base=0, span=10),
                    extras=True,
                )
                if not _publish(claim=claim, out_dir=attempt_dir / "quick", plan=low, final=False, extras=True):
                    return "lost"
            _encode(
                source=source,
                out_dir=attempt_dir / "full",
                plan=plan,
                progress=_ProgressWriter(claim, base=10 if quick else 0, span=90 if quick else 100),
                extras=True,
            )
            published = _publish(claim=claim, out_dir=attempt_dir / "full", plan=plan, final=True, extras=True)
            return Video.Status.READY if published else "lost"
    except STORAGE_ERRORS as exc:  # disk full, S3 hiccup: worth another attempt
        Video.objects.filter(pk=video.pk, claim_token=claim.token).update(claimed_at=None, claim_token="")
        raise TranscodeRetryableError(f"storage error: {exc}") from exc
    except TranscodeRetryableError:
        Video.objects.filter(pk=video.pk, claim_token=claim.token).update(claimed_at=None, claim_token="")
        raise
    finally:
        shutil.rmtree(attempt_dir, ignore_errors=True)


def transcodes_reconcile() -> list[int]:
    """Re-drive processing videos nobody is working on: never claimed past the deadline (a lost
    queue message), or claimed but silent (a dead worker). Returns the ids re-queued."""
    now = timezone.now()
    deadline = now - settings.VIDEO_TRANSCODE_DEADLINE
    stale = now - CLAIM_STALE_AFTER
    ids = list(
        Video.objects.filter(status=Video.Status.PROCESSING)
        .exclude(source_name="")
        .filter(Q(claimed_at__isnull=True, queued_at__lt=deadline) | Q(claimed_at__lt=stale))
        .values_list("pk", flat=True)[:200]
    )
    return ids
