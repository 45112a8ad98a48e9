"""Authentication flows for the API: password (+ second factor) login, email verification,
password reset and change. allauth's models and token generator are used, so the keys and links
in emails work in the API and on allauth's web pages alike."""

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, get_emailconfirmation_model
from allauth.account.utils import url_str_to_user_pk
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import selectors
from accounts.models import User
from accounts.services.mfa import mfa_code_verify
from accounts.services.tokens import TokenPair, token_pair_issue, tokens_revoke_all
from socialflow.core.exceptions import InvalidInput, PermissionDenied, Unauthenticated
from socialflow.reliability.queue import enqueue_on_commit

INVALID_CREDENTIALS = "No active account found with the given credentials."


def user_authenticate(*, login: str, password: str, otp: str | None = None) -> User:
    """Check a password login (username or email) and, when enabled, the second factor.

    Unknown account, wrong password and deleted account answer identically (no enumeration, and
    the password is hashed either way so timing does not tell). Only after the full proof of
    identity does a ban show its message (403 ``banned``).
    """
    user = selectors.user_get_for_login(login=login)
    if user is None:
        User().set_password(password)  # same hashing cost as a real check
        raise Unauthenticated(INVALID_CREDENTIALS, code="invalid_credentials")
    if not user.check_password(password) or not user.is_active or user.is_deleted:
        raise Unauthenticated(INVALID_CREDENTIALS, code="invalid_credentials")
    if selectors.user_has_totp(user=user):
        if not otp:
            raise Unauthenticated("A two-factor authentication code is required.", code="otp_required")
        if not mfa_code_verify(user=user, code=otp):
            raise Unauthenticated("The two-factor authentication code is invalid.", code="otp_invalid")
    if user.is_banned:
        raise PermissionDenied(user.ban_message(), code="banned")
    if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory" and not selectors.user_email_verified(user=user):
        raise PermissionDenied("Verify your email address first.", code="email_unverified")
    return user


def user_login(*, login: str, password: str, otp: str | None = None) -> TokenPair:
    user = user_authenticate(login=login, password=password, otp=otp)
    return token_pair_issue(user=user)


@transaction.atomic
def email_address_verify(*, key: str) -> EmailAddress:
    """Confirm an email address with the key from the verification email (allauth's HMAC key)."""
    confirmation = get_emailconfirmation_model().from_key(key)
    address = confirmation.email_address if confirmation else None
    if address is None or address.user.is_deleted:
        raise InvalidInput("This verification link is invalid or has expired.", field="key", code="invalid_key")
    if EmailAddress.objects.filter(email__iexact=address.email, verified=True).exclude(pk=address.pk).exists():
        raise InvalidInput("This email address is already verified by another account.", field="key")
    EmailAddress.objects.filter(pk=address.pk, verified=False).update(verified=True)
    address.verified = True
    if not EmailAddress.objects.filter(user_id=address.user_id, primary=True).exclude(pk=address.pk).exists():
        address.set_as_primary()
    return address


def email_verification_resend(*, user: User) -> None:
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=False).first()
    if address is not None:
        enqueue_on_commit("accounts.tasks.send_email_verification", address.pk, False)


def password_reset_request(*, email: str) -> None:
    """Email a reset link to the account with ``email`` — or, if there is none, a short note saying
    so (as allauth does). The caller answers 202 either way; the work happens in a task."""
    email = email.strip()
    user = selectors.user_get_for_password_reset(email=email)
    if user is not None:
        enqueue_on_commit("accounts.tasks.send_password_reset", user.pk)
    elif settings.ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS:
        enqueue_on_commit("accounts.tasks.send_unknown_account_email", email)


def password_reset_token_make(*, user: User) -> tuple[str, str]:
    """(uid, token) as allauth's web flow encodes them: base36 id and an email-aware token that
    dies when the password (or last login) changes — single use."""
    from allauth.account.utils import user_pk_to_url_str

    return user_pk_to_url_str(user), default_token_generator.make_token(user)


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    invalid = InvalidInput("This password reset link is invalid or has expired.", field="token", code="invalid_token")
    try:
        pk = url_str_to_user_pk(uid)
    except (ValueError, TypeError, OverflowError, ValidationError) as exc:
        raise invalid from exc
    user = User.objects.select_for_update().filter(pk=pk, is_active=True, deleted_at__isnull=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise invalid
    _password_set(user=user, new_password=new_password)
    # Following the link proved control of the mailbox.
    EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=False).update(verified=True)
    return user


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> TokenPair:
    """Change the password, sign out every other session and return a fresh pair for this one."""
    if not user.check_password(old_password):
        raise InvalidInput("The current password is not correct.", field="old_password")
    _password_set(user=user, new_password=new_password)
    return token_pair_issue(user=user)


def _password_set(*, user: User, new_password: str) -> None:
    """Validate and store a new password, then sign out every session (its tokens die)."""
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise InvalidInput(errors={"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens_revoke_all(user_id=user.pk)
