import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from accounts import services
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:accounts_user_changelist")


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def test_it_lists_searches_and_filters_users_for_moderators(mod_client, alice, bob):
    response = mod_client.get(CHANGELIST, {"q": "ali"})
    assert response.status_code == 200
    assert b"alice" in response.content and b">bob<" not in response.content
    for params in ({"role__exact": "user"}, {"banned": "yes"}, {"deleted": "yes"}, {"is_private__exact": "1"}):
        assert mod_client.get(CHANGELIST, params).status_code == 200


def test_it_keeps_regular_users_out(client, alice):
    client.force_login(alice)
    assert client.get(CHANGELIST).status_code == 302


def test_it_bans_many_users_through_the_form_and_logs_it(mod_client, moderator):
    users = [UserFactory() for _ in range(30)]
    ids = [str(u.pk) for u in users]
    # step 1: the intermediate form
    response = mod_client.post(CHANGELIST, {"action": "ban_users", "_selected_action": ids})
    assert response.status_code == 200 and b"Suspend" in response.content
    # step 2: apply
    response = mod_client.post(
        CHANGELIST,
        {"action": "ban_users", "_selected_action": ids, "apply": "1", "duration": "7", "reason": "spam ring"},
    )
    assert response.status_code == 302
    assert User.objects.filter(pk__in=ids, banned_until__isnull=False, ban_reason="spam ring").count() == 30
    assert LogEntry.objects.filter(user=moderator, change_message__contains="Suspended").count() == 30


def test_it_bans_permanently_and_skips_staff_and_self(mod_client, moderator, alice):
    staff = UserFactory(is_staff=True)
    ids = [str(alice.pk), str(staff.pk), str(moderator.pk)]
    mod_client.post(
        CHANGELIST,
        {"action": "ban_users", "_selected_action": ids, "apply": "1", "duration": "permanent", "reason": "x"},
    )
    alice.refresh_from_db()
    staff.refresh_from_db()
    moderator.refresh_from_db()
    assert alice.is_permanently_banned and not staff.is_banned and not moderator.is_banned


def test_it_requires_a_reason(mod_client, alice):
    response = mod_client.post(
        CHANGELIST, {"action": "ban_users", "_selected_action": [alice.pk], "apply": "1", "duration": "7", "reason": ""}
    )
    assert response.status_code == 200  # the form again, with an error
    alice.refresh_from_db()
    assert not alice.is_banned


def test_it_unbans_and_restores_in_bulk(mod_client, moderator):
    users = [UserFactory() for _ in range(5)]
    for user in users:
        services.user_ban(user=user, by=moderator, reason="x")
    ids = [str(u.pk) for u in users]
    assert mod_client.post(CHANGELIST, {"action": "unban_users", "_selected_action": ids}).status_code == 302
    assert not User.objects.filter(pk__in=ids, banned_until__isnull=False).exists()
    assert LogEntry.objects.filter(change_message__contains="lifted").count() == 5
    for user in users:
        services.user_delete(user=user)
    mod_client.post(CHANGELIST, {"action": "restore_users", "_selected_action": ids})
    assert User.objects.filter(pk__in=ids, deleted_at__isnull=True, is_active=True).count() == 5


def test_it_lets_moderators_view_but_not_edit_fields(mod_client, alice):
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    assert mod_client.get(url).status_code == 200
    mod_client.post(url, {"username": "hacked"})
    alice.refresh_from_db()
    assert alice.username == "alice"


def test_it_lets_superusers_edit(client, alice):
    admin = UserFactory(username="root1", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:accounts_user_change", args=[alice.pk])).status_code == 200


def test_it_bans_across_all_pages_of_a_filtered_list(mod_client):
    users = [UserFactory(display_name="Spammer") for _ in range(3)]
    bystander = UserFactory(display_name="Fine")
    data = {"action": "ban_users", "select_across": "1", "index": "0", "_selected_action": [users[0].pk]}
    response = mod_client.post(f"{CHANGELIST}?q=Spammer", data)
    assert response.status_code == 200 and b"<strong>3</strong>" in response.content
    response = mod_client.post(f"{CHANGELIST}?q=Spammer", {**data, "apply": "1", "duration": "30", "reason": "spam"})
    assert response.status_code == 302
    assert User.objects.filter(display_name="Spammer", banned_until__isnull=False).count() == 3
    bystander.refresh_from_db()
    assert not bystander.is_banned


def test_it_deletes_accounts_softly_through_the_service_and_never_hard(mod_client, moderator, alice):
    staff = UserFactory(is_staff=True)
    actions = [name for name, _label in mod_client.get(CHANGELIST).context["action_form"].fields["action"].choices]
    assert "delete_users" in actions and "delete_selected" not in actions
    ids = [str(alice.pk), str(staff.pk), str(moderator.pk)]
    response = mod_client.post(CHANGELIST, {"action": "delete_users", "_selected_action": ids})
    assert response.status_code == 302
    alice.refresh_from_db()
    staff.refresh_from_db()
    assert alice.is_deleted and not alice.is_active and not staff.is_deleted
    assert LogEntry.objects.filter(user=moderator, change_message="Account deleted").count() == 1
    assert mod_client.get(reverse("admin:accounts_user_delete", args=[alice.pk])).status_code == 403


def test_it_offers_no_hard_delete_even_to_superusers(client, alice):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [str(alice.pk)], "post": "yes"}
    )
    assert User.objects.filter(pk=alice.pk).exists()
    assert client.get(reverse("admin:accounts_user_delete", args=[alice.pk])).status_code == 403
    assert response.status_code in (200, 302)
