"""Parse ``#hashtags`` and ``@mentions`` out of post text (Twitter/Mastodon rules, simplified).

A hashtag is ``#`` followed by letters, digits or underscores with at least one non-digit, not
glued to a preceding word character; a mention is ``@`` followed by a username (1–30 letters,
digits, underscores), not preceded by a word character (so e-mail addresses are not mentions).
"""

import re

HASHTAG_RE = re.compile(r"(?<![\w#&])#(\w{1,100})", re.UNICODE)
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,30})(?![A-Za-z0-9_@])")
MAX_HASHTAGS = 30
MAX_MENTIONS = 30


def normalize_hashtag(tag: str) -> str:
    return tag.strip().lstrip("#").casefold()


def parse_hashtags(text: str) -> list[str]:
    """Distinct, normalised (casefolded) hashtags in order of appearance."""
    seen: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(text):
        tag = normalize_hashtag(match.group(1))
        if tag.replace("_", "").isdigit() or not tag.strip("_"):
            continue
        seen.setdefault(tag, None)
        if len(seen) >= MAX_HASHTAGS:
            break
    return list(seen)


def parse_mentions(text: str) -> list[str]:
    """Distinct mentioned usernames (lowercased) in order of appearance."""
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text):
        seen.setdefault(match.group(1).lower(), None)
        if len(seen) >= MAX_MENTIONS:
            break
    return list(seen)
