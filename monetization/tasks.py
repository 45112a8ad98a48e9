"""Celery tasks: thin wrappers over the ledger services."""

from celery import shared_task

from monetization import services
from monetization.ads import billing as ads_billing


@shared_task(acks_late=True)
def release_matured_earnings() -> int:
    """Periodic (hourly): pending earnings past MONETIZATION_HOLD_DAYS become available. Idempotent."""
    return services.ledger_release_matured()


@shared_task(acks_late=True)
def checkpoint_balances() -> int:
    """Periodic (hourly): a balance checkpoint for each account with many entries since its last."""
    return services.ledger_checkpoint_busy_accounts()


@shared_task(acks_late=True)
def allocate_revenue_shares() -> int:
    """Periodic (daily): the last whole UTC days' ad revenue shared out to creators and claimants. Idempotent."""
    return services.revenue_share_allocate_recent_days()


@shared_task(acks_late=True)
def post_ad_spend() -> int:
    """Periodic (ADS_BILLING_INTERVAL_S): campaigns' new spend posted, ended campaigns' rest released. Idempotent."""
    return ads_billing.campaigns_bill()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=8)
def membership_settle_duplicate(membership_id: int) -> int:
    """A fan's second subscription to one creator: cancel it on Stripe and refund its payments. Idempotent."""
    return services.membership_settle_duplicate(membership_id=membership_id)
