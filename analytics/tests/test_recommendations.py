"""Recommendations learned from the same events: the trained neighbours drive "up next" and
"for you", always through the access layer, with the popularity fallback for what the model does
not know."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from analytics import services
from analytics.lib import recommender
from analytics.models import ItemNeighbour, RawEvent, RecommendationRun
from posts import services as post_services
from posts.feeds import ranking
from posts.tests.factories import PostFactory
from socialflow.core import recommendations
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def _view(viewer_key, video):
    now = timezone.now()
    RawEvent.objects.create(
        kind="view",
        occurred_at=now,
        day=now.date(),
        channel_id=video.author_id,
        video_id=video.pk,
        viewer_key=viewer_key,
        source="feed",
        aggregated=True,
    )


def test_the_library_finds_co_watched_items():
    triples = [(f"u{u}", item, 1) for u in range(10) for item in (1, 2, 3)]  # cluster A
    triples += [(f"v{u}", item, 1) for u in range(10) for item in (7, 8)]  # cluster B
    triples += [(f"v{u}", 1, 1) for u in range(2)]  # a little crossover
    interactions = recommender.Interactions(triples)
    neighbours = recommender.item_neighbours(interactions, k=5)
    assert {n for n, _ in neighbours[2][:2]} == {1, 3}
    assert neighbours[7][0][0] == 8
    assert {item for item, _ in recommender.recommend(neighbours, {2: 1.0}, limit=2)} == {1, 3}
    assert recommender.popularity(interactions)[0][0] == 1


def test_up_next_comes_from_the_model_and_respects_access(alice, bob, charlie, api_client):
    creator = UserFactory()
    current, partner, private, removed = (VideoFactory(author=creator) for _ in range(4))
    other = VideoFactory(author=bob, views_count=1000)  # the most popular: the fallback's first
    private.visibility = "private"
    private.save(update_fields=["visibility"])
    removed.moderation_status = "removed"
    removed.save(update_fields=["moderation_status"])
    stranger_video = VideoFactory(author=charlie)
    for n in range(8):  # the same people watch current, partner, private, removed and charlie's
        for video in (current, partner, private, removed, stranger_video):
            _view(f"u:{1000 + n}", video)
    stats = services.recommendations_train()
    assert stats["video"] > 0 and RecommendationRun.objects.filter(kind="video").exists()
    related = {pk for pk, _ in recommendations.related(kind="video", item_id=current.pk)}
    assert {partner.pk, private.pk, removed.pk, stranger_video.pk} <= related  # candidates, unfiltered

    ids = [int(v["id"]) for v in api_client.get(f"/api/v1/videos/{current.pk}/up-next").json()["results"]]
    assert set(ids[:2]) == {partner.pk, stranger_video.pk}  # the model's, visible ones
    assert private.pk not in ids and removed.pk not in ids and current.pk not in ids
    assert other.pk in ids  # then the fallback

    # Charlie blocked by alice: his video never reaches her, even though the model suggests it.
    account_services.block_create(blocker=alice, blocked=charlie)
    client = APIClient()
    client.force_authenticate(alice)
    ids = [int(v["id"]) for v in client.get(f"/api/v1/videos/{current.pk}/up-next").json()["results"]]
    assert stranger_video.pk not in ids and partner.pk in ids


def test_a_new_video_gets_the_popularity_fallback(api_client, bob):
    popular = VideoFactory(author=bob, views_count=500)
    fresh = VideoFactory()
    services.recommendations_train()
    ids = [int(v["id"]) for v in api_client.get(f"/api/v1/videos/{fresh.pk}/up-next").json()["results"]]
    assert ids[0] == popular.pk


def test_for_you_uses_what_similar_people_liked(alice, bob, charlie, django_capture_on_commit_callbacks):
    fans = [UserFactory() for _ in range(6)]
    author = UserFactory()
    muted_author = UserFactory()
    liked_by_alice = PostFactory(author=author)
    recommended = PostFactory(author=author, text="you will like this")
    from_muted = PostFactory(author=muted_author)
    followers_only = PostFactory(author=author, visibility="followers")
    for fan in fans:
        for post in (liked_by_alice, recommended, from_muted, followers_only):
            post_services.like_create(user=fan, post=post)
    post_services.like_create(user=alice, post=liked_by_alice)
    account_services.mute_create(muter=alice, muted=muted_author)
    services.recommendations_train()
    modelled = {pk for pk, _ in recommendations.for_user(kind="post", user_id=alice.pk)}
    assert {recommended.pk, from_muted.pk, followers_only.pk} <= modelled and liked_by_alice.pk not in modelled
    ranked = ranking.for_you_ids(viewer=alice)
    assert recommended.pk in ranked
    assert from_muted.pk not in ranked and followers_only.pk not in ranked  # the access layer decides


def test_training_replaces_the_model(alice):
    video_a, video_b = VideoFactory(), VideoFactory()
    for n in range(3):
        _view(f"a:{n}", video_a)
        _view(f"a:{n}", video_b)
    services.recommendations_train()
    first = ItemNeighbour.objects.filter(kind="video").count()
    services.recommendations_train()
    assert ItemNeighbour.objects.filter(kind="video").count() == first == 2
