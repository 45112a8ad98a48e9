import pytest
import stripe

from monetization import webhooks
from monetization.models import Tip
from monetization.tests.stripe_local import LocalStripe


@pytest.fixture(autouse=True)
def _ledger_settings(settings):
    settings.MONETIZATION_PLATFORM_FEE_BPS = 1000
    settings.MONETIZATION_HOLD_DAYS = 7


@pytest.fixture(scope="session")
def _local_stripe_server(tmp_path_factory):
    # One per test process: localstripe's aiohttp app is a module global, bound to one event loop.
    server = LocalStripe(tmp_path_factory.mktemp("devstripe") / "devstripe.pickle").start()
    yield server
    server.stop()


@pytest.fixture
def local_stripe(_local_stripe_server, settings, monkeypatch):
    """The local Stripe-compatible server (emptied), in this process; stripe-python talks to it."""
    server = _local_stripe_server
    server.reset()
    monkeypatch.setattr(stripe, "api_base", server.url)
    settings.STRIPE_API_HOST = server.url
    return server


@pytest.fixture
def endpoint(local_stripe):
    # dj-stripe asks the server for the platform account (GET /v1/account) while recording events.
    return webhooks.webhook_endpoint_ensure()


@pytest.fixture
def pending_tip(alice, bob):
    return Tip.objects.create(
        fan=bob,
        creator=alice,
        amount_minor=500,
        currency="USD",
        processing_fee_minor=45,
        platform_fee_minor=50,
        payment_intent_id="pi_test_1",
    )
