"""Framework-free push senders: Web Push (VAPID), FCM HTTP v1 and APNs (provider token, HTTP/2).

Every sender returns a ``PushResult``; ``gone`` means the provider says the endpoint or token no
longer exists (HTTP 404/410, FCM ``UNREGISTERED``, APNs ``Unregistered``/``BadDeviceToken``) and
the caller should delete the device. Network errors are reported as not ok and not gone, so the
caller may retry. The only outbound HTTP calls are ``pywebpush.webpush`` and ``requests.post``.
"""

import json
import time
from dataclasses import dataclass

import httpx
import jwt
import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02, b64urlencode
from pywebpush import WebPushException, webpush

TIMEOUT_S = 10
GONE_STATUSES = frozenset({404, 410})


@dataclass(frozen=True)
class PushResult:
    ok: bool
    gone: bool = False
    status: int | None = None
    detail: str = ""


# --- Web Push --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VapidConfig:
    private_key: Vapid02
    subject: str  # "mailto:ops@example.com" or an https URL, required by push services


def load_vapid_key(value: str) -> Vapid02:
    """A VAPID private key from PEM (``vapid --gen``'s private_key.pem), base64url DER or raw."""
    value = value.strip()
    if value.startswith("-----BEGIN"):
        return Vapid02.from_pem(value.encode())
    return Vapid02.from_string(value)


def vapid_application_server_key(key: Vapid02) -> str:
    """The public key browsers pass to ``pushManager.subscribe`` (base64url, uncompressed point)."""
    raw = key.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(raw)


def send_webpush(
    *, endpoint: str, p256dh: str, auth: str, payload: dict, vapid: VapidConfig, ttl: int = 86400
) -> PushResult:
    try:
        response = webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=json.dumps(payload),
            vapid_private_key=vapid.private_key,
            vapid_claims={"sub": vapid.subject},
            ttl=ttl,
            timeout=TIMEOUT_S,
        )
    except WebPushException as exc:
        status = exc.status_code
        return PushResult(ok=False, gone=status in GONE_STATUSES, status=status, detail=str(exc.message)[:500])
    except requests.RequestException as exc:
        return PushResult(ok=False, detail=f"network error: {exc}"[:500])
    status = getattr(response, "status_code", None)
    return PushResult(ok=True, status=status)


# --- FCM HTTP v1 -------------------------------------------------------------------------------------

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
_fcm_token_cache: dict[str, tuple[str, float]] = {}


@dataclass(frozen=True)
class FcmConfig:
    project_id: str
    client_email: str
    private_key: str  # PEM of the service account
    token_uri: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
    endpoint: str = "https://fcm.googleapis.com/v1/projects/{project_id}/messages:send"

    @classmethod
    def from_service_account(cls, info: dict) -> "FcmConfig":
        return cls(
            project_id=info["project_id"],
            client_email=info["client_email"],
            private_key=info["private_key"],
            token_uri=info.get("token_uri") or cls.token_uri,
        )


def fcm_access_token(config: FcmConfig) -> str:
    """OAuth 2 access token by the service-account JWT bearer flow (RFC 7523), cached until expiry."""
    cached = _fcm_token_cache.get(config.client_email)
    now = time.time()
    if cached and cached[1] - 60 > now:
        return cached[0]
    assertion = jwt.encode(
        {
            "iss": config.client_email,
            "scope": FCM_SCOPE,
            "aud": config.token_uri,
            "iat": int(now),
            "exp": int(now) + 3600,
        },
        config.private_key,
        algorithm="RS256",
    )
    response = requests.post(
        config.token_uri,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
        timeout=TIMEOUT_S,
    )
    response.raise_for_status()
    body = response.json()
    _fcm_token_cache[config.client_email] = (body["access_token"], now + int(body.get("expires_in", 3600)))
    return body["access_token"]


def send_fcm(*, token: str, title: str, body: str, data: dict, config: FcmConfig) -> PushResult:
    try:
        access = fcm_access_token(config)
        response = requests.post(
            config.endpoint.format(project_id=config.project_id),
            json={
                "message": {
                    "token": token,
                    "notification": {"title": title, "body": body},
                    # FCM data values must be strings.
                    "data": {key: str(value) for key, value in data.items()},
                }
            },
            headers={"Authorization": f"Bearer {access}"},
            timeout=TIMEOUT_S,
        )
    except requests.RequestException as exc:
        return PushResult(ok=False, detail=f"network error: {exc}"[:500])
    if response.status_code == 200:
        return PushResult(ok=True, status=200)
    detail = response.text[:500]
    gone = response.status_code in GONE_STATUSES or "UNREGISTERED" in detail
    return PushResult(ok=False, gone=gone, status=response.status_code, detail=detail)


# --- APNs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApnsConfig:
    key_id: str
    team_id: str
    private_key: str  # the .p8 signing key (PEM, ES256)
    topic: str  # the app's bundle id
    endpoint: str = "https://api.push.apple.com"


# Apple accepts a provider token for an hour and throttles minting (TooManyProviderTokenUpdates when
# refreshed more often than every 20 minutes): one token per signing key, reused for 50 minutes.
APNS_TOKEN_TTL_S = 50 * 60
_apns_token_cache: dict[tuple[str, str], tuple[str, float]] = {}
# One HTTP/2 client per endpoint, kept open: Apple asks providers to reuse connections.
_apns_clients: dict[str, httpx.Client] = {}


def apns_provider_token(config: ApnsConfig, *, refresh: bool = False) -> str:
    """The ES256 provider token for this key, minted at most once per ``APNS_TOKEN_TTL_S``."""
    cache_key = (config.team_id, config.key_id)
    cached = _apns_token_cache.get(cache_key)
    now = time.time()
    if cached and not refresh and now - cached[1] < APNS_TOKEN_TTL_S:
        return cached[0]
    token = jwt.encode(
        {"iss": config.team_id, "iat": int(now)}, config.private_key, algorithm="ES256", headers={"kid": config.key_id}
    )
    _apns_token_cache[cache_key] = (token, now)
    return token


def apns_client(endpoint: str) -> httpx.Client:
    """HTTP/2 only (APNs refuses HTTP/1.1): ALPN ``h2`` over TLS; prior knowledge on a plain-text
    stand-in endpoint (tests)."""
    client = _apns_clients.get(endpoint)
    if client is None:
        client = _apns_clients[endpoint] = httpx.Client(http1=False, http2=True, timeout=TIMEOUT_S)
    return client


def _apns_post(*, token: str, payload: dict, config: ApnsConfig, refresh: bool = False) -> httpx.Response:
    return apns_client(config.endpoint).post(
        f"{config.endpoint.rstrip('/')}/3/device/{token}",
        content=json.dumps(payload, separators=(",", ":")).encode(),
        headers={
            "authorization": f"bearer {apns_provider_token(config, refresh=refresh)}",
            "apns-topic": config.topic,
            "apns-push-type": "alert",
            "content-type": "application/json",
        },
    )


def send_apns(*, token: str, title: str, body: str, data: dict, config: ApnsConfig) -> PushResult:
    payload = {"aps": {"alert": {"title": title, "body": body}, "sound": "default"}, **data}
    try:
        response = _apns_post(token=token, payload=payload, config=config)
        if response.status_code == 403 and "ExpiredProviderToken" in response.text:
            response = _apns_post(token=token, payload=payload, config=config, refresh=True)
    except httpx.HTTPError as exc:
        return PushResult(ok=False, detail=f"network error: {exc}"[:500])
    if response.status_code == 200:
        return PushResult(ok=True, status=200)
    detail = response.text[:500]
    gone = response.status_code == 410 or "BadDeviceToken" in detail or "Unregistered" in detail
    return PushResult(ok=False, gone=gone, status=response.status_code, detail=detail)
