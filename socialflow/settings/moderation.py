"""Moderation: reports and their abuse limit."""

from socialflow.envtools import env

from .base import REST_FRAMEWORK, SPECTACULAR_SETTINGS

# Reports one user may make per window (DRF rate syntax); a flood of reports is abuse too.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["reports"] = env.str("THROTTLE_REPORTS", default="20/hour")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ReportTargetTypeEnum": "moderation.models.TargetType",
        "ReportReasonEnum": "moderation.models.Reason",
        "ReportStatusEnum": "moderation.models.Report.Status",
    }
)
