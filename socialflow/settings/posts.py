"""Posts and feeds: limits, timelines, trending."""

from datetime import timedelta

from socialflow.envtools import env

from .base import CELERY_BEAT_SCHEDULE

POST_MAX_LENGTH = env.int("POST_MAX_LENGTH", default=500)
POST_MAX_MEDIA = env.int("POST_MAX_MEDIA", default=4)
POST_MEDIA_MAX_BYTES = env.int("POST_MEDIA_MAX_BYTES", default=10 * 1024 * 1024)
POST_RATE_LIMIT = (env.int("POST_RATE_LIMIT", default=300), env.int("POST_RATE_PERIOD_S", default=3 * 3600))
FEED_TIMELINE_CAP = env.int("FEED_TIMELINE_CAP", default=800)  # entries kept per home timeline
FEED_REPOST_WINDOW = env.int("FEED_REPOST_WINDOW", default=40)  # no repost of one of the newest N
FEED_ACTIVE_DAYS = env.int("FEED_ACTIVE_DAYS", default=7)  # fan out only to users seen this recently
FEED_CELEBRITY_FOLLOWERS = env.int("FEED_CELEBRITY_FOLLOWERS", default=10_000)  # merged at read time
FEED_FANOUT_BATCH = env.int("FEED_FANOUT_BATCH", default=1000)
FEED_REBUILD_PER_AUTHOR = env.int("FEED_REBUILD_PER_AUTHOR", default=20)
FEED_STORE = env.str("FEED_STORE", default="redis")  # "redis" | "db"
FOR_YOU_WINDOW_HOURS = env.int("FOR_YOU_WINDOW_HOURS", default=72)
TRENDING_WINDOW_HOURS = env.int("TRENDING_WINDOW_HOURS", default=24)
TRENDING_HALF_LIFE_HOURS = env.float("TRENDING_HALF_LIFE_HOURS", default=6.0)
CELERY_BEAT_SCHEDULE["posts-recount-counters"] = {
    "task": "posts.tasks.recount_counters",
    "schedule": timedelta(hours=6),
}
CELERY_BEAT_SCHEDULE["posts-trim-timelines"] = {
    "task": "posts.tasks.trim_timelines",
    "schedule": timedelta(hours=1),
}
