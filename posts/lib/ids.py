"""Time-ordered 64-bit ids (Snowflake/Mastodon style): ``ms since EPOCH << 16 | sequence``.

Sorting by id sorts by creation time, so a feed sorted set can be scored by the id itself and a
cursor is just "ids below this one". The low 16 bits start at a random offset per process and
increase, so ids from one process are strictly increasing and two processes rarely collide (the
primary key constraint catches the rest).
"""

import random
import threading
import time
from datetime import datetime

EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
SEQUENCE_BITS = 16
SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1

_lock = threading.Lock()
_state = {"ms": 0, "seq": random.randrange(SEQUENCE_MASK + 1)}


def next_id() -> int:
    with _lock:
        now_ms = int(time.time() * 1000) - EPOCH_MS
        if now_ms > _state["ms"]:
            _state["ms"] = now_ms
            _state["seq"] = random.randrange(SEQUENCE_MASK // 2)
        else:
            _state["seq"] += 1
            if _state["seq"] > SEQUENCE_MASK:  # 65,536 ids in one millisecond: borrow the next one
                _state["ms"] += 1
                _state["seq"] = 0
        return (_state["ms"] << SEQUENCE_BITS) | _state["seq"]


def id_at(moment: datetime) -> int:
    """The smallest id that could be created at ``moment`` (a lower bound for time windows)."""
    ms = int(moment.timestamp() * 1000) - EPOCH_MS
    return max(ms, 0) << SEQUENCE_BITS


def id_to_ms(post_id: int) -> int:
    return (post_id >> SEQUENCE_BITS) + EPOCH_MS
