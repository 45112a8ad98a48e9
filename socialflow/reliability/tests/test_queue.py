from unittest import mock

import pytest
from celery import current_app
from kombu.exceptions import OperationalError

from posts import tasks as post_tasks
from socialflow.redis import breaker
from socialflow.reliability.models import DeferredTask
from socialflow.reliability.queue import enqueue, enqueue_on_commit, task_named
from socialflow.reliability.services import deferred_tasks_redrive

pytestmark = pytest.mark.django_db


def test_it_keeps_a_task_whose_publish_failed_and_redrives_it_later():
    with mock.patch.object(post_tasks.trim_timelines, "apply_async", side_effect=OperationalError("refused")):
        assert enqueue(post_tasks.trim_timelines) is False
    row = DeferredTask.objects.get()
    assert row.name == "posts.tasks.trim_timelines"
    assert "refused" in row.error

    with mock.patch.object(post_tasks.trim_timelines, "apply_async") as publish:
        assert deferred_tasks_redrive() == 1
    publish.assert_called_once_with(args=[], kwargs={})
    assert not DeferredTask.objects.exists()


def test_it_stops_redriving_while_the_broker_is_still_down():
    DeferredTask.objects.create(name="posts.tasks.trim_timelines")
    with mock.patch.object(post_tasks.trim_timelines, "apply_async", side_effect=OperationalError("refused")):
        assert deferred_tasks_redrive() == 0
    assert DeferredTask.objects.get().attempts == 1


def test_it_does_not_wait_for_a_redis_known_to_be_down():
    breaker.trip("127.0.0.1:6379", ConnectionError("refused"))
    with mock.patch.object(post_tasks.trim_timelines, "apply_async") as publish:
        assert enqueue(post_tasks.trim_timelines) is False
    publish.assert_not_called()
    assert DeferredTask.objects.count() == 1


def test_it_never_fails_the_committed_request(django_capture_on_commit_callbacks):
    refused = mock.patch.object(post_tasks.fanout_post, "apply_async", side_effect=OperationalError("refused"))
    with refused, django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(post_tasks.fanout_post, 42)
    assert DeferredTask.objects.get().args == [42]


def test_it_queues_a_task_by_its_name_as_services_do():
    with mock.patch.object(post_tasks.trim_timelines, "apply_async") as publish:
        assert enqueue("posts.tasks.trim_timelines", 3, keep=5) is True
    publish.assert_called_once_with(args=(3,), kwargs={"keep": 5})


def test_it_imports_the_tasks_module_a_name_points_to():
    with mock.patch.object(current_app.tasks, "get", return_value=None) as lookup:
        assert task_named("posts.tasks.trim_timelines").name == "posts.tasks.trim_timelines"
    lookup.assert_called_once_with("posts.tasks.trim_timelines")
    with pytest.raises(ModuleNotFoundError):
        task_named("posts.no_such_tasks.nothing")
