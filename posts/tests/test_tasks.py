import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from accounts import services as accounts_services
from accounts.models import User
from posts import services, tasks
from posts.admin import PostAdmin
from posts.models import Post, TimelineEntry
from posts.tests.conftest import activate
from socialflow.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_it_repairs_counters_periodically(alice, bob):
    accounts_services.follow_create(follower=bob, followee=alice)
    post = services.post_create(author=alice, text="x")
    User.objects.filter(pk=alice.pk).update(followers_count=0, posts_count=5)
    Post.objects.filter(pk=post.pk).update(replies_count=3)
    tasks.recount_counters.delay()
    alice.refresh_from_db()
    post.refresh_from_db()
    assert (alice.followers_count, alice.posts_count, post.replies_count) == (1, 1, 0)


def test_it_fans_out_through_the_task_after_commit(store, alice, bob, django_capture_on_commit_callbacks):
    accounts_services.follow_create(follower=bob, followee=alice)
    activate(alice, bob)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = services.post_create(author=alice, text="queued")
    assert store.page(user_id=bob.pk, max_id=None, limit=5) == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert store.page(user_id=bob.pk, max_id=None, limit=5) == [post.pk]
    assert tasks.fanout_post.delay(post.pk).get() == 2  # a re-run is harmless


def test_it_trims_timelines(settings, store_kind, bob):
    settings.FEED_TIMELINE_CAP = 3
    if store_kind == "db":
        TimelineEntry.objects.bulk_create([TimelineEntry(user_id=bob.pk, post_id=i) for i in range(1, 8)])
        assert tasks.trim_timelines.delay().get() == 4
        assert sorted(TimelineEntry.objects.values_list("post_id", flat=True)) == [5, 6, 7]
    else:
        from socialflow.redis import get_redis

        get_redis().zadd(f"sf:tl:{bob.pk}", {str(i): i for i in range(1, 8)})
        assert tasks.trim_timelines.delay().get() == 4


def test_it_hides_and_restores_posts_from_the_admin(alice, bob, django_capture_on_commit_callbacks):
    moderator = User.objects.create_superuser(username="mod", email="mod@example.com", password="x")
    post = services.post_create(author=alice, text="spam spam")
    request = RequestFactory().post("/admin/posts/post/", {"apply": "1", "reason": "spam"})
    request.user = moderator
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    admin = PostAdmin(Post, site)
    with django_capture_on_commit_callbacks(execute=True):
        admin.hide_posts(request, Post.objects.filter(pk=post.pk))
    post.refresh_from_db()
    assert (post.moderation_status, post.moderated_by, post.moderation_reason) == ("removed", moderator, "spam")
    admin.restore_posts(request, Post.objects.filter(pk=post.pk))
    post.refresh_from_db()
    assert post.moderation_status == "visible"
    actions = AuditEntry.objects.filter(actor=moderator, target_id=str(post.pk)).order_by("id")
    assert list(actions.values_list("action", flat=True)) == ["post.removed", "post.restored"]
    admin.delete_posts(request, Post.objects.filter(pk=post.pk))
    assert AuditEntry.objects.filter(actor=moderator, action="post.delete", target_id=str(post.pk)).count() == 1


def test_it_seeds_demo_data_idempotently(alice, bob, charlie):
    import io

    from posts import demo

    context = {"users": {"alice": alice, "bob": bob, "charlie": charlie}}
    demo.seed(context=context, stdout=io.StringIO())
    count = Post.objects.count()
    demo.seed(context=context, stdout=io.StringIO())
    assert Post.objects.count() == count == 6
    alice.refresh_from_db()
    assert alice.followers_count == 2
