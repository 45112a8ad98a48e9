"""The API's JSON renderer: DRF's output, produced by orjson.

Byte for byte what ``rest_framework.renderers.JSONRenderer`` writes with our settings (compact,
UTF-8 unescaped, U+2028/U+2029 escaped), several times faster. What orjson would write differently
goes through DRF's encoder instead: datetimes, dates and times (``...Z`` for UTC, as DRF writes
them), lazy strings, Decimals, querysets and the rest of ``rest_framework.utils.encoders``. What
orjson refuses (integers past 64 bits, non-string keys, lone surrogates, nesting past 254 levels)
and every indented rendering (the browsable API, ``Accept: application/json; indent=4``) is left
to DRF's renderer, so those answers, errors included, are the ones DRF gives.

One difference is kept on purpose: a NaN or infinite float is ``null`` here, where DRF's strict
JSON raised (a 500).
"""

import orjson
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_default = JSONEncoder().default


class JSONRenderer(DRFJSONRenderer):
    """``application/json`` through orjson; DRF's renderer for what orjson would write otherwise."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        # DRF's own rendering when the settings ask for something orjson does not do.
        if self.ensure_ascii or not self.compact or accepted_media_type and "indent" in accepted_media_type:
            return super().render(data, accepted_media_type, renderer_context)
        if renderer_context and renderer_context.get("indent") is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            ret = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # DRF escapes these two so the output is also valid JavaScript.
        if b"\xe2\x80\xa8" in ret or b"\xe2\x80\xa9" in ret:
            ret = ret.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return ret
