"""The classification pipeline: signals stored per classifier and input, threshold decisions
(allow / hold / remove + escalate), the seams' events, redelivery, new-account approval."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services as accounts_services
from accounts.tests.factories import UserFactory
from live import services as live_services
from live.tests.factories import StreamFactory
from moderation import classifiers, services
from moderation.classifiers import pdq, toxicity
from moderation.models import Decision, HashEntry, Signal, WatchedWord
from moderation.tests.images import as_array, png_bytes, shapes
from posts import services as posts_services
from posts.models import Post
from posts.tests.factories import PostFactory
from socialflow.core.models import AuditEntry
from socialflow.core.moderation import ModerationStatus, moderation_apply
from videos.lib.ffmpeg import make_test_clip
from videos.models import Comment
from videos.tests.factories import CommentFactory, VideoFactory

pytestmark = pytest.mark.django_db


class Allowed:
    allowed, retry_after_s = True, 0


@pytest.fixture
def auto(settings):
    settings.MODERATION_AUTO_CLASSIFY = True
    return settings


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service call's after-commit work (events → handlers → the eager classify task), like
    a real request."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _image_post(author, image, text=""):
    media = posts_services.media_create(
        owner=author, upload=SimpleUploadedFile("x.png", png_bytes(image), content_type="image/png")
    )
    return posts_services.post_create(author=author, text=text, media_ids=[media.pk])


def test_a_benign_image_post_is_allowed_and_every_score_is_stored(auto, committed):
    author = UserFactory(date_joined=timezone.now() - timedelta(days=30))
    runs = classifiers.get("nsfw").runs
    with committed():  # post.created → moderation's handler → the classify task
        post = _image_post(author, shapes(seed=1), text="Shapes I drew this morning")
    signals = {s.classifier: s for s in Signal.objects.filter(target_type="post", target_id=post.pk)}
    assert set(signals) == {"nsfw", "pdq", "spam", "toxicity", "watched_words"}
    assert classifiers.get("nsfw").runs == runs + 1  # the real model ran on the image
    nsfw = signals["nsfw"]
    assert (nsfw.model, nsfw.version, nsfw.input_label) == ("nudenet-320n", "3.4.2", "image 1")
    assert nsfw.score < 0.3 and nsfw.decision == Decision.ALLOW and nsfw.elapsed_ms > 0
    assert nsfw.details["source"].startswith("posts/media/")
    assert signals["toxicity"].model == "alt-profanity-check" and signals["toxicity"].version == "1.9.1"
    assert signals["spam"].excerpt == "Shapes I drew this morning" and signals["spam"].fingerprint
    assert all(s.decision == Decision.ALLOW and s.review == Signal.Review.NONE for s in signals.values())
    post.refresh_from_db()
    assert post.moderation_status == ModerationStatus.VISIBLE


def test_a_redelivered_task_stores_and_decides_nothing_twice(auto):
    post = PostFactory(text="hello there")
    assert len(services.classify_target(target_type="post", target_id=post.pk)) == 3
    assert services.classify_target(target_type="post", target_id=post.pk) == []
    assert Signal.objects.filter(target_id=post.pk).count() == 3


def test_an_edit_is_classified_again_and_abuse_is_held_with_the_reason(auto, committed):
    author = UserFactory()
    with committed():
        post = posts_services.post_create(author=author, text="Nice weather today")
    with committed():
        posts_services.post_update(post=post, text="you are a f***ing idiot")
    post.refresh_from_db()
    assert post.moderation_status == ModerationStatus.HELD
    assert post.moderation_reason.startswith("Held for review: possibly abusive language (automatic, text, score")
    held = Signal.objects.get(target_id=post.pk, classifier="toxicity", decision=Decision.HOLD)
    assert held.review == Signal.Review.PENDING and not held.escalated
    entry = AuditEntry.objects.get(action="post.held")
    assert entry.actor is None and entry.target_id == str(post.pk)


@pytest.mark.parametrize(
    ("score", "expected"),
    [(0.1, Decision.ALLOW), (0.85, Decision.HOLD), (0.97, Decision.HOLD), (0.99, Decision.REMOVE)],
)
def test_thresholds_decide(score, expected, settings):
    settings.MODERATION_THRESHOLDS = {**settings.MODERATION_THRESHOLDS, "toxicity": {"hold": 0.85, "remove": 0.98}}
    assert services.decide("toxicity", score) == expected


def test_thresholds_come_from_settings(auto):
    auto.MODERATION_THRESHOLDS = {**auto.MODERATION_THRESHOLDS, "toxicity": {"hold": 0.2, "remove": 0.3}}
    comment = CommentFactory(text="this is crap")
    services.classify_target(target_type="comment", target_id=comment.pk)
    # removal by the system deletes a comment (its follow-up), the signal stays, escalated
    signal = Signal.objects.get(target_type="comment", target_id=comment.pk, classifier="toxicity")
    assert signal.decision == Decision.REMOVE and signal.escalated
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert AuditEntry.objects.filter(action="comment.removed", actor=None).exists()


def test_a_watched_word_removes_and_escalates(auto):
    WatchedWord.objects.create(phrase="grift coin", action="remove")
    toxicity.watched_words_changed()
    post = PostFactory(text="Everyone buy GR1FT COIN")
    services.classify_target(target_type="post", target_id=post.pk)
    post.refresh_from_db()
    assert post.moderation_status == ModerationStatus.REMOVED
    signal = Signal.objects.get(target_id=post.pk, classifier="watched_words")
    assert signal.decision == Decision.REMOVE and signal.escalated and signal.label == "grift coin"


def test_a_hash_list_match_removes_the_post_and_escalates(auto, committed):
    image = shapes(seed=11)
    HashEntry.objects.create(pdq=pdq.pdq_hex(as_array(image))[0], description="known bad")
    pdq.hash_list_changed()
    with committed():
        post = _image_post(UserFactory(), image)
    post.refresh_from_db()
    assert post.moderation_status == ModerationStatus.REMOVED
    assert "matches a known prohibited image" in post.moderation_reason
    signal = Signal.objects.get(target_id=post.pk, classifier="pdq")
    assert signal.score == 1.0 and signal.escalated and signal.review == Signal.Review.PENDING


def test_a_spam_campaign_is_held(auto, committed):
    auto.MODERATION_SPAM_DUPLICATE_ACCOUNTS = 3
    posts = []
    for i in range(3):
        with committed():
            posts.append(
                posts_services.post_create(author=UserFactory(), text=f"Good morning friends, see you soon {i}")
            )
    last = Post.objects.get(pk=posts[-1].pk)
    assert last.moderation_status == ModerationStatus.HELD
    assert Signal.objects.get(target_id=last.pk, classifier="spam").label == "duplicate"
    assert Post.objects.get(pk=posts[0].pk).moderation_status == ModerationStatus.VISIBLE


def test_a_chat_flood_is_screened_through_the_seam(auto, committed, monkeypatch):
    auto.MODERATION_SPAM_RATE_LIMIT = 3
    user, stream = UserFactory(), StreamFactory(status="live")
    monkeypatch.setattr("live.services.chat.chat_rate_limit_hit", lambda **kw: Allowed())
    messages = []
    for i in range(5):
        with committed():  # socialflow.core.screening → moderation's receiver → the classify task
            messages.append(live_services.chat_message_send(stream_id=stream.pk, user=user, text=f"hey {i}"))
    assert Signal.objects.filter(target_type="chat_message", classifier="spam").count() == 5
    last = Signal.objects.get(target_type="chat_message", target_id=messages[-1].pk, classifier="spam")
    assert last.details["rules"]["rate"] >= 0.75


def test_avatars_are_classified(auto, committed):
    user = UserFactory()
    upload = SimpleUploadedFile("a.png", png_bytes(shapes(seed=4, width=200, height=200)), content_type="image/png")
    with committed():
        accounts_services.user_profile_update(user=user, avatar=upload)
    signal = Signal.objects.get(target_type="user", target_id=user.pk, classifier="nsfw")
    assert signal.input_label == "avatar" and signal.decision == Decision.ALLOW


def test_a_ready_video_has_its_thumbnail_and_sampled_frames_classified(auto, tmp_path):
    auto.MODERATION_VIDEO_FRAMES = 2
    clip = make_test_clip(tmp_path / "clip.mp4", seconds=2, audio=False)
    video = VideoFactory(duration_ms=2000, title="Test pattern", description="A generated clip")
    video.source_name = default_storage.save(f"videos/src/{video.pk}.mp4", ContentFile(clip.read_bytes()))
    video.thumbnail = default_storage.save(f"videos/{video.pk}/thumb.png", ContentFile(png_bytes(shapes(seed=6))))
    video.save(update_fields=["source_name", "thumbnail"])
    services.classify_target(target_type="video", target_id=video.pk)
    labels = set(
        Signal.objects.filter(target_type="video", target_id=video.pk, classifier="nsfw").values_list(
            "input_label", flat=True
        )
    )
    assert labels == {"thumbnail", "frame at 0.7 s", "frame at 1.3 s"}
    video.refresh_from_db()
    assert video.moderation_status == ModerationStatus.VISIBLE


def test_new_accounts_first_uploads_wait_for_approval_when_enabled(auto, committed):
    auto.MODERATION_APPROVE_NEW_ACCOUNTS = True
    newcomer = UserFactory(date_joined=timezone.now())
    with committed():
        post = posts_services.post_create(author=newcomer, text="my first post")
    post.refresh_from_db()
    assert post.moderation_status == ModerationStatus.HELD
    assert "first uploads" in post.moderation_reason
    veteran = UserFactory(date_joined=timezone.now() - timedelta(days=100))
    with committed():
        other = posts_services.post_create(author=veteran, text="my first post")
    other.refresh_from_db()
    assert other.moderation_status == ModerationStatus.VISIBLE


def test_nothing_is_queued_when_auto_classify_is_off(settings):
    settings.MODERATION_AUTO_CLASSIFY = False
    posts_services.post_create(author=UserFactory(), text="f*** this")
    assert not Signal.objects.exists()


def test_an_automatic_hold_never_undoes_a_moderators_removal(auto):
    post = PostFactory(text="fine words")
    moderation_apply(actor=None, target=post, status="removed", reason="a moderator removed it")
    Post.objects.filter(pk=post.pk).update(text="you are a f***ing idiot")
    services.classify_target(target_type="post", target_id=post.pk)
    post.refresh_from_db()
    assert post.moderation_status == ModerationStatus.REMOVED
    assert post.moderation_reason == "a moderator removed it"
    assert Signal.objects.filter(target_id=post.pk, classifier="toxicity", decision=Decision.HOLD).exists()
