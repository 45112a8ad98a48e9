"""References, matching on video.ready, claims and their policies, the dispute workflow."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from copyright import selectors, services, tasks
from copyright.models import Claim, Match, Policy, Reference
from copyright.tests.conftest import upload, video_with_source
from notifications.models import Notification
from socialflow.core import access, events, revenue, territory
from socialflow.core.exceptions import Conflict, PermissionDenied
from socialflow.core.models import AuditEntry, Event
from socialflow.core.money import Money
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def _reference(holder, clip, *, policy=Policy.BLOCK, territories=None, capture):
    with capture(execute=True):
        reference = services.reference_create(
            owner=holder, title="Song", policy=policy, territories=territories, media=upload(clip)
        )
    reference.refresh_from_db()
    assert reference.status == Reference.Status.READY, reference.error
    return reference


def _ready(video, capture):
    with capture(execute=True):
        events.record("video.ready", video_id=video.pk, author_id=video.author_id)


def test_a_copy_is_claimed_at_the_right_offset_and_both_parties_hear(holder, clips, django_capture_on_commit_callbacks):
    reference = _reference(holder, clips["song"], policy=Policy.TRACK, capture=django_capture_on_commit_callbacks)
    video = video_with_source(clips["copy"], duration_ms=12_000)
    _ready(video, django_capture_on_commit_callbacks)

    claim = Claim.objects.get()
    assert (claim.video_id, claim.reference_id, claim.claimant_id, claim.uploader_id) == (
        video.pk, reference.pk, holder.pk, video.author_id,
    )  # fmt: skip
    assert claim.source == Claim.Source.MATCH and claim.status == Claim.Status.ACTIVE
    assert abs(claim.reference_start_ms - 6_000) <= 500
    assert claim.video_start_ms <= 500
    assert claim.duration_ms >= 9_000 and claim.confidence >= 0.8
    assert claim.is_reupload is False or claim.duration_ms >= 0.9 * 12_000
    assert Match.objects.get().status == Match.Status.CLAIMED
    assert Notification.objects.filter(recipient=video.author, kind="copyright_claim").count() == 1
    assert Notification.objects.filter(recipient=holder, kind="copyright_claim").count() == 1


def test_other_music_is_not_claimed(holder, clips, django_capture_on_commit_callbacks):
    _reference(holder, clips["song"], capture=django_capture_on_commit_callbacks)
    _ready(video_with_source(clips["unrelated"]), django_capture_on_commit_callbacks)
    assert not Claim.objects.exists() and not Match.objects.exists()


def test_the_same_pictures_over_other_audio_are_claimed(holder, clips, django_capture_on_commit_callbacks):
    reference = _reference(holder, clips["film"], capture=django_capture_on_commit_callbacks)
    _ready(video_with_source(clips["repicture"], duration_ms=12_000), django_capture_on_commit_callbacks)
    claim = Claim.objects.get()
    assert claim.reference_id == reference.pk
    assert Match.objects.get().kind == "picture"
    assert abs(claim.reference_start_ms - 3_000) <= 1_000
    assert claim.is_reupload  # the whole 12 s upload is the film's pictures


def test_one_claim_per_video_and_reference_however_often_it_is_matched(
    holder, clips, django_capture_on_commit_callbacks
):
    _reference(holder, clips["song"], capture=django_capture_on_commit_callbacks)
    video = video_with_source(clips["copy"])
    for _ in range(3):  # a re-delivered task, a second matcher
        with django_capture_on_commit_callbacks(execute=True):
            tasks.fingerprint_video(video.pk)
    assert Claim.objects.count() == 1 and Match.objects.count() == 1
    assert Event.objects.filter(name="copyright.claim_created").count() == 1
    # The database has the last word when two matchers race past their reads.
    match = Match.objects.get()
    assert services._claim_from_match(match=match, video=video, video_duration_ms=12_000) is None


def test_below_the_bar_a_match_waits_for_review_and_staff_can_claim_it(
    holder, clips, settings, django_capture_on_commit_callbacks
):
    settings.COPYRIGHT_CLAIM_MIN_SECONDS = 60  # the copy is 12 s: below the bar
    _reference(holder, clips["song"], capture=django_capture_on_commit_callbacks)
    video = video_with_source(clips["copy"])
    _ready(video, django_capture_on_commit_callbacks)
    assert not Claim.objects.exists()
    match = selectors.matches_for_review().get()
    staff = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.matches_claim(matches=[match], by=staff) == 1
    assert Claim.objects.get().reference_id == match.reference_id
    assert AuditEntry.objects.filter(action="copyright.claim", actor=staff).exists()


def test_only_rights_holders_register_references(alice, clips):
    with pytest.raises(PermissionDenied):
        services.reference_create(owner=alice, title="x", policy="block", media=upload(clips["song"]))


# --- policies ------------------------------------------------------------------------------------


def _claim(video, holder, *, policy, territories="", duration_ms=30_000, status=Claim.Status.ACTIVE):
    return Claim.objects.create(
        video=video, claimant=holder, uploader=video.author, policy=policy, territories=territories,
        duration_ms=duration_ms, status=status, source=Claim.Source.MANUAL,
    )  # fmt: skip


def _visible(viewer, video) -> bool:
    listed = access.visible_to("video", viewer, queryset=type(video).objects.filter(pk=video.pk)).exists()
    assert listed == access.can_view(viewer, video)
    return listed


def test_block_hides_the_video_from_everyone_but_its_owner_and_staff(holder, alice, bob):
    video = VideoFactory(author=alice)
    assert _visible(bob, video)
    claim = _claim(video, holder, policy=Policy.BLOCK)
    assert not _visible(bob, video)
    assert not _visible(holder, video)
    assert _visible(alice, video)
    assert _visible(UserFactory(is_staff=True), video)
    claim.status = Claim.Status.RELEASED
    claim.save()
    assert _visible(bob, video)


def test_a_territorial_block_applies_in_its_territories_only(holder, alice, bob):
    video = VideoFactory(author=alice)
    _claim(video, holder, policy=Policy.BLOCK, territories=",DE,FR,")
    for country, seen in (("FR", False), ("DE", False), ("US", True), (None, False)):
        token = territory.set_viewer_country(country)
        try:
            assert _visible(bob, video) is seen, country
        finally:
            territory.reset_viewer_country(token)


def test_the_block_reaches_the_api_through_the_country_header(holder, alice, bob_client):
    video = VideoFactory(author=alice)
    _claim(video, holder, policy=Policy.BLOCK, territories=",DE,")
    assert bob_client.get(f"/api/v1/videos/{video.pk}", HTTP_CF_IPCOUNTRY="DE").status_code == 404
    assert bob_client.get(f"/api/v1/videos/{video.pk}", HTTP_CF_IPCOUNTRY="US").status_code == 200


def test_monetize_routes_revenue_by_matched_duration_cent_exact(holder, alice):
    video = VideoFactory(author=alice, duration_ms=120_000)
    _claim(video, holder, policy=Policy.MONETIZE, duration_ms=30_000)
    assert revenue.claim_shares(video_id=video.pk, amount=Money(1000, "USD")) == [(holder.pk, Money(250, "USD"))]
    # Several claimants share by duration; shares round down, the uploader keeps the remainder.
    other = UserFactory()
    _claim(video, other, policy=Policy.MONETIZE, duration_ms=40_000)
    shares = dict(revenue.claim_shares(video_id=video.pk, amount=Money(1001, "USD")))
    assert shares == {holder.pk: Money(250, "USD"), other.pk: Money(333, "USD")}


def test_monetize_shares_are_capped_at_the_whole_amount(holder, alice):
    video = VideoFactory(author=alice, duration_ms=60_000)
    other = UserFactory()
    _claim(video, holder, policy=Policy.MONETIZE, duration_ms=60_000)
    _claim(video, other, policy=Policy.MONETIZE, duration_ms=30_000)
    shares = dict(revenue.claim_shares(video_id=video.pk, amount=Money(100, "USD")))
    assert shares == {holder.pk: Money(66, "USD"), other.pk: Money(33, "USD")}
    assert sum(m.amount_minor for m in shares.values()) <= 100
    _claim(VideoFactory(author=alice), holder, policy=Policy.TRACK)
    assert revenue.claim_shares(video_id=video.pk + 1, amount=Money(100, "USD")) == []


def test_track_shows_the_claimant_the_videos_figures(holder, alice):
    video = VideoFactory(author=alice, views_count=42, likes_count=3)
    claim = _claim(video, holder, policy=Policy.TRACK)
    assert selectors.tracked_stats(claim=claim, user=holder)["views"] == 42
    assert selectors.tracked_stats(claim=claim, user=alice) is None


def test_a_track_claimant_reads_the_videos_analytics_and_no_other_claimant_does(holder, alice):
    video = VideoFactory(author=alice)
    claim = _claim(video, holder, policy=Policy.TRACK)
    client = APIClient()
    client.force_authenticate(holder)
    assert client.get(f"/api/v1/analytics/videos/{video.pk}").status_code == 200
    services.claim_release(claim=claim, user=holder)
    assert client.get(f"/api/v1/analytics/videos/{video.pk}").status_code == 404  # released: no longer
    _claim(video, holder, policy=Policy.MONETIZE)
    assert client.get(f"/api/v1/analytics/videos/{video.pk}").status_code == 404  # only `track` claims see it


# --- disputes ------------------------------------------------------------------------------------


def _party_notifications(user):
    return list(Notification.objects.filter(recipient=user, kind="copyright_claim").values_list("data", flat=True))


def test_an_unanswered_dispute_is_released_after_the_deadline(
    holder, alice, settings, django_capture_on_commit_callbacks
):
    claim = _claim(VideoFactory(author=alice), holder, policy=Policy.BLOCK)
    with django_capture_on_commit_callbacks(execute=True):
        claim = services.claim_dispute(claim=claim, user=alice, reason="It is my own recording")
    assert claim.status == Claim.Status.DISPUTED
    assert claim.respond_by == pytest.approx(timezone.now() + timedelta(days=30), abs=timedelta(minutes=1))
    assert any("disputed" in d["sentence"] for d in _party_notifications(holder))
    with time_machine.travel(timezone.now() + timedelta(days=29), tick=False):
        assert tasks.expire_disputes() == 0
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.expire_disputes() == 1
        with pytest.raises(Conflict):
            services.claim_uphold(claim=claim, user=holder)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RELEASED
    assert AuditEntry.objects.filter(action="copyright.dispute_expired", actor=None).count() == 1
    assert any("released" in d["sentence"] for d in _party_notifications(alice))


def test_uphold_appeal_and_the_staff_decision(holder, alice, django_capture_on_commit_callbacks):
    claim = _claim(VideoFactory(author=alice), holder, policy=Policy.BLOCK)
    with pytest.raises(PermissionDenied):
        services.claim_dispute(claim=claim, user=holder, reason="x")
    services.claim_dispute(claim=claim, user=alice, reason="fair use")
    with pytest.raises(PermissionDenied):
        services.claim_uphold(claim=claim, user=alice)
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        claim = services.claim_uphold(claim=claim, user=holder)
    assert claim.status == Claim.Status.UPHELD and claim.respond_by is None
    claim = services.claim_appeal(claim=claim, user=alice, reason="really fair use")
    assert claim.status == Claim.Status.APPEALED
    staff = UserFactory(is_staff=True)
    claim = services.claim_decide_appeal(claim=claim, staff=staff, grant=False, note="not fair use")
    assert claim.status == Claim.Status.UPHELD and claim.appeal_decided
    with pytest.raises(Conflict):
        services.claim_appeal(claim=claim, user=alice, reason="again")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["copyright.dispute", "copyright.uphold", "copyright.appeal", "copyright.appeal_rejected"]
    assert not claim.strike_recorded  # a claim, not a takedown


def test_a_granted_appeal_releases_the_claim(holder, alice):
    claim = _claim(VideoFactory(author=alice), holder, policy=Policy.BLOCK, status=Claim.Status.APPEALED)
    claim = services.claim_decide_appeal(claim=claim, staff=UserFactory(is_staff=True), grant=True)
    assert claim.status == Claim.Status.RELEASED
    with pytest.raises(PermissionDenied):
        services.claim_decide_appeal(claim=claim, staff=alice, grant=True)


def test_an_upheld_takedown_is_a_strike(holder, alice, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice)
    with django_capture_on_commit_callbacks(execute=True):
        claim = services.claim_manual(claimant=holder, video_id=video.pk, notice="This is our film")
    assert claim.source == Claim.Source.TAKEDOWN and claim.policy == Policy.BLOCK and claim.is_reupload
    assert not access.can_view(UserFactory(), video)
    assert any("takedown" in d["sentence"] for d in _party_notifications(alice))
    services.claim_dispute(claim=claim, user=alice, reason="licensed")
    claim = services.claim_uphold(claim=claim, user=holder)
    assert claim.strike_recorded
    strike = Event.objects.get(name="copyright.strike")
    assert strike.payload["user_id"] == alice.pk
    assert AuditEntry.objects.filter(action="copyright.strike", pk=strike.payload["audit_id"]).exists()


def test_a_claimant_may_release_at_any_time(holder, alice):
    claim = _claim(VideoFactory(author=alice), holder, policy=Policy.MONETIZE)
    claim = services.claim_release(claim=claim, user=holder)
    assert claim.status == Claim.Status.RELEASED
    with pytest.raises(Conflict):
        services.claim_dispute(claim=claim, user=alice, reason="x")
