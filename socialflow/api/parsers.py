"""The API's JSON parser: DRF's, on :mod:`socialflow.core.jsonsafe` (bounded depth, strict Unicode)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser

from socialflow.core import jsonsafe


class JSONParser(DRFJSONParser):
    """``application/json`` bodies; invalid, too deep or invalid-Unicode JSON is a 400 ``parse_error``."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        raw = stream.read() if stream is not None else b""
        try:
            if encoding.lower().replace("-", "") != "utf8":
                raw = raw.decode(encoding).encode("utf-8", errors="strict")
            return jsonsafe.loads(raw)
        except (jsonsafe.JSONError, UnicodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
