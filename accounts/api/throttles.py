"""Throttles for the sensitive endpoints. Counters live in Redis (one atomic call per request,
``socialflow.api.throttling``), so limits hold across processes and servers. Rates come from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` and are read per request (tests override them)."""

import hashlib

from rest_framework.settings import api_settings

from socialflow.api.throttling import FixedWindowThrottle


class _ScopedThrottle(FixedWindowThrottle):
    """A fixed-window counter in one atomic Redis call (``socialflow.api.throttling``).

    DRF's default keeps a list of timestamps with get-then-set, which a burst of parallel requests
    (exactly what a password guesser sends) slips through; an atomic increment cannot be raced.

    ``scope`` names the rate; ``bucket`` (default: the scope) names the counter, so two endpoints
    may share a rate without one using up the other's allowance.
    """

    bucket: str = ""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def counter_key(self, kind: str, value) -> str:
        return f"throttle:{self.bucket or self.scope}:{kind}:{value}"

    def get_ident(self, request):
        # REMOTE_ADDR only: the ASGI server (uvicorn --proxy-headers, FORWARDED_ALLOW_IPS) already
        # resolved X-Forwarded-For from trusted proxies. DRF's default (NUM_PROXIES unset) would
        # trust a client-sent X-Forwarded-For and let a guesser rotate fake addresses.
        return request.META.get("REMOTE_ADDR") or "unknown"


class _PerIPThrottle(_ScopedThrottle):
    def get_cache_key(self, request, view):
        return self.counter_key("ip", self.get_ident(request))


class _PerIdentifierThrottle(_ScopedThrottle):
    """Keyed by the account the request names (so rotating IPs does not help guessing)."""

    fields: tuple[str, ...] = ()

    def get_cache_key(self, request, view):
        data = request.data  # a malformed body raises ParseError → 400 here, before any work
        if not isinstance(data, dict):
            return None
        for field in self.fields:
            value = data.get(field)
            if isinstance(value, str) and value.strip():
                digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
                return self.counter_key("id", digest)
        return None


class LoginIPThrottle(_PerIPThrottle):
    scope = "login"


class LoginIdentifierThrottle(_PerIdentifierThrottle):
    scope = "login"
    fields = ("username", "email")


class RegisterThrottle(_PerIPThrottle):
    scope = "register"


class PasswordResetIPThrottle(_PerIPThrottle):
    scope = "password_reset"


class PasswordResetEmailThrottle(_PerIdentifierThrottle):
    scope = "password_reset"
    fields = ("email",)


class PasswordResetConfirmThrottle(_PerIPThrottle):
    """The emailed token cannot be guessed; this only bounds the work. Its own counter: asking for
    a few reset emails must not lock the person out of using the one that arrives."""

    scope = "login"
    bucket = "password_reset_confirm"


class EmailVerifyThrottle(_PerIPThrottle):
    scope = "login"
    bucket = "email_verify"


class SensitiveUserThrottle(_ScopedThrottle):
    """Password change and 2FA codes: guessing per account, whatever the IP."""

    scope = "login"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return self.counter_key("ip", self.get_ident(request))
        return self.counter_key("user", request.user.pk)
