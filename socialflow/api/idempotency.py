"""``Idempotency-Key`` for creating POSTs (posts, comments, videos, uploads, playlists, streams).

A client that did not get an answer (timeout, 503, lost connection) retries with the same key and
gets the first response (status and body) instead of a second write. The key is recorded for
(user, key) in the same transaction as the write, with the method, path and a fingerprint of the
request; the same key on a different request is refused with 422. Only 2xx responses are
recorded: after an error nothing was written, so a retry runs again. Keys expire after
``IDEMPOTENCY_KEY_TTL_HOURS`` (pruned periodically). Anonymous requests ignore the header.
With or without a key, the decorated POST runs in one transaction: it is all done or not at all.
"""

import functools
import hashlib
import json

from django.db import transaction
from django.http.request import RawPostDataException
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from socialflow.reliability import services

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Response headers a replay repeats (tus creation answers with Location and the upload's state).
REPLAYED_HEADERS = ("Location", "Video-Id", "Upload-Offset", "Upload-Length", "Upload-Expires", "Tus-Resumable")
# Request headers that are part of what a tus creation asks for.
FINGERPRINT_HEADERS = ("Upload-Length", "Upload-Metadata", "Content-Type")

PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Optional, up to 255 characters, unique per request you mean (e.g. a UUID). A retry "
    "with the same key returns the first response instead of creating again; the same key with a "
    "different request is refused with 422. Keys are kept for 24 hours.",
)


class IdempotencyKeyMismatch(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_mismatch"


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    for name in FINGERPRINT_HEADERS:
        digest.update(f"\n{name}:{request.headers.get(name, '')}".encode())
    content_type = request.content_type or ""
    if content_type.startswith("application/offset+octet-stream"):
        # tus creation-with-upload: the body is streamed into the upload, never buffered here.
        digest.update(f"\nContent-Length:{request.headers.get('Content-Length', '')}".encode())
    elif content_type.startswith("multipart/"):
        # A multipart body is streamed to disk, not held: fingerprint its fields and files.
        for name, values in sorted(request.data.lists()) if hasattr(request.data, "lists") else []:
            for value in values:
                if hasattr(value, "read"):
                    digest.update(f"\n{name}=<file {value.name} {value.size}>".encode())
                else:
                    digest.update(f"\n{name}={value}".encode())
    else:
        digest.update(b"\n")
        try:
            digest.update(request._request.body)
        except RawPostDataException:  # something already parsed the stream
            digest.update(json.dumps(request.data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _replay(record) -> Response:
    response = Response(record.body, status=record.status_code)
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view_method):
    """Decorate a view method handling a creating POST (innermost, right above ``def``)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        if request.method != "POST":
            return view_method(self, request, *args, **kwargs)
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            # All or nothing even without a key: a failure after the service's write (serializing
            # the answer, a dependency down) rolls the write back instead of answering 5xx for it.
            with transaction.atomic():
                return view_method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise exceptions.ValidationError(
                {HEADER: [f"Must be 1 to {MAX_KEY_LENGTH} printable characters."]}, code="invalid"
            )
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            record, created = services.idempotency_key_claim(
                user=request.user, key=key, method=request.method, path=request.path, fingerprint=fingerprint
            )
            if not created:
                if (record.method, record.path, record.fingerprint) != (request.method, request.path, fingerprint):
                    raise IdempotencyKeyMismatch()
                return _replay(record)
            # An exception (validation, conflict, a dependency down) rolls the key back with the write.
            response = view_method(self, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            body = getattr(response, "data", None)
            if body is not None:
                body = json.loads(JSONRenderer().render(body))
            headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
            services.idempotency_key_complete(
                record=record, status_code=response.status_code, body=body, headers=headers
            )
        return response

    return extend_schema(parameters=[PARAMETER], methods=["POST"])(wrapper)
