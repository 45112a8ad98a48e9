"""Web Push endpoints are URLs a browser hands us: only public https push services may be called.

Without this a subscription naming ``https://127.0.0.1:6379/`` (or a private address, or a name
resolving to one) made the worker send requests into our own network once VAPID was configured.
Two layers: :func:`webpush_endpoint_problem` refuses such endpoints at registration (after
resolving the name), and :func:`guarded_session` checks the address each connection actually
reaches, so a name that resolves differently at send time (DNS rebinding) is refused as well.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

HTTPS_PORT = 443
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def is_public_address(address: str) -> bool:
    """A globally routable unicast address (not loopback, private, link-local, reserved, CGNAT, …)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, HTTPS_PORT, type=socket.SOCK_STREAM)]


def webpush_endpoint_problem(url: str, *, resolve=None) -> str | None:
    """Why ``url`` may not be used as a Web Push endpoint, or ``None`` when it may.

    A name that does not resolve right now is allowed (the send-time guard checks the address it
    reaches); one that resolves to any non-public address is not.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The push endpoint is not a valid URL."
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme != "https" or not host:
        return "The push endpoint must be an https URL."
    if parts.username is not None or parts.password is not None:
        return "The push endpoint must not carry credentials."
    if port not in (None, HTTPS_PORT):
        return "The push endpoint must use the standard https port (443)."
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return "The push endpoint must be a public push service."
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if "." not in host:
            return "The push endpoint must be a public push service."
        try:
            addresses = (resolve or _resolve)(host)
        except (OSError, UnicodeError):
            return None
    else:
        addresses = [host]
    if not addresses or not all(is_public_address(address) for address in addresses):
        return "The push endpoint must be a public push service."
    return None


class _PublicOnlyHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if not is_public_address(peer):
            sock.close()
            raise NewConnectionError(self, f"refused to connect to non-public address {peer}")
        return sock


class _PublicOnlyHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicOnlyHTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"https": _PublicOnlyHTTPSPool}


def guarded_session() -> requests.Session:
    """A session that only speaks https to public addresses: no proxies from the environment, no
    redirects (a push service answers directly), plain http refused."""
    session = requests.Session()
    session.trust_env = False
    session.max_redirects = 0
    session.mount("https://", _PublicOnlyAdapter())
    session.mount("http://", _PublicOnlyAdapter())  # no http pool class: urllib3 refuses the scheme
    return session
