"""The Studio upload page in a real browser (Chromium via Playwright): tus-js-client uploads a small
generated clip with real progress, pauses, survives a page reload (resumes from the server's offset)
and the video becomes ready (transcoding runs eagerly in tests)."""

import subprocess
from pathlib import Path

import imageio_ffmpeg
from django.conf import settings
from django.urls import reverse

from accounts.tests.factories import UserFactory
from socialflow.tests.browser import (
    SCREENSHOTS,
    WATCH_PROGRESS,
    browser_marks,
    playwright_sync,
    signed_in_page,
)

TUS_JS = settings.NPM_STATIC["tus-js-client"] / "tus.min.js"

pytestmark = browser_marks(TUS_JS)


# The upload tus-js-client remembers for this file (its localStorage entry), and the server's offset
# for it (a tus HEAD from the page). Read through HTTP, not the ORM: the test's own queries would
# race the live server's writes (SQLite shared-cache table locks) and Playwright's event loop.
REMEMBERED_UPLOAD = """async () => {
  const key = Object.keys(localStorage).find((k) => k.startsWith("tus::"));
  if (!key) return null;
  const url = JSON.parse(localStorage.getItem(key)).uploadUrl;
  const r = await fetch(url, {method: "HEAD", headers: {"Tus-Resumable": "1.0.0"}});
  return {url: url, offset: Number(r.headers.get("Upload-Offset"))};
}"""


def make_clip(path: Path) -> Path:
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error", "-y"),
            *("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", "-f", "lavfi", "-i", "sine=frequency=440"),
            *("-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "3M", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-shortest", str(path)),
        ],
        check=True,
        timeout=60,
    )
    return path


def test_it_uploads_from_the_studio_with_progress_pause_and_resume_after_reload(live_server, settings, tmp_path):
    settings.VIDEO_STUDIO_CHUNK_BYTES = 64 * 1024  # several PATCH requests for a ~0.5 MB clip
    clip = make_clip(tmp_path / "clip.mp4")
    assert clip.stat().st_size > 4 * settings.VIDEO_STUDIO_CHUNK_BYTES
    alice = UserFactory(username="alice")
    upload_url = live_server.url + reverse("videos:upload")
    with signed_in_page(live_server, alice) as page:
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        page.on("framenavigated", lambda frame: console.append(f"navigated: {frame.url}"))
        page.on("response", lambda r: console.append(f"{r.request.method} {r.url} -> {r.status}"))
        page.goto(upload_url)
        page.evaluate(WATCH_PROGRESS)
        page.set_input_files("input[name=file]", str(clip))
        page.fill("input[name=title]", "Browser upload")
        # A slow uplink (Chromium's network emulation), so the bar can be watched and paused mid-way.
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        throttle = {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 150 * 1024}
        cdp.send("Network.emulateNetworkConditions", throttle)
        page.click("#upload-form button[type=submit]")
        try:
            page.wait_for_function("window.__seen.some((v) => v > 0)", polling=20, timeout=30_000)
        except playwright_sync.Error as exc:
            raise AssertionError(f"{exc}; browser said: {console}") from exc
        page.click("#pause")
        paused_at = page.eval_on_selector("#upload-progress", "bar => Number(bar.value)")
        assert 0 < paused_at < 100
        page.wait_for_timeout(700)
        assert "Paused" in page.inner_text("#upload-status")
        remembered = page.evaluate(REMEMBERED_UPLOAD)
        offset = remembered["offset"]
        assert 0 < offset < clip.stat().st_size

        # A reload: tus-js-client finds the upload by its fingerprint in localStorage and resumes it.
        cdp.send("Network.emulateNetworkConditions", {**throttle, "uploadThroughput": 400 * 1024})
        page.reload()
        page.evaluate(WATCH_PROGRESS)
        first_try = len(console)
        page.set_input_files("input[name=file]", str(clip))
        page.click("#upload-form button[type=submit]")
        page.wait_for_function("window.__seen.includes(100)", polling=20, timeout=120_000)
        seen = page.evaluate("window.__seen")
        assert any(0 < value < 100 for value in seen), seen  # real progress, not a jump
        moved = [value for value in seen if value > 0]  # the bar starts at 0 on the fresh page
        assert moved[0] >= int(offset * 100 / clip.stat().st_size)  # resumed from the offset, not restarted
        created_after_reload = [line for line in console[first_try:] if line.startswith("POST") and "/uploads/" in line]
        assert not created_after_reload, created_after_reload  # the same upload continued (no new one)
        assert any(line.startswith(f"PATCH {remembered['url']}") for line in console[first_try:])
        page.wait_for_url(live_server.url + reverse("videos:index"), timeout=120_000)
        page.wait_for_selector("tr[data-status=ready]", timeout=180_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "studio-upload-ready.png"), full_page=True)
        assert "Browser upload" in page.inner_text("table")
