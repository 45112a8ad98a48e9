"""Moderation: reports and their abuse limit, the automatic classifiers' thresholds, strikes."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from socialflow.envtools import env

from .base import CELERY_BEAT_SCHEDULE, CELERY_TASK_ROUTES, REST_FRAMEWORK, SPECTACULAR_SETTINGS

# Reports one user may make per window (DRF rate syntax); a flood of reports is abuse too.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["reports"] = env.str("THROTTLE_REPORTS", default="20/hour")
# Messages one user may add to report threads and appeals they may file (the same abuse guard).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["report_messages"] = env.str("THROTTLE_REPORT_MESSAGES", default="30/hour")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["appeals"] = env.str("THROTTLE_APPEALS", default="10/day")


# New and edited content goes to the automatic classifiers (off in the test settings), on their own
# queue: a backlog of classification (a chat flood) never delays the default queue's tasks.
MODERATION_AUTO_CLASSIFY = env.bool("MODERATION_AUTO_CLASSIFY", default=True)
CELERY_TASK_ROUTES["moderation.tasks.classify"] = {"queue": "moderation"}


def _thresholds(name: str, hold: float, remove: float) -> dict[str, float]:
    """A classifier's score at or above ``hold`` holds the content for review (hidden from all but
    its author, who is told why); at or above ``remove`` removes it and escalates to staff."""
    upper = name.upper()
    values = {
        "hold": env.float(f"MODERATION_{upper}_HOLD", default=hold),
        "remove": env.float(f"MODERATION_{upper}_REMOVE", default=remove),
    }
    if not 0 <= values["hold"] <= values["remove"] <= 1.01:
        raise ImproperlyConfigured(f"MODERATION_{upper}_HOLD <= MODERATION_{upper}_REMOVE, both in 0..1 (1.01: never)")
    return values


MODERATION_THRESHOLDS = {
    # nudenet: the highest confidence of an exposed-body-part detection.
    "nsfw": _thresholds("nsfw", 0.55, 0.85),
    # alt-profanity-check on the normalised text: swearing is a judgement call, so by default it
    # is only ever held for a moderator (remove 1.01: never automatically).
    "toxicity": _thresholds("toxicity", 0.85, 1.01),
    # the spam rules and naive Bayes, combined.
    "spam": _thresholds("spam", 0.7, 0.97),
    # PDQ: a match against the staff hash list scores 1.
    "pdq": _thresholds("pdq", 0.5, 0.5),
    # watched words: hold 0.7, remove 1.0 (the word's own action).
    "watched_words": _thresholds("watched_words", 0.7, 1.0),
}
# The highest Hamming distance (of 256 bits) at which two PDQ hashes are the same image.
MODERATION_PDQ_MATCH_DISTANCE = env.int("MODERATION_PDQ_MATCH_DISTANCE", default=31)
# Frames of a ready video sampled for the NSFW model (evenly spread), besides its thumbnail.
MODERATION_VIDEO_FRAMES = env.int("MODERATION_VIDEO_FRAMES", default=4)
# Spam rules: posts/comments/messages in the window that count as a flood, the window, the same
# text from this many accounts that counts as a campaign, and accounts younger than this are new.
MODERATION_SPAM_RATE_LIMIT = env.int("MODERATION_SPAM_RATE_LIMIT", default=10)
MODERATION_SPAM_RATE_WINDOW = timedelta(minutes=env.int("MODERATION_SPAM_RATE_WINDOW_MINUTES", default=10))
MODERATION_SPAM_DUPLICATE_ACCOUNTS = env.int("MODERATION_SPAM_DUPLICATE_ACCOUNTS", default=3)
MODERATION_SPAM_DUPLICATE_WINDOW = timedelta(hours=env.int("MODERATION_SPAM_DUPLICATE_WINDOW_HOURS", default=24))
MODERATION_NEW_ACCOUNT_AGE = timedelta(days=env.int("MODERATION_NEW_ACCOUNT_DAYS", default=3))
# Optional: hold the first uploads (videos, posts with images) of new accounts until a moderator
# approves them.
MODERATION_APPROVE_NEW_ACCOUNTS = env.bool("MODERATION_APPROVE_NEW_ACCOUNTS", default=False)
MODERATION_APPROVE_FIRST_UPLOADS = env.int("MODERATION_APPROVE_FIRST_UPLOADS", default=3)
# Strikes: this many active strikes within the window limit the account (no uploads, no live)
# for the suspension period; each strike expires after the window.
MODERATION_STRIKES_LIMIT = env.int("MODERATION_STRIKES_LIMIT", default=3)
MODERATION_STRIKE_WINDOW = timedelta(days=env.int("MODERATION_STRIKE_WINDOW_DAYS", default=90))
MODERATION_STRIKE_SUSPENSION = timedelta(days=env.int("MODERATION_STRIKE_SUSPENSION_DAYS", default=14))
if MODERATION_STRIKES_LIMIT < 1:
    raise ImproperlyConfigured("MODERATION_STRIKES_LIMIT must be at least 1")

CELERY_BEAT_SCHEDULE["moderation-train-spam"] = {
    "task": "moderation.tasks.train_spam_model",
    "schedule": timedelta(hours=env.int("MODERATION_SPAM_TRAIN_HOURS", default=6)),
}

SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ReportTargetTypeEnum": "moderation.models.TargetType",
        "ReportReasonEnum": "moderation.models.Reason",
        "ReportStatusEnum": "moderation.models.Report.Status",
        "AccountActionKindEnum": "moderation.models.AccountAction.Kind",
        # Keeps the notifications' kind enum its published name now that another "kind" exists.
        "KindEnum": "notifications.models.Kind",
        "AppealStatusEnum": "moderation.models.Appeal.Status",
    }
)
