"""Home timelines: one ``TimelineStore`` interface, two real stores (Redis sorted sets, a table).

``get_store()`` picks Redis when ``REDIS_URL`` is set (``FEED_STORE=redis``), else the database.
"""

from posts.feeds.stores import DatabaseTimelineStore, RedisTimelineStore, TimelineStore, get_store

__all__ = ["DatabaseTimelineStore", "RedisTimelineStore", "TimelineStore", "get_store"]
