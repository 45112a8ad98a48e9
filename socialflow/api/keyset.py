"""Keyset pagination by id for posts and graph lists: ``?cursor=<id>&page_size=<n>``.

Used by the posts app (timelines, replies, bookmarks) and the accounts app (followers, following,
follow requests); ``CURSOR_PARAMS`` documents the two query parameters in the schema.

The cursor is the id of the last item of the previous page; the next page is everything strictly
beyond it in the list's order, so new rows arriving on top never shift a page (no duplicates, no
gaps). ``previous`` is not offered: clients go back by keeping the pages they have.
"""

from collections import OrderedDict

from django.utils.http import urlencode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

CURSOR_PARAMS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="Opaque cursor from the previous page's `next`."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1–100, default 20."),
]


def _int_param(request, name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise ValidationError({name: [f"Must be an integer between {lo} and {hi}."]})
    return int(raw)


def page_size_from(request) -> int:
    return _int_param(request, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)


def cursor_from(request) -> int | None:
    return _int_param(request, "cursor", None, 0, 2**63 - 1)


def next_link(request, cursor) -> str | None:
    if cursor is None:
        return None
    params = request.query_params.copy()
    params["cursor"] = str(cursor)
    return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(params.items()))


def list_response(request, results: list, next_cursor) -> Response:
    return Response(OrderedDict([("next", next_link(request, next_cursor)), ("previous", None), ("results", results)]))


def paginate_queryset(request, queryset, *, key: str = "id", descending: bool = True):
    """One page of ``queryset`` (already ordered by ``key``) and the next cursor (or None)."""
    size = page_size_from(request)
    cursor = cursor_from(request)
    if cursor is not None:
        queryset = queryset.filter(**{f"{key}__{'lt' if descending else 'gt'}": cursor})
    items = list(queryset[: size + 1])
    has_more = len(items) > size
    items = items[:size]
    return items, (getattr(items[-1], key) if has_more and items else None)


class KeysetPagination(pagination.BasePagination):
    """The page shape of the functions above, as views declare it (``pagination_class``) for the schema."""

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": {**link, "description": "Always null."}, "results": schema},
        }
