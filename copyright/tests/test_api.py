"""The copyright REST API, the admin and the Studio page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from copyright.models import Claim, Match, Policy, Reference
from copyright.tests.conftest import upload
from socialflow.core.models import AuditEntry
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def _claim(video, claimant, **fields):
    values = {"policy": Policy.TRACK, "duration_ms": 12_000, "video_start_ms": 3_000, "source": Claim.Source.MANUAL}
    return Claim.objects.create(video=video, claimant=claimant, uploader=video.author, **{**values, **fields})


def test_a_rights_holder_registers_a_reference(holder, clips, django_capture_on_commit_callbacks):
    client = bearer_client(holder)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/copyright/references",
            {"title": "Song", "policy": "monetize", "territories": ["de", "FR"], "media": upload(clips["song"])},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["territories"] == ["DE", "FR"] and body["status"] == "pending"
    listed = client.get("/api/v1/copyright/references").json()["results"]
    assert [r["status"] for r in listed] == ["ready"]
    assert listed[0]["duration"] == pytest.approx(20, abs=1)


def test_references_refuse_bad_input_with_400(holder, clips):
    client = bearer_client(holder)
    bad = client.post(
        "/api/v1/copyright/references",
        {"title": "x", "policy": "steal", "media": upload(clips["song"])},
        format="multipart",
    )
    assert bad.status_code == 400 and "policy" in bad.json()
    wrong = client.post(
        "/api/v1/copyright/references",
        {"title": "x", "policy": "block", "media": SimpleUploadedFile("notes.txt", b"hello")},
        format="multipart",
    )
    assert wrong.status_code == 400 and "media" in wrong.json()


def test_not_a_rights_holder_gets_403(alice_client, clips):
    response = alice_client.post(
        "/api/v1/copyright/references",
        {"title": "x", "policy": "block", "media": upload(clips["song"])},
        format="multipart",
    )
    assert response.status_code == 403
    assert alice_client.post("/api/v1/copyright/claims", {"video": 1, "notice": "x"}, format="json").status_code == 403


def test_only_the_parties_see_a_claim(holder, alice, bob):
    video = VideoFactory(author=alice)
    claim = _claim(video, holder)
    for user, seen in ((alice, True), (holder, True), (bob, False), (UserFactory(is_staff=True), False)):
        client = bearer_client(user)
        assert client.get(f"/api/v1/copyright/claims/{claim.pk}").status_code == (200 if seen else 404)
        assert [c["id"] for c in client.get("/api/v1/copyright/claims").json()["results"]] == (
            [claim.pk] if seen else []
        )
    body = bearer_client(alice).get(f"/api/v1/copyright/claims/{claim.pk}").json()
    assert body["segment"] == {"video_start": 3.0, "video_end": 15.0, "reference_start": None, "duration": 12.0}
    assert body["analytics"] is None  # the uploader has their own analytics
    assert bearer_client(holder).get(f"/api/v1/copyright/claims/{claim.pk}").json()["analytics"]["views"] == 0


def test_claims_list_by_role_in_few_queries(holder, alice, django_assert_max_num_queries):
    for _ in range(5):
        _claim(VideoFactory(author=alice), holder)
    _claim(VideoFactory(author=holder), alice)
    client = bearer_client(alice)
    with django_assert_max_num_queries(12):
        uploader = client.get("/api/v1/copyright/claims?role=uploader&page_size=3").json()
    assert len(uploader["results"]) == 3 and uploader["next"]
    assert len(client.get("/api/v1/copyright/claims?role=claimant").json()["results"]) == 1
    assert client.get("/api/v1/copyright/claims?role=nobody").status_code == 400


def test_references_list_in_few_queries(holder, django_assert_max_num_queries):
    for n in range(4):
        Reference.objects.create(owner=holder, title=f"r{n}", policy="track")
    with django_assert_max_num_queries(8):
        assert len(bearer_client(holder).get("/api/v1/copyright/references").json()["results"]) == 4


def test_manual_claim_and_takedown(holder, alice, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice, duration_ms=120_000)
    reference = Reference.objects.create(owner=holder, title="Song", policy="monetize", status="ready")
    client = bearer_client(holder)
    response = client.post(
        "/api/v1/copyright/claims",
        {"video": video.pk, "reference": reference.pk, "timestamps": {"start": 30, "end": 60}, "notice": "Our song"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["policy"] == "monetize" and response.json()["segment"]["duration"] == 30.0
    again = client.post(
        "/api/v1/copyright/claims", {"video": video.pk, "reference": reference.pk, "notice": "x"}, format="json"
    )
    assert again.status_code == 409
    takedown = client.post("/api/v1/copyright/claims", {"video": video.pk, "notice": "Our film"}, format="json")
    assert takedown.status_code == 201 and takedown.json()["source"] == "takedown"
    bad = client.post(
        "/api/v1/copyright/claims",
        {"video": video.pk, "timestamps": {"start": 9, "end": 1}, "notice": "x"},
        format="json",
    )
    assert bad.status_code == 400
    assert client.post("/api/v1/copyright/claims", {"video": 99999999, "notice": "x"}, format="json").status_code == 400


def test_the_dispute_workflow_through_the_api(holder, alice):
    claim = _claim(VideoFactory(author=alice), holder)
    uploader, claimant = bearer_client(alice), bearer_client(holder)
    assert uploader.post(f"/api/v1/copyright/claims/{claim.pk}/dispute", {}, format="json").status_code == 400
    assert claimant.post(f"/api/v1/copyright/claims/{claim.pk}/dispute", {"reason": "x"}).status_code == 403
    disputed = uploader.post(f"/api/v1/copyright/claims/{claim.pk}/dispute", {"reason": "mine"}, format="json")
    assert disputed.status_code == 200 and disputed.json()["status"] == "disputed"
    assert disputed.json()["respond_by"]
    assert uploader.post(f"/api/v1/copyright/claims/{claim.pk}/uphold").status_code == 403
    assert claimant.post(f"/api/v1/copyright/claims/{claim.pk}/uphold").json()["status"] == "upheld"
    assert claimant.post(f"/api/v1/copyright/claims/{claim.pk}/uphold").status_code == 409
    appealed = uploader.post(f"/api/v1/copyright/claims/{claim.pk}/appeal", {"reason": "please"}, format="json")
    assert appealed.json()["status"] == "appealed"
    assert claimant.post(f"/api/v1/copyright/claims/{claim.pk}/release").status_code == 409  # staff decide now


# --- admin ---------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.staff = staff
    return client


def test_admin_pages_render(staff_client, holder, alice):
    video = VideoFactory(author=alice)
    reference = Reference.objects.create(owner=holder, title="Song", policy="block", status="ready")
    Match.objects.create(
        video=video, reference=reference, kind="audio", video_start_ms=1000, reference_start_ms=61_000,
        duration_ms=5000, confidence=0.7, score=0.2,
    )  # fmt: skip
    _claim(video, holder)
    for path in ("rightsholder", "reference", "match", "claim"):
        assert staff_client.get(f"/admin/copyright/{path}/").status_code == 200
    page = staff_client.get("/admin/copyright/match/").content.decode()
    assert "0:01–0:06" in page and "1:01–1:06" in page  # both works' timestamps


def test_admin_review_and_appeal_actions(staff_client, holder, alice, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice)
    reference = Reference.objects.create(owner=holder, title="Song", policy="block", status="ready")
    match = Match.objects.create(
        video=video, reference=reference, kind="audio", video_start_ms=0, reference_start_ms=0,
        duration_ms=5000, confidence=0.7, score=0.2,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post("/admin/copyright/match/", {"action": "claim_matches", "_selected_action": [match.pk]})
    claim = Claim.objects.get()
    assert claim.reference_id == reference.pk
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.APPEALED)
    asked = staff_client.post("/admin/copyright/claim/", {"action": "reject_appeals", "_selected_action": [claim.pk]})
    assert asked.status_code == 200  # the page asking for the note
    staff_client.post(
        "/admin/copyright/claim/",
        {"action": "reject_appeals", "_selected_action": [claim.pk], "apply": "1", "reason": "no licence shown"},
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.UPHELD and claim.appeal_decided
    assert AuditEntry.objects.get(action="copyright.appeal_rejected").reason == "no licence shown"


def test_staff_grant_the_rights_holder_capability(staff_client, alice):
    response = staff_client.post("/admin/copyright/rightsholder/add/", {"user": alice.pk, "name": "Alice Records"})
    assert response.status_code == 302
    assert alice.rights_holder.name == "Alice Records"
    assert AuditEntry.objects.filter(action="copyright.grant").exists()


# --- studio --------------------------------------------------------------------------------------


def test_studio_shows_claims_and_disputes_them(client, holder, alice):
    video = VideoFactory(author=alice, title="My holiday")
    claim = _claim(video, holder)
    client.force_login(alice)
    page = client.get("/studio/copyright/").content.decode()
    assert "My holiday" in page and "0:03–0:15" in page and 'value="dispute"' in page
    client.post("/studio/copyright/", {"action": "dispute", "claim": claim.pk, "reason": "my own music"})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DISPUTED and claim.dispute_reason == "my own music"
    client.force_login(holder)
    page = client.get("/studio/copyright/").content.decode()
    assert "Your references" in page and 'value="uphold"' in page
    client.force_login(UserFactory())
    client.post("/studio/copyright/", {"action": "release", "claim": claim.pk})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DISPUTED  # not a party: nothing happens
