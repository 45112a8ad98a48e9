"""Text normalisation shared by the text classifiers: what users do to slip past a word list.

``normalise`` lower-cases, folds accents and full-width forms (NFKD), maps leetspeak digits and
symbols to letters (``@``→a, ``$``→s, ``0``→o, ``1``/``!``→i, ``3``→e, ...), joins letters split
by separators (``f.u.c.k``, ``f u c k``), squeezes runs of a repeated letter (``fuuuuck``, to one letter) and
expands masked words (``f***``, ``sh*t``, ``b!tch``) to the word they hide when exactly one known
word fits the mask."""

from __future__ import annotations

import hashlib
import re
import unicodedata

LEET = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "$": "s",
        "5": "s",
        "0": "o",
        "1": "i",
        "!": "i",
        "3": "e",
        "7": "t",
        "+": "t",
        "|": "l",
        "€": "e",
    }
)

# Words a masked token may stand for (the usual targets of "f***"); alt-profanity-check knows them.
MASKABLE = (
    "fuck", "fucking", "fucker", "shit", "bitch", "cunt", "dick", "asshole", "bastard", "whore",
    "slut", "crap", "damn", "piss", "cock", "motherfucker", "retard", "faggot", "nigger",
)  # fmt: skip

_SPLIT_LETTERS = re.compile(r"\b[a-z]([\s._\-*])(?:[a-z]\1){1,}[a-z]\b")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_MASKED = re.compile(r"\b[a-z][a-z*#%]*[*#%]+[a-z*#%]*\b|\b[a-z]+[*#%]+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _unmask(token: str) -> str:
    pattern = re.compile("^" + "".join("[a-z]" if ch in "*#%" else re.escape(ch) for ch in token) + "$")
    masked_tail = (
        re.compile("^" + re.escape(token.rstrip("*#%")) + "[a-z]+$") if token.endswith(("*", "#", "%")) else None
    )
    fits = [w for w in MASKABLE if pattern.match(w)]
    if not fits and masked_tail is not None:
        fits = [w for w in MASKABLE if masked_tail.match(w) and len(w) <= len(token) + 2]
    return fits[0] if len(fits) == 1 or (fits and len({w[:4] for w in fits}) == 1) else token


def normalise(text: str) -> str:
    text = _URL.sub(" ", _fold(text))
    # Leetspeak inside words only (a lone "1" or "$5" stays a number).
    text = re.sub(
        r"(?<=[a-z])[@4$5013!7+|€]+(?=[a-z])|(?<![a-z0-9@$])[@4$5013!7+|€]+(?=[a-z])|(?<=[a-z])[$5]+\b",
        lambda m: m.group(0).translate(LEET),
        text,
    )
    text = _SPLIT_LETTERS.sub(lambda m: re.sub(r"[\s._\-*]", "", m.group(0)), text)
    text = _MASKED.sub(lambda m: _unmask(m.group(0)), text)
    text = _REPEATS.sub(r"\1", text)
    return " ".join(text.split())


def fingerprint(text: str) -> str:
    """The digest of the normalised text without digits and punctuation (a campaign varies those)."""
    core = re.sub(r"[^a-z ]+", "", normalise(text))
    return hashlib.sha256(" ".join(core.split()).encode()).hexdigest()[:40] if core.strip() else ""


def links(text: str) -> int:
    return len(_URL.findall(text))
