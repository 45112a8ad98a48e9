"""Copyright: matching thresholds, claim rules, dispute deadlines, the viewer-country header."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from socialflow.envtools import env

from .base import CELERY_BEAT_SCHEDULE, MIDDLEWARE, SPECTACULAR_SETTINGS

# A match creates a claim at or above both of these; a shorter or less certain one waits for
# review in the admin (Copyright › Matches).
COPYRIGHT_CLAIM_MIN_SECONDS = env.float("COPYRIGHT_CLAIM_MIN_SECONDS", default=7.0)
COPYRIGHT_CLAIM_MIN_CONFIDENCE = env.float("COPYRIGHT_CLAIM_MIN_CONFIDENCE", default=0.80)
if not 0 <= COPYRIGHT_CLAIM_MIN_CONFIDENCE <= 1:
    raise ImproperlyConfigured("COPYRIGHT_CLAIM_MIN_CONFIDENCE is between 0 and 1")
# Shorter matches are not recorded at all.
COPYRIGHT_MATCH_MIN_SECONDS = env.float("COPYRIGHT_MATCH_MIN_SECONDS", default=3.0)
# A match covering this share of the upload's duration flags the claim as a re-upload.
COPYRIGHT_REUPLOAD_RATIO = env.float("COPYRIGHT_REUPLOAD_RATIO", default=0.9)
# Verification: audio windows at or under this bit-error rate match; the confidence is 1 at or under
# GOOD and 0 at or over RANDOM (unrelated audio sits at ~0.33–0.45). Frames: Hamming distance of 64.
COPYRIGHT_AUDIO_WINDOW_BER = env.float("COPYRIGHT_AUDIO_WINDOW_BER", default=0.20)
COPYRIGHT_AUDIO_BER_GOOD = env.float("COPYRIGHT_AUDIO_BER_GOOD", default=0.10)
COPYRIGHT_AUDIO_BER_RANDOM = env.float("COPYRIGHT_AUDIO_BER_RANDOM", default=0.35)
COPYRIGHT_FRAME_DISTANCE = env.int("COPYRIGHT_FRAME_DISTANCE", default=10)
COPYRIGHT_FRAME_DISTANCE_GOOD = env.int("COPYRIGHT_FRAME_DISTANCE_GOOD", default=4)
COPYRIGHT_FRAME_DISTANCE_RANDOM = env.int("COPYRIGHT_FRAME_DISTANCE_RANDOM", default=24)
# The matching index: "inverted" (in process, sub-fingerprint chunks) or "brute" (every reference).
COPYRIGHT_INDEX = env.str("COPYRIGHT_INDEX", default="inverted")
if COPYRIGHT_INDEX not in ("inverted", "brute"):
    raise ImproperlyConfigured("COPYRIGHT_INDEX is inverted or brute")
# The claimant answers a dispute within this many days, or the claim is released.
COPYRIGHT_DISPUTE_RESPONSE_DAYS = env.int("COPYRIGHT_DISPUTE_RESPONSE_DAYS", default=30)
# The largest reference upload accepted, in bytes.
COPYRIGHT_REFERENCE_MAX_BYTES = env.int("COPYRIGHT_REFERENCE_MAX_BYTES", default=512 * 1024 * 1024)
# The request header a trusted edge sets to the viewer's ISO country (territorial blocks).
VIEWER_COUNTRY_HEADER = env.str("VIEWER_COUNTRY_HEADER", default="CF-IPCountry")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware"),
    "socialflow.core.territory.ViewerCountryMiddleware",
)
CELERY_BEAT_SCHEDULE["copyright-expire-disputes"] = {
    "task": "copyright.tasks.expire_disputes",
    "schedule": timedelta(hours=1),
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "CopyrightPolicyEnum": "copyright.models.Policy",
        "ClaimStatusEnum": "copyright.models.Claim.Status",
        "ClaimSourceEnum": "copyright.models.Claim.Source",
        "ReferenceStatusEnum": "copyright.models.Reference.Status",
    }
)
