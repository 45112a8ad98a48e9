"""Every write of the copyright domain: rights holders, references and their fingerprints,
matching uploads, claims and the dispute workflow. Views, tasks, handlers and admin actions call
these; they raise ``socialflow.core.exceptions``.
"""

import os
import uuid
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from copyright import index as matching_index
from copyright.lib import fingerprint as fp
from copyright.lib import matching
from copyright.models import EFFECTIVE, Claim, Fingerprint, Match, Policy, Reference, RightsHolder
from socialflow.core import events
from socialflow.core.audit import audit_record
from socialflow.core.exceptions import Conflict, InvalidInput, PermissionDenied
from socialflow.reliability.queue import enqueue_on_commit
from videos import selectors as videos_selectors
from videos import services as videos_services

REFERENCE_EXTENSIONS = {".mp3", ".m4a", ".aac", ".wav", ".flac", ".ogg", ".opus", ".mp4", ".mov", ".mkv", ".webm"}


# --- rights holders ------------------------------------------------------------------------------


def rights_holder_grant(*, user, name: str, by) -> RightsHolder:
    holder, created = RightsHolder.objects.get_or_create(
        user=user, defaults={"name": name or user.username, "granted_by": by}
    )
    if created:
        audit_record(actor=by, action="copyright.grant", target=holder, metadata={"user_id": user.pk})
    return holder


def _require_rights_holder(user) -> RightsHolder:
    holder = RightsHolder.objects.filter(user_id=getattr(user, "pk", None)).first()
    if holder is None:
        raise PermissionDenied(
            "Only rights holders can do this: ask staff for the capability.", code="not_rights_holder"
        )
    return holder


def parse_territories(values) -> str:
    """ISO 3166-1 alpha-2 codes (a list or a comma-separated string) → the stored ",DE,FR," form."""
    if values is None or values == "":
        return ""
    if isinstance(values, str):
        values = values.split(",")
    codes = sorted({str(v).strip().upper() for v in values if str(v).strip()})
    bad = [c for c in codes if not (len(c) == 2 and c.isascii() and c.isalpha())]
    if bad:
        raise InvalidInput(errors={"territories": [f"Not a two-letter country code: {', '.join(bad)}."]})
    return f",{','.join(codes)}," if codes else ""


# --- references ----------------------------------------------------------------------------------


def reference_create(*, owner, title: str, policy: str, territories=None, media) -> Reference:
    """A rights holder registers a work from an uploaded audio or video file; fingerprinted by Celery."""
    _require_rights_holder(owner)
    title = (title or "").strip()
    if not title:
        raise InvalidInput(errors={"title": ["A title is required."]})
    if policy not in Policy.values:
        raise InvalidInput(errors={"policy": [f"One of {', '.join(Policy.values)}."]})
    stored_territories = parse_territories(territories)
    extension = Path(getattr(media, "name", "") or "").suffix.lower()
    if extension not in REFERENCE_EXTENSIONS:
        raise InvalidInput(errors={"media": [f"An audio or video file ({', '.join(sorted(REFERENCE_EXTENSIONS))})."]})
    if (media.size or 0) > settings.COPYRIGHT_REFERENCE_MAX_BYTES:
        raise InvalidInput(errors={"media": ["The file is too large."]})
    name = default_storage.save(f"copyright/references/{uuid.uuid4().hex}{extension}", media)
    with transaction.atomic():
        reference = Reference.objects.create(
            owner=owner, title=title[:200], policy=policy, territories=stored_territories, source_name=name
        )
        enqueue_on_commit("copyright.tasks.fingerprint_reference", reference.pk)
    return reference


def _store_fingerprints(*, reference=None, video=None, prints: fp.Fingerprints) -> None:
    owner = {"reference": reference} if reference is not None else {"video": video}
    for kind, values, algorithm in (
        (Fingerprint.Kind.AUDIO, prints.audio.astype("<u4"), fp.AUDIO_ALGORITHM),
        (Fingerprint.Kind.PICTURE, prints.frames.astype("<u8"), fp.PICTURE_ALGORITHM),
    ):
        Fingerprint.objects.filter(kind=kind, **owner).delete()
        if len(values):
            Fingerprint.objects.create(
                kind=kind, algorithm=algorithm, items=len(values), data=values.tobytes(), **owner
            )


def reference_fingerprint(*, reference_id: int) -> Reference | None:
    """Compute (or re-compute) a reference's fingerprints from its media; ready when it has any."""
    reference = Reference.objects.filter(pk=reference_id).first()
    if reference is None or not reference.source_name:
        return None
    from_path = default_storage.path(reference.source_name) if _local_storage() else None
    try:
        if from_path is not None:
            prints = fp.fingerprint_file(Path(from_path))
        else:
            prints = _fingerprint_remote(reference.source_name)
    except fp.FingerprintError as exc:
        Reference.objects.filter(pk=reference.pk).update(status=Reference.Status.FAILED, error=str(exc)[:500])
        reference.refresh_from_db()
        return reference
    with transaction.atomic():
        _store_fingerprints(reference=reference, prints=prints)
        ok = len(prints.audio) > 0 or len(prints.frames) > 0
        reference.status = Reference.Status.READY if ok else Reference.Status.FAILED
        reference.error = "" if ok else "No audio or pictures could be read from the file."
        reference.duration_ms = prints.duration_ms
        reference.save(update_fields=["status", "error", "duration_ms", "updated_at"])
    return reference


def _local_storage() -> bool:
    try:
        default_storage.path("x")
    except NotImplementedError:
        return False
    return True


def _fingerprint_remote(name: str) -> fp.Fingerprints:
    settings.VIDEO_WORK_DIR.mkdir(parents=True, exist_ok=True)
    local = Path(settings.VIDEO_WORK_DIR) / f"ref-{uuid.uuid4().hex}{Path(name).suffix}"
    try:
        with default_storage.open(name, "rb") as src, open(local, "wb") as out:
            for chunk in iter(lambda: src.read(8 * 1024 * 1024), b""):
                out.write(chunk)
        return fp.fingerprint_file(local)
    finally:
        local.unlink(missing_ok=True)


def references_refingerprint(*, references) -> int:
    """Queue re-computation (a new algorithm version, a failed run)."""
    count = 0
    for reference in references:
        Reference.objects.filter(pk=reference.pk).update(status=Reference.Status.PENDING, error="")
        enqueue_on_commit("copyright.tasks.fingerprint_reference", reference.pk)
        count += 1
    return count


def reference_delete_media(*, reference: Reference) -> None:
    if reference.source_name:
        default_storage.delete(reference.source_name)


# --- videos: fingerprint and match ---------------------------------------------------------------


def video_queue_fingerprint(*, video_id: int) -> None:
    enqueue_on_commit("copyright.tasks.fingerprint_video", video_id)


def video_fingerprint(*, video_id: int) -> list[Match]:
    """Fingerprint an uploaded video's original and match it against the reference library."""
    video = videos_selectors.video_for_event(video_id=video_id)
    if video is None:
        return []
    with videos_selectors.video_source_local_copy(video=video) as path:
        if path is None or not os.path.exists(path):
            return []
        prints = fp.fingerprint_file(Path(path))
    with transaction.atomic():
        _store_fingerprints(video=video, prints=prints)
    return video_match(video=video, audio=prints.audio, frames=prints.frames, duration_ms=prints.duration_ms)


def video_match(*, video, audio: np.ndarray, frames: np.ndarray, duration_ms: int | None = None) -> list[Match]:
    found = matching.match(matching_index.current(), audio=audio, frames=frames, thresholds=matching_index.thresholds())
    duration_ms = duration_ms or video.duration_ms or 0
    recorded = []
    for result in found:
        recorded.append(_record_match(video=video, result=result, video_duration_ms=duration_ms))
    return recorded


def _record_match(*, video, result: matching.Match, video_duration_ms: int) -> Match:
    values = {
        "kind": result.kind,
        "video_start_ms": int(round(result.query_start * 1000)),
        "reference_start_ms": int(round(result.reference_start * 1000)),
        "duration_ms": int(round(result.duration * 1000)),
        "confidence": round(result.confidence, 4),
        "score": round(result.score, 4),
    }
    with transaction.atomic():
        match, _ = Match.objects.get_or_create(video=video, reference_id=result.reference_id, defaults=values)
        match = Match.objects.select_for_update().get(pk=match.pk)
        if match.status == Match.Status.REVIEW:
            for field, value in values.items():
                setattr(match, field, value)
            claimable = (
                result.duration >= settings.COPYRIGHT_CLAIM_MIN_SECONDS
                and result.confidence >= settings.COPYRIGHT_CLAIM_MIN_CONFIDENCE
            )
            if claimable:
                _claim_from_match(match=match, video=video, video_duration_ms=video_duration_ms)
                match.status = Match.Status.CLAIMED
            match.save()
    return match


def _claim_from_match(*, match: Match, video, video_duration_ms: int, by=None) -> Claim | None:
    reference = match.reference
    reupload = bool(video_duration_ms) and match.duration_ms >= settings.COPYRIGHT_REUPLOAD_RATIO * video_duration_ms
    return _claim_create(
        video=video,
        reference=reference,
        claimant_id=reference.owner_id,
        source=Claim.Source.MATCH,
        policy=reference.policy,
        territories=reference.territories,
        video_start_ms=match.video_start_ms,
        reference_start_ms=match.reference_start_ms,
        duration_ms=match.duration_ms,
        confidence=match.confidence,
        is_reupload=reupload,
        actor=by,
    )


def _claim_create(*, video, reference, claimant_id, actor=None, **fields) -> Claim | None:
    """One claim per (video, reference): a racing second matcher finds the first one's row."""
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                video=video, reference=reference, claimant_id=claimant_id, uploader_id=video.author_id, **fields
            )
    except IntegrityError:
        return None
    videos_services.video_cache_invalidate(video_ids=[video.pk])  # a block may hide it now
    events.record(
        "copyright.claim_created",
        claim_id=claim.pk,
        video_id=video.pk,
        uploader_id=video.author_id,
        claimant_id=claimant_id,
        policy=claim.policy,
        source=claim.source,
    )
    if actor is not None:
        audit_record(actor=actor, action="copyright.claim", target=claim, metadata={"source": claim.source})
    return claim


def matches_claim(*, matches, by) -> int:
    """Staff turn matches waiting for review into claims (the admin's review queue)."""
    count = 0
    for match in matches:
        with transaction.atomic():
            match = Match.objects.select_for_update().select_related("reference").get(pk=match.pk)
            if match.status != Match.Status.REVIEW:
                continue
            video = videos_selectors.video_for_event(video_id=match.video_id)
            if video is None:
                continue
            _claim_from_match(match=match, video=video, video_duration_ms=video.duration_ms or 0, by=by)
            match.status = Match.Status.CLAIMED
            match.save(update_fields=["status", "updated_at"])
            count += 1
    return count


def matches_dismiss(*, matches, by) -> int:
    count = 0
    for match in matches:
        with transaction.atomic():
            updated = Match.objects.filter(pk=match.pk, status=Match.Status.REVIEW).update(
                status=Match.Status.DISMISSED
            )
            if updated:
                audit_record(actor=by, action="copyright.match_dismiss", target=match)
                count += updated
    return count


# --- manual claims and takedowns -----------------------------------------------------------------


def claim_manual(*, claimant, video_id, reference_id=None, start_s=None, end_s=None, notice: str = "") -> Claim:
    """A rights holder claims a video by hand: with a reference (its policy) or as a takedown notice
    (no reference: the video is blocked everywhere)."""
    _require_rights_holder(claimant)
    notice = (notice or "").strip()
    if not notice:
        raise InvalidInput(errors={"notice": ["Say what is infringed and why (the notice)."]})
    video = videos_selectors.video_for_event(video_id=video_id)
    if video is None or not videos_selectors.video_can_view(video=video, viewer=claimant):
        raise InvalidInput(errors={"video": ["No such video."]})
    if video.author_id == claimant.pk:
        raise InvalidInput(errors={"video": ["You cannot claim your own video."]})
    reference = None
    if reference_id is not None:
        reference = Reference.objects.filter(pk=reference_id, owner=claimant).first()
        if reference is None:
            raise InvalidInput(errors={"reference": ["No such reference of yours."]})
    duration_ms = video.duration_ms or 0
    start_ms = int(round((start_s or 0) * 1000))
    end_ms = int(round(end_s * 1000)) if end_s is not None else duration_ms
    if start_ms < 0 or end_ms < start_ms or (duration_ms and end_ms > duration_ms + 1000):
        raise InvalidInput(errors={"timestamps": ["start ≤ end, within the video."]})
    fields = {
        "source": Claim.Source.MANUAL if reference else Claim.Source.TAKEDOWN,
        "policy": reference.policy if reference else Policy.BLOCK,
        "territories": reference.territories if reference else "",
        "video_start_ms": start_ms,
        "duration_ms": end_ms - start_ms,
        "notice": notice[:5000],
        "is_reupload": bool(duration_ms) and (end_ms - start_ms) >= settings.COPYRIGHT_REUPLOAD_RATIO * duration_ms,
    }
    with transaction.atomic():
        claim = _claim_create(video=video, reference=reference, claimant_id=claimant.pk, actor=claimant, **fields)
    if claim is None:
        raise Conflict("This reference already has a claim on this video.", code="already_claimed")
    return claim


# --- the dispute workflow ------------------------------------------------------------------------


def _transition(*, claim: Claim, actor, to: str, allowed_from, action: str, reason: str = "", **changes) -> Claim:
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status not in allowed_from:
            raise Conflict(
                f"The claim is {locked.get_status_display().lower()}: this cannot be done now.", code="bad_state"
            )
        previous = locked.status
        locked.status = to
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.save()
        videos_services.video_cache_invalidate(video_ids=[locked.video_id])  # a block may start or end
        audit_record(
            actor=actor,
            action=f"copyright.{action}",
            target=locked,
            reason=reason,
            metadata={"from": previous, "to": to},
        )
        events.record(
            "copyright.claim_updated",
            claim_id=locked.pk,
            video_id=locked.video_id,
            uploader_id=locked.uploader_id,
            claimant_id=locked.claimant_id,
            status=to,
            actor_id=getattr(actor, "pk", None),
        )
        if to == Claim.Status.UPHELD and locked.source == Claim.Source.TAKEDOWN and not locked.strike_recorded:
            _strike(claim=locked, actor=actor)
    return locked


def _strike(*, claim: Claim, actor) -> None:
    entry = audit_record(
        actor=actor,
        action="copyright.strike",
        target=claim,
        reason="Takedown upheld",
        metadata={"user_id": claim.uploader_id},
    )
    Claim.objects.filter(pk=claim.pk).update(strike_recorded=True)
    claim.strike_recorded = True
    events.record(
        "copyright.strike", claim_id=claim.pk, video_id=claim.video_id, user_id=claim.uploader_id, audit_id=entry.pk
    )


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(errors={field: ["A reason is required."]})
    return reason[:5000]


def claim_dispute(*, claim: Claim, user, reason: str) -> Claim:
    if claim.uploader_id != user.pk:
        raise PermissionDenied("Only the uploader can dispute this claim.")
    reason = _reason(reason)
    deadline = timezone.now() + timedelta(days=settings.COPYRIGHT_DISPUTE_RESPONSE_DAYS)
    return _transition(
        claim=claim, actor=user, to=Claim.Status.DISPUTED, allowed_from=(Claim.Status.ACTIVE,), action="dispute",
        reason=reason, dispute_reason=reason, respond_by=deadline,
    )  # fmt: skip


def claim_release(*, claim: Claim, user) -> Claim:
    if claim.claimant_id != user.pk:
        raise PermissionDenied("Only the claimant can release this claim.")
    return _transition(
        claim=claim, actor=user, to=Claim.Status.RELEASED,
        allowed_from=(Claim.Status.ACTIVE, Claim.Status.DISPUTED, Claim.Status.UPHELD), action="release", respond_by=None,
    )  # fmt: skip


def claim_uphold(*, claim: Claim, user) -> Claim:
    if claim.claimant_id != user.pk:
        raise PermissionDenied("Only the claimant can uphold this claim.")
    if claim.respond_by is not None and claim.respond_by <= timezone.now():
        raise Conflict("The deadline to answer this dispute has passed.", code="deadline_passed")
    return _transition(
        claim=claim, actor=user, to=Claim.Status.UPHELD, allowed_from=(Claim.Status.DISPUTED,), action="uphold",
        respond_by=None,
    )  # fmt: skip


def claim_appeal(*, claim: Claim, user, reason: str) -> Claim:
    if claim.uploader_id != user.pk:
        raise PermissionDenied("Only the uploader can appeal this claim.")
    if claim.appeal_decided:
        raise Conflict("Staff already decided the appeal of this claim.", code="appeal_decided")
    reason = _reason(reason)
    return _transition(
        claim=claim, actor=user, to=Claim.Status.APPEALED, allowed_from=(Claim.Status.UPHELD,), action="appeal",
        reason=reason, appeal_reason=reason,
    )  # fmt: skip


def claim_decide_appeal(*, claim: Claim, staff, grant: bool, note: str = "") -> Claim:
    """Staff's final word on an appeal (the admin): grant → released; reject → upheld for good."""
    if not getattr(staff, "is_staff", False):
        raise PermissionDenied("Only staff decide appeals.")
    return _transition(
        claim=claim, actor=staff, to=Claim.Status.RELEASED if grant else Claim.Status.UPHELD,
        allowed_from=(Claim.Status.APPEALED,), action="appeal_granted" if grant else "appeal_rejected",
        reason=note, decision_note=(note or "")[:5000], appeal_decided=True,
    )  # fmt: skip


def claims_release_by_staff(*, claims, staff, note: str = "") -> int:
    count = 0
    for claim in claims:
        if claim.status in EFFECTIVE:
            _transition(
                claim=claim, actor=staff, to=Claim.Status.RELEASED, allowed_from=EFFECTIVE, action="staff_release",
                reason=note, respond_by=None,
            )  # fmt: skip
            count += 1
    return count


def claims_expire_disputes(*, now=None) -> int:
    """Release every disputed claim whose claimant let the deadline pass (beat, hourly)."""
    now = now or timezone.now()
    count = 0
    for claim in Claim.objects.filter(status=Claim.Status.DISPUTED, respond_by__lte=now).order_by("pk")[:1000]:
        try:
            _transition(
                claim=claim, actor=None, to=Claim.Status.RELEASED, allowed_from=(Claim.Status.DISPUTED,),
                action="dispute_expired", reason="The claimant did not answer the dispute in time.", respond_by=None,
            )  # fmt: skip
        except Conflict:
            continue
        count += 1
    return count
