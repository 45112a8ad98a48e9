"""Websocket authentication: a JWT access token in ``?token=`` or, failing that, the session cookie.

Anonymous connections are allowed through with ``AnonymousUser``; each consumer decides what an
anonymous user may do (e.g. read chat but not write).
"""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.api.authentication import JWTAuthentication


@database_sync_to_async
def user_from_token(raw_token: str):
    auth = JWTAuthentication()
    try:
        validated = auth.get_validated_token(raw_token.encode())
        user = auth.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return None
    if not user.is_active or user.is_banned:
        return None
    return user


class JWTAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        if token:
            scope["user"] = await user_from_token(token) or AnonymousUser()
            scope["token_invalid"] = isinstance(scope["user"], AnonymousUser)
        elif getattr(scope.get("user"), "is_banned", False):
            # A session from before the ban (the HTTP side ends it in BannedSessionMiddleware).
            scope["user"] = AnonymousUser()
        return await self.inner(scope, receive, send)


def JWTAuthMiddlewareStack(inner):
    # Session auth runs first (outer), the token (inner) overrides it when present.
    return AuthMiddlewareStack(JWTAuthMiddleware(inner))
