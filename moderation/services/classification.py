"""Automatic classification of new and edited content, and what the thresholds decide.

``classify_target(target_type=, target_id=)`` (run by ``moderation.tasks.classify`` after the seams'
events) gathers the target's inputs — its text, its images (a post's attachments, a video's
thumbnail and frames sampled with ffmpeg, an avatar) — runs every registered classifier that takes
each input, stores one ``Signal`` per classifier and input (score, model, version, decision) and
applies the strongest decision:

- ``allow``: nothing happens;
- ``hold``: ``moderation_apply(status="held")`` with the reason (the author is told why; the
  content is hidden from everyone else until a moderator decides) and the signal waits in the queue;
- ``remove``: removed through the owning app, the signal escalated to staff.

Thresholds per classifier: ``settings.MODERATION_THRESHOLDS``. A signal already stored for the same
input is not computed again (a redelivered task, an edit that changed nothing)."""

from __future__ import annotations

import hashlib
import io
import logging
import subprocess
import tempfile
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image, UnidentifiedImageError

from accounts import services as accounts_services
from moderation import classifiers, selectors
from moderation.classifiers.base import IMAGE, TEXT, Item
from moderation.classifiers.text import fingerprint
from moderation.models import Decision, Signal, TargetType
from moderation.services.reports import target_hold, target_remove
from posts import selectors as posts_selectors
from socialflow.core.audit import audit_record
from socialflow.core.moderation import ModerationStatus

logger = logging.getLogger(__name__)

MAX_SIDE = 640  # images are classified at most this big (the detector works at 320)
RANK = {Decision.ALLOW: 0, Decision.HOLD: 1, Decision.REMOVE: 2}
WHY = {
    "nsfw": "possible nudity",
    "toxicity": "possibly abusive language",
    "spam": "possible spam",
    "pdq": "matches a known prohibited image",
    "watched_words": "contains a watched word",
}


@dataclass
class Input:
    key: str  # stable per input: a digest of the text, or the image's storage name (+ frame time)
    label: str
    item: Item
    source: str = ""  # the image's storage name (the console previews it)


# --- inputs ---------------------------------------------------------------------------------------------


def image_array(data: bytes) -> np.ndarray | None:
    """Decode an image (any Pillow format) to RGB, at most MAX_SIDE on its longer side."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            return np.asarray(image)
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def _read(name: str) -> bytes | None:
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def _text_input(text: str, author, target_type: str) -> Input | None:
    text = (text or "").strip()
    if not text:
        return None
    return Input(
        key=hashlib.sha256(text.encode()).hexdigest()[:40],
        label="text",
        item=Item(
            kind=TEXT,
            text=text,
            author_id=getattr(author, "pk", None),
            author_joined=getattr(author, "date_joined", None),
            target_type=target_type,
        ),
    )


def _image_input(key: str, label: str, data: bytes | None, author, target_type: str, source: str = "") -> Input | None:
    array = image_array(data) if data else None
    if array is None:
        return None
    return Input(
        key=hashlib.sha256(key.encode()).hexdigest()[:40],
        label=label,
        source=source,
        item=Item(kind=IMAGE, image=array, author_id=getattr(author, "pk", None), target_type=target_type),
    )


def sample_frames(path: str, *, duration_s: float, count: int) -> list[tuple[float, bytes]]:
    """``count`` PNG frames spread evenly over the video (not the very start or end)."""
    frames = []
    for i in range(count):
        at = duration_s * (i + 1) / (count + 1)
        command = [
            get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-ss", f"{at:.2f}", "-i", path,
            "-frames:v", "1", "-vf", f"scale='min({MAX_SIDE},iw)':-2", "-f", "image2pipe", "-c:v", "png", "-",
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, timeout=60, check=False)
        except subprocess.TimeoutExpired:
            continue
        if done.returncode == 0 and done.stdout:
            frames.append((round(at, 2), done.stdout))
    return frames


def _video_frames(video) -> list[tuple[float, bytes]]:
    count = settings.MODERATION_VIDEO_FRAMES
    if count <= 0 or not video.source_name or not video.duration_ms:
        return []
    duration_s = video.duration_ms / 1000
    try:
        path = default_storage.path(video.source_name)
    except NotImplementedError:  # object storage: a local copy for ffmpeg
        data = _read(video.source_name)
        if data is None:
            return []
        with tempfile.NamedTemporaryFile(suffix=".media") as handle:
            handle.write(data)
            handle.flush()
            return sample_frames(handle.name, duration_s=duration_s, count=count)
    return sample_frames(path, duration_s=duration_s, count=count)


def target_inputs(*, target_type: str, target) -> tuple[object, list[Input]]:
    """The target's author and what to classify."""
    inputs: list[Input | None] = []
    if target_type == TargetType.POST:
        author = target.author
        inputs.append(_text_input(target.text, author, target_type))
        for index, (media_id, name) in enumerate(posts_selectors.post_image_files(post_id=target.pk), 1):
            inputs.append(
                _image_input(f"media:{media_id}:{name}", f"image {index}", _read(name), author, target_type, name)
            )
    elif target_type == TargetType.COMMENT:
        author = target.author
        inputs.append(_text_input(target.text, author, target_type))
    elif target_type == TargetType.CHAT_MESSAGE:
        author = target.user
        inputs.append(_text_input(target.text, author, target_type))
    elif target_type == TargetType.VIDEO:
        author = target.author
        inputs.append(_text_input(f"{target.title}\n{target.description}", author, target_type))
        if target.thumbnail:
            inputs.append(
                _image_input(
                    target.thumbnail, "thumbnail", _read(target.thumbnail), author, target_type, target.thumbnail
                )
            )
        for at, png in _video_frames(target):
            key = f"{target.source_name}@{at}"
            inputs.append(_image_input(key, f"frame at {at:.1f} s", png, author, target_type))
    elif target_type == TargetType.USER:
        author = target
        if target.avatar:
            inputs.append(
                _image_input(
                    f"avatar:{target.avatar.name}",
                    "avatar",
                    _read(target.avatar.name),
                    author,
                    target_type,
                    target.avatar.name,
                )
            )
    else:
        return None, []
    return author, [i for i in inputs if i is not None]


# --- decisions -----------------------------------------------------------------------------------------


def decide(classifier: str, score: float, forced: str | None = None) -> str:
    """The thresholds' decision for a score (a list classifier may force its own)."""
    if forced is not None:
        return forced
    limits = settings.MODERATION_THRESHOLDS.get(classifier)
    if not limits:
        return Decision.ALLOW
    if score >= limits["remove"]:
        return Decision.REMOVE
    if score >= limits["hold"]:
        return Decision.HOLD
    return Decision.ALLOW


def _reason(signal: Signal) -> str:
    verb = "Removed" if signal.decision == Decision.REMOVE else "Held for review"
    return f"{verb}: {WHY.get(signal.classifier, signal.classifier)} (automatic, {signal.input_label}, score {signal.score:.2f})"


def _needs_approval(*, target_type: str, author) -> bool:
    """Optional: a new account's first uploads wait for a moderator."""
    if not settings.MODERATION_APPROVE_NEW_ACCOUNTS or author is None:
        return False
    if target_type not in (TargetType.VIDEO, TargetType.POST):
        return False
    if author.date_joined <= timezone.now() - settings.MODERATION_NEW_ACCOUNT_AGE:
        return False
    earlier = (
        Signal.objects.filter(author=author, target_type__in=[TargetType.VIDEO, TargetType.POST])
        .values("target_type", "target_id")
        .distinct()
        .count()
    )
    return earlier <= settings.MODERATION_APPROVE_FIRST_UPLOADS


def _store(*, target_type: str, target, author, source: Input, classifier, result, elapsed_ms: float) -> Signal | None:
    decision = decide(classifier.name, result.score, result.decision)
    try:
        with transaction.atomic():
            return Signal.objects.create(
                target_type=target_type,
                target_content_type=ContentType.objects.get_for_model(target),
                target_id=target.pk,
                author=author,
                classifier=classifier.name,
                model=classifier.model,
                version=str(classifier.version),
                input_key=source.key,
                input_label=source.label,
                excerpt=source.item.text[:500] if source.item.kind == TEXT else "",
                fingerprint=fingerprint(source.item.text) if classifier.name == "spam" else "",
                score=result.score,
                label=result.label[:64],
                details={**result.details, "source": source.source} if source.source else result.details,
                decision=decision,
                review=Signal.Review.NONE if decision == Decision.ALLOW else Signal.Review.PENDING,
                escalated=decision == Decision.REMOVE,
                elapsed_ms=round(elapsed_ms, 3),
            )
    except IntegrityError:
        return None  # another run stored it first


def classify_target(*, target_type: str, target_id: int) -> list[Signal]:
    """Classify what is new about a target and act on the strongest decision. Returns the signals
    stored by this call (none when the target is gone or everything was classified before)."""
    target = selectors.target_get(target_type=target_type, target_id=target_id)
    if target is None or getattr(target, "deleted_at", None) is not None:
        return []
    author, inputs = target_inputs(target_type=target_type, target=target)
    done = set(
        Signal.objects.filter(target_type=target_type, target_id=target.pk).values_list("classifier", "input_key")
    )
    stored: list[Signal] = []
    for source in inputs:
        for classifier in classifiers.for_item(source.item):
            if (classifier.name, source.key) in done:
                continue
            started = time.perf_counter()
            result = classifier.classify(source.item)
            elapsed_ms = (time.perf_counter() - started) * 1000
            signal = _store(
                target_type=target_type,
                target=target,
                author=author,
                source=source,
                classifier=classifier,
                result=result,
                elapsed_ms=elapsed_ms,
            )
            if signal is not None:
                stored.append(signal)
    if stored:
        _act(target_type=target_type, target=target, author=author, signals=stored)
    return stored


def _act(*, target_type: str, target, author, signals: list[Signal]) -> None:
    worst = max(signals, key=lambda s: (RANK[s.decision], s.score))
    if worst.decision == Decision.ALLOW and _needs_approval(target_type=target_type, author=author):
        worst.decision = Decision.HOLD
        worst.review = Signal.Review.PENDING
        worst.details = {**worst.details, "new_account_approval": True}
        worst.save(update_fields=["decision", "review", "details"])
        reason = "Held for review: a new account's first uploads are checked by a moderator"
    else:
        reason = _reason(worst)
    if worst.decision == Decision.ALLOW:
        return
    status = getattr(target, "moderation_status", ModerationStatus.VISIBLE)
    if status == ModerationStatus.REMOVED or (status == ModerationStatus.HELD and worst.decision == Decision.HOLD):
        return  # a moderator (or an earlier decision) already went at least as far: never undo it
    with transaction.atomic():
        if target_type == TargetType.USER:
            # An avatar cannot be hidden: held ones wait in the queue; removed ones are taken off.
            if worst.decision == Decision.REMOVE and target.avatar:
                accounts_services.user_profile_update(user=target, avatar=None)
                audit_record(actor=None, action="user.avatar_removed", target=target, reason=reason)
        elif worst.decision == Decision.HOLD:
            target_hold(target_type=target_type, target=target, by=None, reason=reason)
        else:
            target_remove(target_type=target_type, target=target, by=None, reason=reason)
    logger.info(
        "automatic moderation",
        extra={"target_type": target_type, "target_id": target.pk, "decision": worst.decision, "signal": worst.pk},
    )
