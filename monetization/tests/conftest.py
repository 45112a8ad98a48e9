import pytest


@pytest.fixture(autouse=True)
def _ledger_settings(settings):
    settings.MONETIZATION_PLATFORM_FEE_BPS = 1000
    settings.MONETIZATION_HOLD_DAYS = 7
