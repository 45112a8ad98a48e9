"""The social graph's endpoints (API.md: follow, block, mute, follower lists, follow requests)."""

import pytest

from accounts import services as accounts_services
from accounts.models import Follow, FollowRequest, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_it_follows_and_unfollows(bob_client, api_client, alice, bob):
    url = f"{API}/users/alice/follow"
    assert api_client.post(url).status_code == 401
    response = bob_client.post(url)
    assert response.status_code == 200
    assert response.json()["following"] is True
    bob_client.post(url)
    alice.refresh_from_db()
    assert alice.followers_count == 1
    assert bob_client.delete(url).json()["following"] is False
    assert bob_client.post(f"{API}/users/bob/follow").status_code == 400
    assert bob_client.post(f"{API}/users/ghost/follow").status_code == 404


def test_it_answers_404_for_accounts_others_cannot_see(bob_client, alice, moderator):
    """One lookup rule for every /users/<username>/… path: the profile's."""
    accounts_services.user_ban(user=alice, by=moderator, reason="spam")
    for method, path in [("post", "follow"), ("delete", "follow"), ("post", "block"), ("get", "followers")]:
        response = getattr(bob_client, method)(f"{API}/users/alice/{path}")
        assert response.status_code == 404
        assert response.json() == {"detail": "No such user.", "code": "not_found"}


def test_it_runs_the_follow_request_flow(alice_client, bob_client, charlie_client, alice, bob):
    User.objects.filter(pk=alice.pk).update(is_private=True)
    response = bob_client.post(f"{API}/users/alice/follow")
    assert response.json()["requested"] is True and response.json()["following"] is False
    inbox = alice_client.get(f"{API}/follow-requests").json()["results"]
    assert [r["requester"]["username"] for r in inbox] == ["bob"]
    request_id = inbox[0]["id"]
    assert charlie_client.post(f"{API}/follow-requests/{request_id}/accept").status_code == 404
    assert alice_client.post(f"{API}/follow-requests/abc/accept").status_code == 404
    assert alice_client.post(f"{API}/follow-requests/{10**25}/reject").status_code == 404
    assert alice_client.post(f"{API}/follow-requests/{request_id}/accept").status_code == 200
    assert Follow.objects.filter(follower=bob, followee=alice).exists()
    charlie_client.post(f"{API}/users/alice/follow")
    request_id = str(FollowRequest.objects.get().pk)
    assert alice_client.post(f"{API}/follow-requests/{request_id}/reject").status_code == 204
    assert not FollowRequest.objects.exists()


def test_it_lists_followers_and_following(api_client, alice, django_assert_max_num_queries):
    fans = UserFactory.create_batch(5)
    for fan in fans:
        accounts_services.follow_create(follower=fan, followee=alice)
    with django_assert_max_num_queries(2):
        response = api_client.get(f"{API}/users/alice/followers?page_size=2")
    assert [e["user"]["username"] for e in response.json()["results"]] == [fans[4].username, fans[3].username]
    names = []
    url = f"{API}/users/alice/followers?page_size=2"
    while url:
        body = api_client.get(url).json()
        names += [e["user"]["username"] for e in body["results"]]
        url = body["next"]
    assert names == [f.username for f in reversed(fans)]
    following = api_client.get(f"{API}/users/{fans[0].username}/following").json()["results"]
    assert [e["user"]["username"] for e in following] == ["alice"]


def test_it_shows_private_follow_lists_to_approved_followers_only(bob_client, charlie_client, api_client, alice, bob):
    User.objects.filter(pk=alice.pk).update(is_private=True)
    alice.refresh_from_db()
    request = accounts_services.follow_create(follower=bob, followee=alice)
    assert bob_client.get(f"{API}/users/alice/followers").status_code == 403
    accounts_services.follow_request_accept(target=alice, request_id=request.pk)
    assert bob_client.get(f"{API}/users/alice/followers").status_code == 200
    assert charlie_client.get(f"{API}/users/alice/following").status_code == 403
    assert api_client.get(f"{API}/users/alice/followers").json()["code"] == "private"


def test_it_blocks_and_mutes(alice_client, alice, bob):
    accounts_services.follow_create(follower=bob, followee=alice)
    response = alice_client.post(f"{API}/users/bob/block")
    assert response.json()["blocking"] is True
    assert not Follow.objects.exists()
    assert alice_client.delete(f"{API}/users/bob/block").json()["blocking"] is False
    assert alice_client.post(f"{API}/users/bob/mute").json()["muting"] is True
    assert alice_client.delete(f"{API}/users/bob/mute").json()["muting"] is False
    assert alice_client.post(f"{API}/users/alice/mute").status_code == 400
    assert alice_client.post(f"{API}/users/alice/block").status_code == 400


def test_it_rate_limits_follows_with_retry_after(alice_client, settings):
    settings.FOLLOW_RATE_LIMIT = (1, 86400)
    UserFactory(username="t1")
    UserFactory(username="t2")
    assert alice_client.post(f"{API}/users/t1/follow").status_code == 200
    response = alice_client.post(f"{API}/users/t2/follow")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "rate_limited"
