"""Writes for accounts and the social graph. Plain functions, keyword-only arguments, one transaction each.

Split by topic; everything is importable from ``accounts.services``.
"""

from accounts.services.auth import (
    email_address_verify,
    email_verification_resend,
    password_change,
    password_reset_confirm,
    password_reset_request,
    password_reset_token_make,
    user_authenticate,
    user_login,
)
from accounts.services.bans import user_ban, user_unban
from accounts.services.graph import (
    block_create,
    block_delete,
    follow_create,
    follow_delete,
    follow_request_accept,
    follow_request_reject,
    mute_create,
    mute_delete,
)
from accounts.services.mfa import (
    mfa_code_verify,
    recovery_codes_regenerate,
    totp_disable,
    totp_setup_begin,
    totp_setup_confirm,
)
from accounts.services.tokens import TokenPair, token_pair_issue, token_pair_refresh, token_revoke, tokens_revoke_all
from accounts.services.users import (
    COUNTER_FIELDS,
    LAST_SEEN_RESOLUTION,
    user_counter_add,
    user_counter_set,
    user_create,
    user_delete,
    user_mark_seen,
    user_profile_update,
    user_purge,
    user_register,
    user_restore,
)

__all__ = [
    "mute_delete",
    "mute_create",
    "follow_request_reject",
    "follow_request_accept",
    "follow_delete",
    "follow_create",
    "block_delete",
    "block_create",
    "COUNTER_FIELDS",
    "LAST_SEEN_RESOLUTION",
    "TokenPair",
    "email_address_verify",
    "email_verification_resend",
    "mfa_code_verify",
    "password_change",
    "password_reset_confirm",
    "password_reset_request",
    "password_reset_token_make",
    "recovery_codes_regenerate",
    "token_pair_issue",
    "token_pair_refresh",
    "token_revoke",
    "tokens_revoke_all",
    "totp_disable",
    "totp_setup_begin",
    "totp_setup_confirm",
    "user_authenticate",
    "user_ban",
    "user_counter_add",
    "user_counter_set",
    "user_create",
    "user_delete",
    "user_login",
    "user_mark_seen",
    "user_profile_update",
    "user_purge",
    "user_register",
    "user_restore",
    "user_unban",
]
