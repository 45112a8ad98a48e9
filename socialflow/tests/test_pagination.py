"""The one cursor paginator: keyset pages over any ordering, strict parameters, one shape."""

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from socialflow.api.pagination import CursorPagination
from videos.models import Comment
from videos.tests.factories import CommentFactory, VideoFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _request(**params):
    return Request(APIRequestFactory().get("/api/v1/things", params))


def _walk(queryset, ordering, page_size):
    """Every page's ids, following each page's cursor."""
    pages, cursor = [], None
    while True:
        paginator = CursorPagination(ordering=ordering)
        params = {"page_size": page_size, **({"cursor": cursor} if cursor else {})}
        pages.append([c.pk for c in paginator.paginate_queryset(queryset, _request(**params))])
        cursor = paginator.next_cursor
        if cursor is None:
            return pages


@pytest.fixture
def comments():
    """Seven comments whose times tie in threes, so the id must break the ties."""
    video = VideoFactory()
    made = [CommentFactory(video=video) for _ in range(7)]
    for index, comment in enumerate(made):
        Comment.objects.filter(pk=comment.pk).update(created_at=T0 + timedelta(seconds=index // 3))
    return Comment.objects.filter(video=video)


@pytest.mark.parametrize("ordering", [("-created_at", "-id"), ("created_at", "id"), ("-id",), ("id",)])
def test_it_pages_through_ties_without_duplicates_or_gaps(comments, ordering):
    expected = list(comments.order_by(*ordering).values_list("pk", flat=True))
    for size in (1, 2, 3, 7, 8):
        pages = _walk(comments, ordering, size)
        assert [pk for page in pages for pk in page] == expected
        assert all(len(page) == size for page in pages[:-1])


def test_it_keeps_pages_stable_while_new_rows_arrive_on_top(comments):
    paginator = CursorPagination(ordering=("-created_at", "-id"))
    first = paginator.paginate_queryset(comments, _request(page_size=3))
    CommentFactory(video=first[0].video)  # newer than everything: lands before the first page
    rest = CursorPagination(ordering=("-created_at", "-id")).paginate_queryset(
        comments, _request(page_size=10, cursor=paginator.next_cursor)
    )
    assert len(first) + len(rest) == 7 and not {c.pk for c in first} & {c.pk for c in rest}


def test_it_answers_in_the_list_shape_with_a_next_link(comments):
    paginator = CursorPagination(ordering=("-created_at", "-id"))
    request = _request(page_size=2, q="x")
    paginator.paginate_queryset(comments, request)
    body = paginator.get_paginated_response(["a", "b"]).data
    assert list(body) == ["next", "previous", "results"] and body["previous"] is None
    assert body["next"].startswith("http://testserver/api/v1/things?cursor=") and "q=x" in body["next"]


@pytest.mark.parametrize(
    ("ordering", "params"),
    [
        (("-id",), {"cursor": "abc"}),
        (("-id",), {"cursor": "²"}),  # a digit to str.isdigit, not to int()
        (("-id",), {"cursor": str(2**63)}),
        (("-created_at", "-id"), {"cursor": "12"}),
        (("-created_at", "-id"), {"cursor": "2026-01-01T00:00:00~1"}),  # naive time
        (("-created_at", "-id"), {"cursor": "2026-13-01T00:00:00+00:00~1"}),
        (("-created_at", "-id"), {"cursor": "2026-01-01T00:00:00+00:00~1~2"}),
        (("-id",), {"page_size": "0"}),
        (("-id",), {"page_size": "101"}),
        (("-id",), {"page_size": "ten"}),
    ],
)
def test_it_refuses_what_is_not_its_cursor_or_page_size(comments, ordering, params):
    with pytest.raises(ValidationError) as exc:
        CursorPagination(ordering=ordering).paginate_queryset(comments, _request(**params))
    assert set(exc.value.detail) <= {"cursor", "page_size"}
