"""`make run` seeds the demo data once and starts again whatever people did with it since."""

import io

from django.core.management import call_command

from accounts.models import User
from accounts.services import block_create


def test_it_starts_again_after_the_demo_users_relations_changed(db, django_capture_on_commit_callbacks):
    first = io.StringIO()
    with django_capture_on_commit_callbacks(execute=False):
        call_command("seed_demo", stdout=first)
    assert "Demo users: admin / " in first.getvalue()
    alice, bob = User.objects.get(username="alice"), User.objects.get(username="bob")
    block_create(blocker=alice, blocked=bob)  # a second seed used to re-follow: PermissionDenied

    again = io.StringIO()
    call_command("seed_demo", stdout=again)

    assert "seeded before" in again.getvalue()
    assert "Demo users: admin / " in again.getvalue()
    assert User.objects.filter(username__in=["admin", "alice", "bob", "charlie"]).count() == 4
