"""DRF authentication that also enforces bans and soft deletion on every authenticated request."""

from rest_framework import authentication, exceptions
from rest_framework_simplejwt import authentication as jwt_authentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.services import user_mark_seen


def ensure_user_may_act(user) -> None:
    if user.is_banned:
        raise exceptions.PermissionDenied(detail=user.ban_message(), code="banned")
    user_mark_seen(user=user)


class JWTAuthentication(jwt_authentication.JWTAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            ensure_user_may_act(result[0])
        return result


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            ensure_user_may_act(result[0])
        return result


def user_for_bearer(raw_token: str):
    """``(user, expires_at)`` for an access token ``JWTAuthentication`` accepts (signature, expiry,
    type, the user active, the password-change revocation claim) naming a user who is not banned,
    else ``None``: for an edge that answers the accepted ones itself and lets DRF answer the rest.
    Marks the user seen, as every authenticated API request does."""
    auth = jwt_authentication.JWTAuthentication()
    try:
        validated = auth.get_validated_token(raw_token.encode())
        user = auth.get_user(validated)
    except (InvalidToken, TokenError, exceptions.AuthenticationFailed):
        return None
    if not user.is_active or user.is_banned:
        return None
    user_mark_seen(user=user)
    return user, int(validated["exp"])
