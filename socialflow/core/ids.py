"""Ids from URLs and bodies: positive 64-bit integers, parsed without ever reaching the database."""

MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """An id from a URL or body as a positive 64-bit integer, or None (never a database error)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None
