"""Test helpers: TOTP codes, links from emails."""

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail


def totp_now(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def last_email_links(to: str | None = None) -> list[str]:
    messages = [m for m in mail.outbox if to is None or to in m.to]
    assert messages, "no email sent"
    return re.findall(r"https?://[^\s\"'<>]+", messages[-1].body)
