"""Celery tasks for accounts: account emails (sent after commit) and the purge of deleted accounts.

Tasks take ids, re-fetch, and are safe to run twice (a verified address gets no second email).
"""

import logging

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress, get_emailconfirmation_model
from celery import shared_task

from accounts import selectors
from accounts.models import User
from accounts.services import password_reset_token_make, user_purge

logger = logging.getLogger(__name__)

PURGE_BATCH = 1000
EMAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": 30, "retry_kwargs": {"max_retries": 5}}


@shared_task(**EMAIL_RETRY)
def send_email_verification(email_address_id: int, signup: bool = True) -> bool:
    address = EmailAddress.objects.select_related("user").filter(pk=email_address_id, verified=False).first()
    if address is None or address.user.is_deleted:
        return False
    confirmation = get_emailconfirmation_model().create(address)
    get_adapter().send_confirmation_mail(None, confirmation, signup)
    return True


@shared_task(**EMAIL_RETRY)
def send_password_reset(user_id: int) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True, deleted_at__isnull=True).first()
    if user is None or not user.email:
        return False
    uid, token = password_reset_token_make(user=user)
    adapter = get_adapter()
    context = {
        "user": user,
        "uid": uid,
        "token": token,
        "key": token,
        "password_reset_url": adapter.get_reset_password_from_key_url(f"{uid}-{token}"),
        "username": user.username,
    }
    adapter.send_password_reset_mail(user, user.email, context)
    return True


@shared_task(**EMAIL_RETRY)
def send_unknown_account_email(email: str) -> bool:
    """Someone asked to reset the password of an address without an account (allauth's wording)."""
    if selectors.user_get_for_password_reset(email=email) is not None:
        return False
    adapter = get_adapter()
    adapter.send_mail("account/email/unknown_account", email, {"signup_url": adapter.absolute_url("account_signup")})
    return True


@shared_task
def purge_deleted_accounts() -> int:
    """Erase accounts deleted longer than ``ACCOUNT_PURGE_AFTER`` ago (scheduled hourly)."""
    purged = 0
    for user_id in list(selectors.users_due_for_purge().values_list("pk", flat=True)[:PURGE_BATCH]):
        if user_purge(user_id=user_id):
            purged += 1
    if purged:
        logger.info("purged deleted accounts", extra={"count": purged})
    return purged
