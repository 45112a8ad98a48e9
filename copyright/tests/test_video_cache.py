"""Claims and the video hydration cache: a block takes a cached video down on the next request."""

import pytest

from accounts.tests.factories import UserFactory
from copyright import services
from copyright.models import Claim
from socialflow.core import territory
from videos.tests.factories import VideoFactory
from videos.tests.test_api import _with_media

pytestmark = pytest.mark.django_db


def test_a_takedown_and_its_release_show_at_once(api_client, holder):
    staff_user = UserFactory(is_staff=True)
    video = _with_media(VideoFactory())
    url = f"/api/v1/videos/{video.pk}"
    api_client.get(url)
    claim = services.claim_manual(claimant=holder, video_id=video.pk, notice="ours")
    assert api_client.get(url).status_code == 404
    services.claims_release_by_staff(claims=[Claim.objects.get(pk=claim.pk)], staff=staff_user)
    assert api_client.get(url).status_code == 200


def test_a_territorial_block_is_never_cached_for_anyone(api_client, holder):
    video = _with_media(VideoFactory())
    Claim.objects.create(
        video=video, claimant=holder, uploader=video.author, policy="block", territories=",DE,",
        duration_ms=1000, status=Claim.Status.ACTIVE, source=Claim.Source.MANUAL,
    )  # fmt: skip
    url = f"/api/v1/videos/{video.pk}"
    assert api_client.get(url, HTTP_CF_IPCOUNTRY="FR").status_code == 200  # visible in France: not filed
    assert api_client.get(url, HTTP_CF_IPCOUNTRY="DE").status_code == 404
    assert territory.viewer_country() is None
