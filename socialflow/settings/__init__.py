# ruff: noqa: I001  (order matters: base first, then the domains that extend it)
"""Social Flow settings: ``base`` (shared infrastructure) plus one module per domain.

Domain modules add to the shared collections defined in ``base`` (``CELERY_BEAT_SCHEDULE``,
``REQUEST_BODY_LIMITS``, ``CHANNEL_LAYERS``) in place, so the order below only matters for names a
later module reads from an earlier one.
"""

from .base import *  # noqa: F403
from .payments import *  # noqa: F403
from .accounts import *  # noqa: F403
from .videos import *  # noqa: F403
from .posts import *  # noqa: F403
from .live import *  # noqa: F403
from .notifications import *  # noqa: F403
from .moderation import *  # noqa: F403
from .monetization import *  # noqa: F403
from .ads import *  # noqa: F403
from .copyright import *  # noqa: F403
from .analytics import *  # noqa: F403
