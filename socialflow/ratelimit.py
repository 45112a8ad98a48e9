"""Per-action rate limits (Mastodon-style: 300 posts per 3 h, 400 follows per day).

Request throttling (DRF throttles) protects the server; these protect the community. Counts live in
the cache (Redis in production, so they hold across processes) in fixed windows; while Redis is
unreachable they count per process (``socialflow.cache``).
"""

import time

from socialflow.cache import window_hit
from socialflow.core.exceptions import RateLimited


def action_rate_limit_hit(*, key: str, limit: int, period_s: int) -> None:
    """Count one action under ``key``; raise ``RateLimited`` once ``limit`` is exceeded."""
    window = int(time.time() // period_s)
    count = window_hit(f"ratelimit:{key}:{window}", ttl_s=period_s + 1)
    if count > limit:
        retry_after = (window + 1) * period_s - time.time()
        raise RateLimited(
            f"Too many of these actions: at most {limit} per {_human_period(period_s)}.", wait_s=retry_after
        )


def _human_period(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} day(s)"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour(s)"
    if seconds % 60 == 0:
        return f"{seconds // 60} minute(s)"
    return f"{seconds} seconds"
