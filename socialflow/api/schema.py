"""OpenAPI generation (drf-spectacular): the schema class and hooks that keep the schema true.

- ``AutoSchema`` names each paginated list after its paginator, so a cursor page (``next``,
  ``previous``, ``results``) and a numbered page (``count`` too) of one serializer are two
  components, not one name fought over.
- ``drop_trailing_slash_twins`` writes each path once, as API.md writes it.
- ``document_errors`` documents the responses every operation can give besides its own: the one
  error format of ``socialflow.api.exceptions`` for 400, 401, 403, 404, 413, 415, 422 (a reused
  Idempotency-Key), 429 and 503.
"""

from drf_spectacular import openapi
from rest_framework import pagination

HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")

ERROR_SCHEMA = {
    "type": "object",
    "description": "The API's error format.",
    "properties": {
        "detail": {"type": "string", "description": "A message for a person."},
        "code": {"type": "string", "description": "A stable identifier clients can switch on."},
    },
    "required": ["detail", "code"],
}
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Invalid input: each offending field with its messages (nested for nested fields).",
    "additionalProperties": {},
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
INVALID_REF = {"anyOf": [ERROR_REF, {"$ref": "#/components/schemas/FieldErrors"}]}

# status: (component name, description, when it applies to an operation)
ERRORS = {
    "400": ("InvalidInput", "Invalid input.", lambda op, path: bool(op.get("parameters") or op.get("requestBody"))),
    "401": ("Unauthenticated", "Not authenticated, or the credentials or token are invalid.", lambda op, path: True),
    "403": ("Forbidden", "Not allowed to do this.", lambda op, path: True),
    "404": (
        "NotFound",
        "Not found (or not visible to the caller), or no such page.",
        lambda op, path: _finds(op, path),
    ),
    "413": ("TooLarge", "The request body is too large.", lambda op, path: "requestBody" in op),
    "415": ("UnsupportedMedia", "Unsupported media type.", lambda op, path: "requestBody" in op),
    "422": (
        "IdempotencyKeyReused",
        "This Idempotency-Key was used with a different request.",
        lambda op, path: any(p.get("name") == "Idempotency-Key" for p in op.get("parameters", [])),
    ),
    "429": ("Throttled", "Throttled or over a per-action limit; see Retry-After.", lambda op, path: True),
    "503": ("Unavailable", "A dependency is down; see Retry-After.", lambda op, path: True),
}


def _finds(operation: dict, path: str) -> bool:
    """A path parameter names an object, and a paginator answers 404 for a page or cursor past the end."""
    paging = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"} & {"page", "cursor"}
    return "{" in path or bool(paging)


class AutoSchema(openapi.AutoSchema):
    def get_paginated_name(self, serializer_name: str) -> str:
        paginator = self._get_paginator()
        if paginator is not None and not isinstance(paginator, pagination.PageNumberPagination):
            return f"Paginated{serializer_name}CursorList"
        return super().get_paginated_name(serializer_name)


def drop_trailing_slash_twins(endpoints):
    """One operation per endpoint, written as API.md writes paths (without a trailing slash).

    Routes accept both slash forms: ``api_path`` registers ``x`` and ``x/`` (two endpoints here),
    and a ``x/?$`` pattern comes out of drf-spectacular as ``x/``.
    """
    seen, kept = set(), []
    for path, regex, method, view in endpoints:
        path = path.rstrip("/") or "/"
        if (path, method) not in seen:
            seen.add((path, method))
            kept.append((path, regex, method, view))
    return kept


def document_errors(result, generator, request, public):
    """Add the error responses each operation can give, in the error format, to every operation.

    The common ones are shared components (``#/components/responses/NotFound``, …). An error
    response an operation documents itself (409, 412, …) keeps its description and gains the body
    schema if it had none.
    """
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    schemas.setdefault("FieldErrors", FIELD_ERRORS_SCHEMA)
    shared = components.setdefault("responses", {})
    for code, (name, description, _applies) in ERRORS.items():
        shared[name] = {"description": description, "content": _error_content(code)}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, documented in responses.items():
                if code >= "400" and not documented.get("content"):
                    documented["content"] = _error_content(code)
            for code, (name, _description, applies) in ERRORS.items():
                if code not in responses and applies(operation, path):
                    responses[code] = {"$ref": f"#/components/responses/{name}"}
            operation["responses"] = dict(sorted(responses.items()))
    return result


def _error_content(code: str) -> dict:
    return {"application/json": {"schema": INVALID_REF if code == "400" else ERROR_REF}}
