"""The channels-redis layer with a bounded socket timeout.

channels-redis receives with a blocking BZPOPMIN of ``brpop_timeout`` seconds (5 by default), so
its connections cannot have a socket timeout shorter than that; a shorter block lets the socket
timeout be short too, so a frozen Redis costs a group_send at most
``CHANNEL_LAYER_RECEIVE_BLOCK_S + REDIS_SOCKET_TIMEOUT_S`` instead of redis-py's default 5 s x retries.
"""

from channels_redis.core import RedisChannelLayer
from django.conf import settings


class BoundedRedisChannelLayer(RedisChannelLayer):
    @property
    def brpop_timeout(self) -> int:
        return settings.CHANNEL_LAYER_RECEIVE_BLOCK_S
