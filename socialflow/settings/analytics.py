"""Analytics (creator statistics, the Studio charts) and recommendations."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from socialflow.envtools import env

from .base import BASE_DIR, CELERY_BEAT_SCHEDULE, NPM_STATIC, STATICFILES_DIRS

# How often the tracking buffer (Redis) is drained into raw rows and daily aggregates.
ANALYTICS_FLUSH_SECONDS = env.int("ANALYTICS_FLUSH_SECONDS", default=30)
# Aggregated raw rows are deleted after this many days (the daily aggregates stay).
ANALYTICS_RAW_RETENTION_DAYS = env.int("ANALYTICS_RAW_RETENTION_DAYS", default=400)
# The longest from..to range one report may ask for.
ANALYTICS_MAX_RANGE_DAYS = env.int("ANALYTICS_MAX_RANGE_DAYS", default=366)
# Recommendations: the model is retrained this often from the interactions of the last N days.
RECOMMENDATIONS_TRAIN_MINUTES = env.int("RECOMMENDATIONS_TRAIN_MINUTES", default=60)
RECOMMENDATIONS_WINDOW_DAYS = env.int("RECOMMENDATIONS_WINDOW_DAYS", default=90)
RECOMMENDATIONS_NEIGHBOURS = env.int("RECOMMENDATIONS_NEIGHBOURS", default=50)
if ANALYTICS_FLUSH_SECONDS < 1 or ANALYTICS_MAX_RANGE_DAYS < 1 or RECOMMENDATIONS_NEIGHBOURS < 1:
    raise ImproperlyConfigured("ANALYTICS_FLUSH_SECONDS, ANALYTICS_MAX_RANGE_DAYS, RECOMMENDATIONS_NEIGHBOURS >= 1")

CELERY_BEAT_SCHEDULE["analytics-flush-tracking"] = {
    "task": "analytics.tasks.flush_tracking",
    "schedule": timedelta(seconds=ANALYTICS_FLUSH_SECONDS),
}
CELERY_BEAT_SCHEDULE["analytics-prune-raw-events"] = {
    "task": "analytics.tasks.prune_raw_events",
    "schedule": timedelta(days=1),
}
CELERY_BEAT_SCHEDULE["analytics-train-recommendations"] = {
    "task": "analytics.tasks.train_recommendations",
    "schedule": timedelta(minutes=RECOMMENDATIONS_TRAIN_MINUTES),
}

# Chart.js 4 from npm (package.json), served as a static file like tus-js-client; never a CDN.
NPM_STATIC["chart.js"] = BASE_DIR / "node_modules" / "chart.js" / "dist"
if NPM_STATIC["chart.js"].is_dir():
    STATICFILES_DIRS += [("vendor/chart.js", NPM_STATIC["chart.js"])]
