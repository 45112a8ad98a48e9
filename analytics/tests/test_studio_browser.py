"""The Studio and the public pages in a real browser (Debian's Chromium via Playwright): log in,
upload a generated clip through the Studio page and watch the progress bar move and the status reach
ready, play it on its public watch page (which reports the session, its traffic source and
heartbeats), open its analytics and see the charts drawn (canvases with pixels), and moderate a
comment. Screenshots go to var/screenshots/."""

from django.conf import settings
from django.urls import reverse

from accounts.tests.factories import UserFactory
from analytics import services
from socialflow.tests.browser import (
    CHROMIUM_ARGS,
    SCREENSHOTS,
    WATCH_PROGRESS,
    browser_marks,
    playwright_sync,
    signed_in_page,
)
from videos import selectors as video_selectors
from videos import services as video_services
from videos.lib.ffmpeg import make_test_clip

TUS_JS = settings.NPM_STATIC["tus-js-client"] / "tus.min.js"
CHART_JS = settings.NPM_STATIC["chart.js"] / "chart.umd.min.js"
CHROMIUM_ARGS = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]

pytestmark = browser_marks(TUS_JS, CHART_JS)

PLAYER_STATE = """() => { const p = document.getElementById('player'); return {
  time: p.currentTime, paused: p.paused, ended: p.ended, ready: p.readyState, network: p.networkState,
  error: p.error && p.error.message, src: p.currentSrc, data: Object.assign({}, p.dataset),
  h264: window.MediaSource && MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001f,mp4a.40.2"'),
  hls: !!(window.Hls && window.Hls.isSupported()) }; }"""

# How many pixels of each chart's canvas are painted (not fully transparent).
PAINTED = """() => Object.fromEntries(
  ["chart-daily", "chart-retention", "chart-sources", "chart-realtime"].map((id) => {
    const canvas = document.getElementById(id);
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
    return [id, {painted: painted, width: canvas.width, chart: !!Chart.getChart(canvas)}];
  })
)"""


def test_upload_play_analytics_and_moderate_in_a_browser(live_server, settings, tmp_path, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls (the flush,
    # a comment) happen while the browser is idle, so Django's async guard can stand down.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.VIDEO_STUDIO_CHUNK_BYTES = 64 * 1024
    settings.SITE_URL = live_server.url  # media links are absolute
    clip = make_test_clip(tmp_path / "clip.mp4", seconds=3)
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    with signed_in_page(
        live_server, alice, viewport={"width": 1280, "height": 900}, chromium_args=CHROMIUM_ARGS
    ) as page:
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))

        # 1. Upload through the Studio page; the bar moves, the status reaches ready.
        page.goto(live_server.url + reverse("videos:upload"))
        page.evaluate(WATCH_PROGRESS)
        page.set_input_files("input[name=file]", str(clip))
        page.fill("input[name=title]", "Browser analytics <b>clip</b>")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        throttle = {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 200 * 1024}
        cdp.send("Network.emulateNetworkConditions", throttle)
        page.click("#upload-form button[type=submit]")
        page.wait_for_function("window.__seen.includes(100)", polling=20, timeout=120_000)
        seen = page.evaluate("window.__seen")
        assert any(0 < value < 100 for value in seen), seen  # it moved, not a jump to 100
        cdp.send("Network.emulateNetworkConditions", {**throttle, "uploadThroughput": -1})
        page.wait_for_url(live_server.url + reverse("videos:index"), timeout=120_000)
        page.wait_for_selector("tr[data-status=ready]", timeout=180_000)
        video_id = int(page.get_attribute("tr[data-status=ready]", "data-video-id"))
        page.screenshot(path=str(SCREENSHOTS / "analytics-1-uploaded.png"), full_page=True)

        # 2. Play it on its public watch page, arriving from search.
        page.goto(f"{live_server.url}/v/{video_id}/?src=search")
        assert page.get_attribute("meta[property='og:type']", "content") == "video.other"
        page.wait_for_selector("#player")
        page.on("response", lambda r: console.append(f"{r.request.method} {r.url} -> {r.status}"))
        page.evaluate(
            "() => { const p = document.getElementById('player'); p.muted = true;"
            " p.play().catch((e) => console.log('play refused: ' + e)); }"
        )
        try:
            page.wait_for_function(
                "document.getElementById('player').ended || document.getElementById('player').currentTime > 2.9",
                timeout=60_000,
            )
            page.wait_for_function("document.getElementById('player').dataset.counted === '1'", timeout=30_000)
        except playwright_sync.Error as exc:
            state = page.evaluate(PLAYER_STATE)
            raise AssertionError(f"{exc}; player: {state}; browser said: {console}") from exc
        page.screenshot(path=str(SCREENSHOTS / "analytics-2-watched.png"), full_page=True)

        # The beat task's work (the browser is idle meanwhile); a comment to moderate.
        services.tracking_flush()
        video = video_selectors.video_for_event(video_id=video_id)
        comment = video_services.comment_create(video=video, author=bob, text="first! <i>spam</i>")

        # 3. Its analytics: the charts are drawn.
        page.goto(f"{live_server.url}/studio/analytics/videos/{video_id}/")
        page.wait_for_function("document.getElementById('realtime-total').textContent.includes('views')")
        painted = page.evaluate(PAINTED)
        for canvas, state in painted.items():
            assert state["chart"] and state["width"] > 0 and state["painted"] > 500, (canvas, state, console)
        assert page.inner_text("#kpi-views") == "1"
        assert "1 views · 1 sessions" in page.inner_text("#realtime-total")
        page.screenshot(path=str(SCREENSHOTS / "analytics-3-video-charts.png"), full_page=True)
        page.goto(f"{live_server.url}/studio/analytics/")
        page.wait_for_function("document.getElementById('realtime-total').textContent.includes('views')")
        assert all(state["painted"] > 500 for state in page.evaluate(PAINTED).values())
        page.screenshot(path=str(SCREENSHOTS / "analytics-4-channel.png"), full_page=True)

        # 4. Moderate the comment: hold it, then pin the other way round is refused, approve.
        page.goto(f"{live_server.url}/studio/videos/{video_id}/comments/")
        row = f"tr[data-comment-id='{comment.pk}']"
        assert "<i>spam</i>" in page.inner_text(row)  # shown as text, not markup
        page.click(f"{row} button[value=hold]")
        page.wait_for_selector(f"{row}[data-state=held]")
        page.click(f"{row} button[value=approve]")
        page.wait_for_selector(f"{row}[data-state=visible]")
        page.click(f"{row} button[value=pin]")
        page.wait_for_selector(f"{row} .badge.ready")
        page.screenshot(path=str(SCREENSHOTS / "analytics-5-comments.png"), full_page=True)
        assert not [line for line in console if line.startswith("pageerror")], console
