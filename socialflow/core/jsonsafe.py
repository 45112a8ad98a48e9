"""Parse untrusted JSON (request bodies, websocket frames) without a way to crash the parser.

The standard library's parser recurses once per nesting level: ``[[[[…]]]]`` a few thousand deep is
a ``RecursionError`` (a 500 with a long traceback), and it accepts lone surrogates (``"\\ud800"``),
strings that cannot be encoded back to UTF-8 (the database and the websocket send then fail).
orjson refuses both (it stops at a fixed depth of 1024 and rejects invalid surrogates); code that
walks the result recursively (serializers, copies, our own renderers) gets a lower limit still.

orjson reads an integer past 64 bits as a float (precision lost); a text with a run of 19 digits
or more is read again by the standard library, which keeps such integers exact (its recursion is
safe by then: the depth was checked on orjson's result).
"""

import json
import re

import orjson

MAX_DEPTH = 64
# Any integer orjson may not read exactly has at least 19 digits (2**63 has 19).
_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")


class JSONError(ValueError):
    """The text is not JSON we accept (syntax, invalid Unicode, or nested deeper than ``MAX_DEPTH``)."""


def loads(data: bytes | bytearray | memoryview | str, *, max_depth: int = MAX_DEPTH):
    """Parse ``data``; raise :class:`JSONError` for anything invalid, never ``RecursionError``."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JSONError(f"Invalid JSON: {exc}") from exc
    except UnicodeEncodeError as exc:  # a str argument holding a lone surrogate
        raise JSONError("Invalid JSON: the text is not valid Unicode.") from exc
    if depth_exceeds(value, max_depth):
        raise JSONError(f"Invalid JSON: nested deeper than {max_depth} levels.")
    if (_LONG_DIGITS if isinstance(data, str) else _LONG_DIGITS_BYTES).search(data):
        value = json.loads(data if isinstance(data, str | bytes | bytearray) else bytes(data))
    return value


def depth_exceeds(value, max_depth: int) -> bool:
    """True when containers nest deeper than ``max_depth`` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        container, depth = stack.pop()
        if depth > max_depth:
            return True
        children = container.values() if isinstance(container, dict) else container
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
