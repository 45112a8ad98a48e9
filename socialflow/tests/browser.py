"""What the browser tests share: Debian's Chromium driven by Playwright (no `playwright install`),
the marks that skip them with the reason when the browser or the npm files are missing, and the
page scripts more than one of them runs. Screenshots go to var/screenshots/ (CI keeps them)."""

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="playwright (requirements-dev.txt) is not installed"
)


def browser_marks(*npm_files: Path) -> list:
    """The marks of a browser test module: slow, end to end, a live server's transactions, and a
    skip (with the way to fix it) without Chromium or without one of the npm files it serves."""
    return [
        pytest.mark.slow,
        pytest.mark.e2e,
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(
            CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it: apt-get install chromium)"
        ),
        *(
            pytest.mark.skipif(not f.is_file(), reason=f"needs node_modules/{f.parent.name} (make install runs npm ci)")
            for f in npm_files
        ),
    ]


@contextmanager
def signed_in_page(live_server, user, *, viewport: dict | None = None, chromium_args: list[str] | None = None):
    """A new Chromium page on ``live_server``, signed in as ``user`` (the session of a forced
    login); the browser is closed on the way out. ``viewport`` None is Playwright's default;
    ``chromium_args`` replace ``CHROMIUM_ARGS``."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=chromium_args or CHROMIUM_ARGS)
        try:
            context = browser.new_context(**({"viewport": viewport} if viewport else {}))
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
            yield context.new_page()
        finally:
            browser.close()


# Records every value the Studio upload's progress bar takes (to see it move, not jump).
WATCH_PROGRESS = """() => {
  window.__seen = [];
  const bar = document.getElementById("upload-progress");
  window.setInterval(() => {
    const v = Number(bar.value);
    if (window.__seen[window.__seen.length - 1] !== v) window.__seen.push(v);
  }, 5);
}"""
