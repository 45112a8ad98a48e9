"""The channels-redis layer with a bounded socket timeout, and a presence read for fan-outs.

channels-redis receives with a blocking BZPOPMIN of ``brpop_timeout`` seconds (5 by default), so
its connections cannot have a socket timeout shorter than that; a shorter block lets the socket
timeout be short too, so a frozen Redis costs a group_send at most
``CHANNEL_LAYER_RECEIVE_BLOCK_S + REDIS_SOCKET_TIMEOUT_S`` instead of redis-py's default 5 s x retries.
"""

import threading
from collections import defaultdict

import redis
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from socialflow.redis import connection_kwargs


class BoundedRedisChannelLayer(RedisChannelLayer):
    @property
    def brpop_timeout(self) -> int:
        return settings.CHANNEL_LAYER_RECEIVE_BLOCK_S

    def groups_with_members(self, groups: list[str]) -> set[str]:
        """Which of ``groups`` have a channel in them: one pipelined EXISTS per shard (synchronous).

        A group is a sorted set that Redis deletes with its last member (``group_discard``) or
        when nobody joined for ``group_expiry``; ``group_send`` to a group without its set finds no
        channel and sends nothing, yet costs two round trips. Skipping those groups changes no
        delivery: a set holding only stale members still exists and still gets its ``group_send``.
        Synchronous, on a bounded client behind the breaker (``socialflow.redis``), so a fan-out
        chunk with nobody online needs no event loop.
        """
        by_shard: dict[int, list[str]] = defaultdict(list)
        for group in groups:
            assert self.require_valid_group_name(group), "Group name not valid"
            by_shard[self.consistent_hash(group)].append(group)
        found: set[str] = set()
        for index, names in by_shard.items():
            pipe = self._sync_client(index).pipeline(transaction=False)
            for name in names:
                pipe.exists(self._group_key(name))
            found.update(name for name, exists in zip(names, pipe.execute(), strict=True) if exists)
        return found

    _sync_lock = threading.Lock()

    def _sync_client(self, index: int) -> redis.Redis:
        with self._sync_lock:
            clients = self.__dict__.setdefault("_sync_clients", {})
            if index not in clients:
                address = self.hosts[index]["address"]
                pool = redis.ConnectionPool.from_url(address, **connection_kwargs(address))
                clients[index] = redis.Redis(connection_pool=pool)
            return clients[index]
