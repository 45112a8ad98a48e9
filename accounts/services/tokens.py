"""JWT pairs (simplejwt) and their revocation. Refresh tokens are recorded as outstanding tokens, so
"log out everywhere" (ban, deletion, password reset or change) is one bulk blacklist insert."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from socialflow.core.exceptions import PermissionDenied, Unauthenticated

INVALID_TOKEN = "The token is invalid, expired or revoked."  # noqa: S105 - a message, not a secret


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _pair_for(user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)  # records the OutstandingToken row
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


@transaction.atomic
def token_pair_issue(*, user: User) -> TokenPair:
    """A fresh access/refresh pair for an authenticated user (records the login time)."""
    pair = _pair_for(user)
    if settings.SIMPLE_JWT.get("UPDATE_LAST_LOGIN"):
        update_last_login(None, user)
    return pair


def _parse_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # checks signature, expiry and the blacklist
    except TokenError as exc:
        raise Unauthenticated(INVALID_TOKEN, code="token_not_valid") from exc


@transaction.atomic
def token_pair_refresh(*, refresh: str) -> TokenPair:
    """Rotate: the presented refresh token is blacklisted and a new pair issued.

    Two concurrent refreshes with the same token: only the one that creates the blacklist row wins.
    """
    token = _parse_refresh(refresh)
    user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active or user.is_deleted:
        raise Unauthenticated("No active account found for the given token.", code="no_active_account")
    if user.is_banned:
        raise PermissionDenied(user.ban_message(), code="banned")
    _blacklisted, created = token.blacklist()
    if not created:
        raise Unauthenticated(INVALID_TOKEN, code="token_not_valid")
    return _pair_for(user)


@transaction.atomic
def token_revoke(*, refresh: str, user: User) -> None:
    """Log out one session: blacklist ``refresh``, which must belong to ``user``."""
    token = _parse_refresh(refresh)
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise Unauthenticated(INVALID_TOKEN, code="token_not_valid")
    token.blacklist()


def tokens_revoke_all(*, user_id: int) -> int:
    """Blacklist every unexpired refresh token of the user ("log out everywhere"). Idempotent.

    Access tokens die with them too: they carry a hash of the password (CHECK_REVOKE_TOKEN) and bans
    and deletion are checked on every request.
    """
    outstanding = OutstandingToken.objects.filter(
        user_id=user_id, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).values_list("pk", flat=True)
    rows = [BlacklistedToken(token_id=pk) for pk in outstanding]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
