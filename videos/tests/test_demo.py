import io

from videos import demo
from videos.models import Video


def test_it_seeds_a_demo_video_once(alice, django_capture_on_commit_callbacks):
    context = {"users": {"alice": alice}}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        demo.seed(context=context, stdout=io.StringIO())
        demo.seed(context=context, stdout=io.StringIO())
    video = Video.objects.get(author=alice)
    assert video.title == demo.DEMO_TITLE and video.status == "processing"
    assert sorted(t.name for t in video.tags.all()) == ["demo", "welcome"]
    assert len(callbacks) == 1
