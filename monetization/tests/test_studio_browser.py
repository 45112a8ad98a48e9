"""The Studio earnings page in a real browser (Debian's Chromium via Playwright): a creator with tips,
a membership payment and a revenue share sees the stacked earnings chart drawn (a canvas with
pixels, by day and by month), the balances, and creates a tier and edits it through the page's
forms, text shown escaped. Screenshots go to var/screenshots/."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings

from accounts.tests.factories import UserFactory
from monetization import services
from monetization.models import MembershipTier, Source
from socialflow.core.money import Money
from socialflow.tests.browser import SCREENSHOTS, browser_marks, signed_in_page

CHART_JS = settings.NPM_STATIC["chart.js"] / "chart.umd.min.js"

pytestmark = browser_marks(CHART_JS)

# How many pixels of the earnings chart are painted, and what Chart.js holds.
PAINTED = """() => {
  const canvas = document.getElementById("chart-earnings-usd");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
  const chart = Chart.getChart(canvas);
  return {painted: painted, width: canvas.width, stacked: chart && chart.options.scales.y.stacked,
          datasets: chart ? chart.data.datasets.map((d) => [d.label, d.data.reduce((a, b) => a + b, 0)]) : null};
}"""


def _earn(user, minor, key, source, when):
    with time_machine.travel(when, tick=False):
        services.ledger_post_earning(
            creator=user, gross=Money(minor, "USD"), source=source, idempotency_key=key, fee_bps=0
        )


def test_earnings_chart_balances_and_tiers_in_a_browser(live_server, settings, monkeypatch, local_stripe):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    alice = UserFactory(username="alice")
    now = datetime.now(UTC)
    _earn(alice, 1250, "tip-1", Source.TIP, now - timedelta(days=2))
    _earn(alice, 800, "tip-2", Source.TIP, now - timedelta(days=1))
    _earn(alice, 499, "member-1", Source.MEMBERSHIP, now - timedelta(days=1))
    _earn(alice, 3000, "share-1", Source.REVENUE_SHARE, now - timedelta(days=3))
    with signed_in_page(live_server, alice, viewport={"width": 1280, "height": 900}) as page:
        console: list[str] = []
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))

        page.goto(live_server.url + "/studio/monetization/")
        page.wait_for_function("window.Chart && Chart.getChart(document.getElementById('chart-earnings-usd'))")
        state = page.evaluate(PAINTED)
        assert state["width"] > 0 and state["painted"] > 500 and state["stacked"], (state, console)
        assert dict(state["datasets"]) == {"Membership": 4.99, "Tip": 20.5, "Revenue share": 30.0}
        assert page.inner_text("#pending-usd") == "$55.49"
        page.screenshot(path=str(SCREENSHOTS / "earnings-1-by-day.png"), full_page=True)

        page.click("text=Last 12 months, by month")
        page.wait_for_function("window.Chart && Chart.getChart(document.getElementById('chart-earnings-usd'))")
        by_month = page.evaluate(PAINTED)
        assert by_month["painted"] > 500 and len(by_month["datasets"]) == 3, by_month

        # A tier through the page's form (a Stripe Price on the local server), then renamed.
        page.fill("#tier-create input[name=tier-name]", "Gold <b>fans</b>")
        page.fill("#tier-create input[name=tier-price]", "4.99")
        page.click("#tier-create button[type=submit]")
        tier = f"form.tier[data-tier-id='{MembershipTier.objects.get(creator=alice).pk}']"
        page.wait_for_selector(tier)
        assert page.input_value(f"{tier} input[name=name]") == "Gold <b>fans</b>"  # text, not markup
        assert "$4.99 / month" in page.inner_text(tier)
        page.fill(f"{tier} input[name=name]", "Platinum")
        page.click(f"{tier} button[type=submit]")
        page.wait_for_selector("text=Tier saved.")
        assert MembershipTier.objects.get(creator=alice).name == "Platinum"
        page.screenshot(path=str(SCREENSHOTS / "earnings-2-tiers.png"), full_page=True)
        assert not console, console
