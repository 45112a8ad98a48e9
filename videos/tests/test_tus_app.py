"""The lean tus PATCH path (videos.api.tus_app) through the real ASGI application.

Requests are raw ASGI calls to ``socialflow.asgi.application`` (so a test can cut a body short);
the Django application alone, or the same request with ``VIDEO_UPLOAD_LEAN`` off, gives the
reference answers. Django runs its views in a worker thread, so these tests commit their data
(transactional).
"""

import asyncio
import fcntl

import pytest
from django.core.files.storage import default_storage
from rest_framework_simplejwt.tokens import AccessToken

from socialflow.asgi import application
from videos import services
from videos.api import tus_app
from videos.lib import writeback
from videos.models import Upload, Video
from videos.storage import upload_path

pytestmark = pytest.mark.django_db(transaction=True)


def _find_lean(app):
    # heartbeat path -> server timing -> body limit -> this: follow the wrapped apps down to it.
    while not isinstance(app, tus_app.TusPatchApp):
        app = app.app
    return app


LEAN = _find_lean(application.application_mapping["http"])
OFFSET_TYPE = "application/offset+octet-stream"


@pytest.fixture
def handovers(monkeypatch):
    """The requests the lean path handed to Django (their paths)."""
    seen = []
    django_app = LEAN.app

    async def recording(scope, receive, send):
        seen.append(scope["path"])
        return await django_app(scope, receive, send)

    monkeypatch.setattr(LEAN, "app", recording)
    return seen


class Answer:
    def __init__(self, messages):
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        self.status = start["status"] if start else None
        self.headers = {k.decode().lower(): v.decode() for k, v in start["headers"]} if start else {}
        self.body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")


def call(method, path, headers, chunks=(), *, disconnect=False, app=application) -> Answer:
    """One ASGI request: the body in ``chunks`` (one message each), then ``http.disconnect`` instead of
    the end when ``disconnect``."""
    chunks = list(chunks)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()],
        "client": ("10.1.2.3", 40000),
        "server": ("testserver", 80),
    }
    sent = []

    async def run():
        index = 0
        finished = asyncio.Event()

        async def receive():
            nonlocal index
            if index < len(chunks):
                index += 1
                more = index < len(chunks) or disconnect
                return {"type": "http.request", "body": chunks[index - 1], "more_body": more}
            if disconnect or index:
                if not disconnect:
                    await finished.wait()
                return {"type": "http.disconnect"}
            index += 1
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                finished.set()

        await app(scope, receive, send)

    asyncio.run(run())
    return Answer(sent)


def tus_headers(user, offset=None, length=None, **extra) -> dict:
    headers = {"host": "testserver", "tus-resumable": "1.0.0", "authorization": f"Bearer {AccessToken.for_user(user)}"}
    if offset is not None:
        headers.update({"upload-offset": offset, "content-type": OFFSET_TYPE})
    if length is not None:
        headers["content-length"] = length
    headers.update(extra)
    return headers


def new_upload(user, length: int) -> Upload:
    return services.upload_create(user=user, length=length, metadata={"filename": "clip.mp4"})


def patch(user, upload, offset: int, chunks, **kwargs) -> Answer:
    headers = tus_headers(user, offset, sum(len(c) for c in chunks), **kwargs.pop("headers", {}))
    return call("PATCH", f"/api/v1/uploads/{upload.pk}", headers, chunks, **kwargs)


def test_it_writes_the_body_into_the_upload_and_completes_it(alice, handovers):
    data = bytes(range(256)) * 40
    upload = new_upload(alice, len(data))
    first = patch(alice, upload, 0, [data[:1000], data[1000:4000]])
    assert first.status == 204, first.body
    assert first.headers["upload-offset"] == "4000" and first.headers["upload-length"] == str(len(data))
    assert "upload-expires" in first.headers and first.headers["video-id"] == str(upload.video_id)
    upload.refresh_from_db()
    assert upload.offset == 4000 and upload_path(upload).read_bytes() == data[:4000]

    last = patch(alice, upload, 4000, [data[4000:]])

    assert last.status == 204 and last.headers["upload-offset"] == str(len(data))
    assert "upload-expires" not in last.headers
    assert handovers == []  # Django never saw (nor spooled) these bodies
    upload.refresh_from_db()
    assert upload.completed_at is not None
    video = Video.objects.get(pk=upload.video_id)
    assert video.status != "uploading" and video.source_size == len(data)  # not a real clip: transcoding fails
    with default_storage.open(video.source_name, "rb") as handle:
        assert handle.read() == data


def test_it_answers_with_the_headers_django_gives(alice, bob, settings):
    """The same PATCH, lean and through Django: the same status, headers and (empty) body."""
    answers = []
    for lean in (True, False):
        settings.VIDEO_UPLOAD_LEAN = lean
        upload = new_upload(alice, 10)
        answers.append(patch(alice, upload, 0, [b"hello"]))
    lean_answer, django_answer = answers
    volatile = ("x-request-id", "upload-expires", "video-id")
    assert lean_answer.status == django_answer.status == 204
    assert lean_answer.body == django_answer.body == b""
    assert {k: v for k, v in lean_answer.headers.items() if k not in volatile} == {
        k: v for k, v in django_answer.headers.items() if k not in volatile
    }


def test_it_resumes_after_a_body_cut_short(alice, handovers):
    """A client that leaves mid-body gets nothing acknowledged; HEAD says where to resume."""
    data = b"0123456789" * 100
    upload = new_upload(alice, len(data))
    assert patch(alice, upload, 0, [data[:300]]).status == 204

    cut = call(
        "PATCH",
        f"/api/v1/uploads/{upload.pk}",
        tus_headers(alice, 300, 700),
        [data[300:500]],  # 200 of the 700 bytes declared, then the client is gone
        disconnect=True,
    )

    assert cut.status is None  # nobody to answer
    upload.refresh_from_db()
    assert upload.offset == 300
    head = call("HEAD", f"/api/v1/uploads/{upload.pk}", tus_headers(alice))
    assert head.status == 200 and head.headers["upload-offset"] == "300"
    resumed = patch(alice, upload, 300, [data[300:]])
    assert resumed.status == 204 and resumed.headers["upload-offset"] == str(len(data))
    with default_storage.open(Video.objects.get(pk=upload.video_id).source_name, "rb") as handle:
        assert handle.read() == data  # the stray bytes of the cut request were truncated
    assert handovers == [f"/api/v1/uploads/{upload.pk}"]  # only the HEAD


def test_writeback_starts_while_the_body_arrives(alice, handovers, monkeypatch):
    """Each MiB written starts its writeback at once (videos.lib.writeback), in order and without
    gaps from the acknowledged offset, so the final fdatasync has little left to wait for."""
    kicks = []
    monkeypatch.setattr(writeback, "KICK_EVERY_BYTES", 1000)
    monkeypatch.setattr(writeback, "start_writeback", lambda fd, offset, nbytes: kicks.append((offset, nbytes)))
    data = bytes(range(256)) * 20  # 5,120 bytes
    upload = new_upload(alice, len(data))
    assert patch(alice, upload, 0, [data[:600]]).status == 204  # under the threshold: no kick

    answer = patch(alice, upload, 600, [data[600:1500], data[1500:1800], data[1800:]])

    assert answer.status == 204 and handovers == []
    assert kicks == [(600, 1200), (1800, 3320)]  # one per KICK_EVERY_BYTES written, none overlapping
    with default_storage.open(Video.objects.get(pk=upload.video_id).source_name, "rb") as handle:
        assert handle.read() == data


def test_start_writeback_reaches_the_kernel(tmp_path):
    path = tmp_path / "part"
    with open(path, "wb") as handle:
        handle.write(b"x" * 8192)
        writeback.start_writeback(handle.fileno(), 0, 8192)  # a real sync_file_range: no error
        writeback.start_writeback(handle.fileno(), 0, 0)  # nothing to do
    assert path.read_bytes() == b"x" * 8192


def test_a_wrong_offset_gets_djangos_409(alice, handovers):
    upload = new_upload(alice, 10)
    assert patch(alice, upload, 0, [b"hello"]).status == 204
    answer = patch(alice, upload, 3, [b"xxxxx"])
    assert answer.status == 409 and answer.headers["upload-offset"] == "5"
    assert b"offset_mismatch" in answer.body
    assert handovers == [f"/api/v1/uploads/{upload.pk}"]
    upload.refresh_from_db()
    assert upload.offset == 5


def test_a_body_past_the_length_gets_djangos_413(alice, settings, handovers):
    upload = new_upload(alice, 4)
    answer = patch(alice, upload, 0, [b"hello"])
    assert answer.status == 413 and b"too_large" in answer.body
    assert handovers == [f"/api/v1/uploads/{upload.pk}"]
    # Past the request size limit the body-limit middleware refuses it before anything reads it.
    settings.REQUEST_BODY_LIMITS = [("/api/v1/uploads", 3)]
    refused = patch(alice, upload, 0, [b"hell"])
    assert refused.status == 413 and len(handovers) == 1
    upload.refresh_from_db()
    assert upload.offset == 0 and upload_path(upload).read_bytes() == b""


def test_unauthenticated_and_other_users_requests_go_to_django(alice, bob, handovers):
    upload = new_upload(alice, 10)
    path = f"/api/v1/uploads/{upload.pk}"
    anonymous = tus_headers(alice, 0, 5)
    del anonymous["authorization"]
    assert call("PATCH", path, anonymous, [b"hello"]).status == 401
    bad_token = tus_headers(alice, 0, 5, authorization="Bearer not-a-token")
    assert call("PATCH", path, bad_token, [b"hello"]).status == 401
    assert patch(bob, upload, 0, [b"hello"]).status == 404
    assert handovers == [path, path, path]
    upload.refresh_from_db()
    assert upload.offset == 0


@pytest.mark.parametrize(
    "extra",
    [
        {"tus-resumable": "0.2.2"},  # 412 from the view
        {"content-type": "application/json"},  # 415
        {"upload-offset": "\xb2"},  # 400
        {"cookie": "sessionid=abc"},  # session auth (and its CSRF check) stay Django's
        {"accept": "text/html"},  # content negotiation is DRF's
    ],
)
def test_unusual_requests_go_to_django_unread(alice, handovers, extra):
    upload, reference = new_upload(alice, 10), new_upload(alice, 10)
    answer = patch(alice, upload, 0, [b"hello"], headers=extra)
    assert handovers == [f"/api/v1/uploads/{upload.pk}"]
    django_alone = call(
        "PATCH", f"/api/v1/uploads/{reference.pk}", tus_headers(alice, 0, 5, **extra), [b"hello"], app=LEAN.app
    )
    assert answer.status == django_alone.status
    if answer.headers.get("content-type") == "application/json":  # (the browsable API's page names the upload)
        assert answer.body == django_alone.body


def test_a_locked_upload_goes_to_django(alice, handovers):
    """Another request holds the file: Django answers (409 upload_locked) and nothing is written."""
    upload = new_upload(alice, 10)
    with open(upload_path(upload), "r+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        answer = patch(alice, upload, 0, [b"hello"])
    assert answer.status == 409 and b"upload_locked" in answer.body
    assert handovers == [f"/api/v1/uploads/{upload.pk}"]


def test_a_row_changed_mid_body_answers_409_with_the_new_offset(alice, handovers, monkeypatch):
    """The offset's compare-and-swap still guards the lean path: a change while the body arrives is
    a 409 in the API's error format, with where to resume."""
    upload = new_upload(alice, 10)
    finish = services.upload_append_finish

    def changed_meanwhile(*, append):
        Upload.objects.filter(pk=upload.pk).update(offset=2)
        return finish(append=append)

    monkeypatch.setattr(tus_app.services, "upload_append_finish", changed_meanwhile)

    answer = patch(alice, upload, 0, [b"hel", b"lo"])

    assert answer.status == 409
    assert answer.body == b'{"detail":"The upload changed during this request.","code":"offset_mismatch"}'
    assert answer.headers["upload-offset"] == "2" and answer.headers["content-type"] == "application/json"
    assert answer.headers["tus-resumable"] == "1.0.0" and answer.headers["cache-control"] == "no-store"
    assert handovers == []


def test_s3_mode_and_the_switch_send_everything_to_django(alice, settings, handovers, monkeypatch):
    upload = new_upload(alice, 10)
    settings.VIDEO_UPLOAD_LEAN = False
    assert patch(alice, upload, 0, [b"he"]).status == 204
    settings.VIDEO_UPLOAD_LEAN = True
    monkeypatch.setattr(tus_app.storage, "is_local", lambda: False)
    seen = []

    async def fake_django(scope, receive, send):
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    monkeypatch.setattr(LEAN, "app", fake_django)
    patch(alice, upload, 2, [b"llo"])
    assert handovers == [f"/api/v1/uploads/{upload.pk}"] and len(seen) == 1
