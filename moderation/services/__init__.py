"""Writes of the moderation domain, split by topic; everything is importable from here.

- ``reports``: reports, their thread, the moderators' decisions on them, escalation, restore;
- ``classification``: the automatic classifiers' signals and decisions;
- ``enforcement``: graded enforcement on accounts, strikes, appeals, reviews of signals;
- ``spam_training``: the naive-Bayes spam model trained from moderators' decisions.
"""

from moderation.services.classification import classify_target, decide
from moderation.services.enforcement import (
    account_action_create,
    account_action_revoke,
    active_limit,
    active_strikes,
    appeal_create,
    appeal_decide,
    restriction_refusal,
    signals_escalate,
    signals_review,
    user_action_summary,
)
from moderation.services.reports import (
    SENSITIVE_TARGETS,
    report_create,
    report_message_add,
    report_target_mark_sensitive,
    report_target_remove,
    reports_dismiss,
    reports_escalate,
    target_hold,
    target_remove,
    target_restore,
)
from moderation.services.spam_training import spam_model_train

__all__ = [
    "SENSITIVE_TARGETS",
    "account_action_create",
    "account_action_revoke",
    "active_limit",
    "active_strikes",
    "appeal_create",
    "appeal_decide",
    "classify_target",
    "decide",
    "report_create",
    "report_message_add",
    "report_target_mark_sensitive",
    "report_target_remove",
    "reports_dismiss",
    "reports_escalate",
    "restriction_refusal",
    "signals_escalate",
    "signals_review",
    "spam_model_train",
    "target_hold",
    "target_remove",
    "target_restore",
    "user_action_summary",
]
