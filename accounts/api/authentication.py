"""DRF authentication that also enforces bans and soft deletion on every authenticated request."""

from rest_framework import authentication, exceptions
from rest_framework_simplejwt import authentication as jwt_authentication

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
