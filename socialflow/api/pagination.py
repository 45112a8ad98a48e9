"""The list shapes of API.md: ``{"results", "next", "previous"}`` (numbered pages add ``count``).

Two paginators, one per kind of list:

- ``PageNumberPagination`` (``?page=&page_size=``) for ordinary lists that show a count.
- ``CursorPagination`` (``?cursor=&page_size=``) for lists that grow while people read them:
  feeds, replies, comments, the graph, notifications, chat history. It pages by keyset: the list
  is ordered by ``ordering`` (the last field unique, ``id``), the cursor is the key of the last
  item of the page, and the next page is everything strictly beyond it. New rows arriving on top
  never shift a page (no duplicates, no gaps) and each page is one indexed query. ``previous`` is
  always null: clients go back by keeping the pages they have.

  A list that is not a queryset (the home feed's ``max_id``, a ranked window's offset) reads its
  own integer cursor with ``cursor_from`` / ``page_size_from`` and answers with
  ``list_response``: the same parameters, rules and shape.

A cursor or page size that is not one of ours is a 400 naming the parameter.
"""

from collections import OrderedDict
from datetime import UTC

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_ID = 2**63 - 1  # a bigint: anything larger is no key of ours (and overflows the database driver)
CURSOR_SEPARATOR = "~"  # between the values of a several-field key; unreserved in URLs

CURSOR_DESCRIPTION = "Opaque cursor from the previous page's `next`."
PAGE_SIZE_DESCRIPTION = f"1–{MAX_PAGE_SIZE}, default {DEFAULT_PAGE_SIZE}."
CURSOR_PARAMS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description=CURSOR_DESCRIPTION),
    OpenApiParameter("page_size", OpenApiTypes.INT, description=PAGE_SIZE_DESCRIPTION),
]


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_ids(self, queryset, request, view=None) -> list:
        """The page's primary keys, for a view that hydrates the page itself, with the list's count
        from the same query (``COUNT(*) OVER ()``) instead of a second one. An empty page (past
        the end, or an empty list) or an unusual page number goes the ordinary way, so its answer
        and errors are DRF's."""
        ids = queryset.select_related(None).prefetch_related(None)
        raw = request.query_params.get(self.page_query_param) or "1"
        if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID):
            return list(self.paginate_queryset(ids.values_list("pk", flat=True), request, view))
        number, size = int(raw), self.get_page_size(request)
        bottom = (number - 1) * size
        rows = list(
            ids.annotate(_total=models.Window(models.Count("*"))).values_list("pk", "_total")[bottom : bottom + size]
        )
        if not rows:
            return list(self.paginate_queryset(ids.values_list("pk", flat=True), request, view))
        paginator = self.django_paginator_class(ids, size)
        paginator.__dict__["count"] = rows[0][1]  # the cached property, known already
        self.page = paginator.page(number)
        self.request = request
        return [pk for pk, _ in rows]

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("count", self.page.paginator.count),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )


# --- cursor pages ---------------------------------------------------------------------------------


def _invalid(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def _int_param(request, name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit()) or not lo <= int(raw) <= hi:
        raise _invalid(name, f"Must be an integer between {lo} and {hi}.")
    return int(raw)


def page_size_from(request, default: int = DEFAULT_PAGE_SIZE) -> int:
    return _int_param(request, "page_size", default, 1, MAX_PAGE_SIZE)


def cursor_from(request) -> int | None:
    """An integer cursor (an id, an offset) for a list that pages itself."""
    return _int_param(request, "cursor", None, 0, MAX_ID)


def next_link(request, cursor) -> str | None:
    if cursor is None:
        return None
    params = request.query_params.copy()
    params["cursor"] = str(cursor)
    return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(params.items()))


def list_response(request, results: list, next_cursor) -> Response:
    return Response(OrderedDict([("next", next_link(request, next_cursor)), ("previous", None), ("results", results)]))


def _key_field(queryset, name: str):
    try:
        return queryset.model._meta.get_field(name)
    except FieldDoesNotExist:
        return queryset.query.annotations[name].output_field  # an annotated key (bookmark_id)


def _encode(value) -> str:
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).isoformat()
    return str(value)


def _decode(field, text: str):
    """One key value from its text, or None when it is not one."""
    if isinstance(field, models.DateTimeField):
        try:
            value = parse_datetime(text)
        except ValueError:
            return None
        return value if value is not None and value.tzinfo is not None else None
    if isinstance(field, models.IntegerField | models.AutoField):
        return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ID else None
    raise TypeError(f"no cursor encoding for {type(field).__name__} keys")


class CursorPagination(pagination.BasePagination):
    """Keyset pages over ``ordering`` (``"-field"`` descending); see the module docstring.

    Every ordering field must be non-null, and the last one unique. Subclass and set
    ``ordering`` / ``page_size``, or pass ``ordering=`` for a list ordered by one view only.
    """

    page_size = DEFAULT_PAGE_SIZE
    ordering: tuple[str, ...] = ("-id",)

    def __init__(self, ordering: tuple[str, ...] | None = None):
        if ordering is not None:
            self.ordering = tuple(ordering)
        self.next_cursor: str | None = None

    def _keys(self) -> list[tuple[str, bool]]:
        return [(name.lstrip("-"), name.startswith("-")) for name in self.ordering]

    def _cursor_q(self, queryset, raw: str) -> Q:
        """Rows strictly after the key ``raw`` in this ordering."""
        keys = self._keys()
        texts = raw.split(CURSOR_SEPARATOR)
        values = [_decode(_key_field(queryset, name), text) for (name, _), text in zip(keys, texts, strict=False)]
        if len(texts) != len(keys) or None in values:
            if len(keys) == 1:  # an id: say what one looks like, as cursor_from does
                raise _invalid("cursor", f"Must be an integer between 0 and {MAX_ID}.")
            raise _invalid("cursor", "Not a cursor of this list: use the previous page's `next` link.")
        after = Q()
        for index, (name, descending) in enumerate(keys):
            step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[index]})
            for earlier, value in zip(keys[:index], values[:index], strict=True):
                step &= Q(**{earlier[0]: value})
            after |= step
        return after

    def paginate_queryset(self, queryset, request, view=None) -> list:
        self.request = request
        size = page_size_from(request, self.page_size)
        queryset = queryset.order_by(*self.ordering)
        raw = request.query_params.get("cursor")
        if raw not in (None, ""):
            queryset = queryset.filter(self._cursor_q(queryset, raw))
        items = list(queryset[: size + 1])
        last = items[size - 1] if len(items) > size else None
        if last is not None:
            self.next_cursor = CURSOR_SEPARATOR.join(_encode(getattr(last, name)) for name, _ in self._keys())
        return items[:size]

    def get_paginated_response(self, data) -> Response:
        return list_response(self.request, data, self.next_cursor)

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": {**link, "description": "Always null."}, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": CURSOR_DESCRIPTION,
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": PAGE_SIZE_DESCRIPTION,
                "schema": {"type": "integer"},
            },
        ]


class WholeListPagination(CursorPagination):
    """A short list answered whole in the cursor shape (``next`` null): edits, trends. It takes no
    cursor or page size (the schema documents none); it keeps the first ``max_items``."""

    max_items = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None) -> list:
        self.request = request
        return list(queryset[: self.max_items])

    def get_schema_operation_parameters(self, view):
        return []
