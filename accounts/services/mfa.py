"""Two-factor authentication on allauth.mfa's own machinery (TOTP + recovery codes).

The web pages keep the pending TOTP secret in the session; API clients have no session, so the
pending secret lives in the cache under the user's id for ``TOTP_SETUP_TIMEOUT`` seconds.
"""

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.internal.flows.add import validate_can_add_authenticator
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, validate_totp_code
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from socialflow.core.exceptions import Conflict, InvalidInput, PermissionDenied

TOTP_SETUP_TIMEOUT = 15 * 60


def _conflict(detail: str):
    return Conflict(detail, code="totp_enabled")


def _ensure_may_add(user: User) -> None:
    """allauth's rule for its web pages too: no 2FA on an unverified address. Otherwise someone who
    signs up with another person's email could turn 2FA on and keep the owner out for good (a
    password reset would still need the squatter's codes)."""
    try:
        validate_can_add_authenticator(user)
    except ValidationError as exc:
        raise PermissionDenied(
            "Verify your email address before turning on two-factor authentication.", code="email_unverified"
        ) from exc


def _pending_key(user_id: int) -> str:
    return f"accounts:totp-pending:{user_id}"


def totp_setup_begin(*, user: User) -> tuple[str, str]:
    """Start enabling TOTP: a new secret (pending until confirmed) and its ``otpauth://`` URI."""
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        raise _conflict("Two-factor authentication is already enabled.")
    _ensure_may_add(user)
    secret = generate_totp_secret()
    cache.set(_pending_key(user.pk), secret, timeout=TOTP_SETUP_TIMEOUT)
    return secret, get_mfa_adapter().build_totp_url(user, secret)


@transaction.atomic
def totp_setup_confirm(*, user: User, code: str) -> list[str]:
    """Activate TOTP once the app shows a valid code; returns fresh recovery codes (shown once)."""
    _ensure_may_add(user)
    secret = cache.get(_pending_key(user.pk))
    if not secret:
        raise InvalidInput("Start the setup first (POST auth/2fa/totp); it may have expired.", field="code")
    if not validate_totp_code(secret, code):
        raise InvalidInput("Incorrect code.", field="code", code="otp_invalid")
    Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).delete()
    try:
        with transaction.atomic():
            totp = TOTP.activate(user, secret)
    except IntegrityError as exc:
        raise _conflict("Two-factor authentication is already enabled.") from exc
    totp.validate_code(code)  # marks this code as used: it cannot be replayed to log in
    codes = RecoveryCodes.activate(user).generate_codes()
    transaction.on_commit(lambda: cache.delete(_pending_key(user.pk)))
    return codes


@transaction.atomic
def mfa_code_verify(*, user: User, code: str) -> bool:
    """A current TOTP code or an unused recovery code (which is then used up).

    Locks the user's authenticator rows: allauth marks a recovery code used by rewriting the row's
    JSON, so two logins racing with one code would otherwise both pass (and lose each other's marks).
    """
    code = str(code).strip().replace(" ", "")
    if not code:
        return False
    authenticators = {
        a.type: a
        for a in Authenticator.objects.select_for_update().filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
        )
    }
    totp = authenticators.get(Authenticator.Type.TOTP)
    if totp is not None and totp.wrap().validate_code(code):
        totp.record_usage()
        return True
    recovery = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    if recovery is not None and recovery.wrap().validate_code(code):
        recovery.record_usage()
        return True
    return False


@transaction.atomic
def totp_disable(*, user: User, code: str) -> None:
    """Turn two-factor authentication off; needs a current code (or a recovery code)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        raise InvalidInput("Two-factor authentication is not enabled.", field="code", code="totp_disabled")
    if not mfa_code_verify(user=user, code=code):
        raise InvalidInput("Incorrect code.", field="code", code="otp_invalid")
    Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
    ).delete()


@transaction.atomic
def recovery_codes_regenerate(*, user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working); needs a current TOTP code."""
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is None:
        raise InvalidInput("Two-factor authentication is not enabled.", field="code", code="totp_disabled")
    if not totp.wrap().validate_code(str(code).strip()):
        raise InvalidInput("Incorrect code.", field="code", code="otp_invalid")
    Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).delete()
    return RecoveryCodes.activate(user).generate_codes()
