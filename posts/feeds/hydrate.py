"""The home feed's hot path in SQL: hydration (one statement, light row objects) and the viewer graph.

An ORM queryset for this (select_related over four users, EXISTS annotations) spent more time
compiling and building model instances than the database spent answering it. This module sends
the same join once (post, author, quoted post and author, reposted post and author, and the
reposted post's quote), with the viewer's like/repost/bookmark flags and "follows the author"
checks as EXISTS columns, and wraps each row in plain objects with the attributes that
``serialize_post`` and ``selectors.can_see`` read. Works on PostgreSQL and SQLite.
"""

# ruff: noqa: S608 - the SQL is built from model metadata only; every value is a bound parameter.
from __future__ import annotations

import json
from datetime import UTC, datetime

from django.db import connection
from django.utils.dateparse import parse_datetime

from accounts.models import Block, Follow, Mute, User
from posts.models import Bookmark, Like, Post
from posts.selectors import ViewerGraph, big_account_ids
from socialflow.media_urls import media_url

USER_COLUMNS = ("id", "username", "display_name", "avatar", "is_private", "deleted_at")
POST_COLUMNS = (
    "id", "author_id", "text", "visibility", "reply_to_id", "thread_root_id", "quote_of_id", "repost_of_id",
    "video_id", "attachments", "entities", "likes_count", "reposts_count", "replies_count", "quotes_count",
    "created_at", "edited_at", "deleted_at", "moderation_status", "moderation_reason", "sensitive",
)  # fmt: skip
DATETIMES = {"created_at", "edited_at", "deleted_at"}
JSONS = {"attachments", "entities"}
# (alias, joined on) for each post in a row, and the alias of its author.
POST_ALIASES = (("p", None), ("q", "p.quote_of_id"), ("r", "p.repost_of_id"), ("rq", "r.quote_of_id"))
FLAGS = (
    "viewer_liked",
    "viewer_reposted",
    "viewer_bookmarked",
    "viewer_follows_author",
    "viewer_follows_original_author",
)


class Avatar:
    __slots__ = ("name",)

    def __init__(self, name: str | None):
        self.name = name or ""

    def __bool__(self) -> bool:
        return bool(self.name)

    @property
    def url(self) -> str:
        return media_url(self.name)


class FeedUser:
    """The author fields a feed renders and filters on."""

    def __init__(self, values: dict):
        self.__dict__.update(values)
        self.avatar = Avatar(values.get("avatar"))

    @property
    def pk(self) -> int:
        return self.id


class FeedPost:
    """A hydrated post (or repost) with the attributes of ``Post`` that a feed page uses."""

    quote_of: FeedPost | None = None
    repost_of: FeedPost | None = None

    def __init__(self, values: dict, author: FeedUser):
        self.__dict__.update(values)
        self.author = author

    @property
    def pk(self) -> int:
        return self.id


def _sql(count: int) -> str:
    post_table, user_table = Post._meta.db_table, User._meta.db_table
    columns = []
    joins = [f"{post_table} p", f"JOIN {user_table} pa ON pa.id = p.author_id"]
    for alias, on in POST_ALIASES:
        columns += [f"{alias}.{c}" for c in POST_COLUMNS] + [f"{alias}a.{c}" for c in USER_COLUMNS]
        if on:
            joins.append(f"LEFT JOIN {post_table} {alias} ON {alias}.id = {on}")
            joins.append(f"LEFT JOIN {user_table} {alias}a ON {alias}a.id = {alias}.author_id")
    target = "COALESCE(p.repost_of_id, p.id)"
    like, bookmark, follow = Like._meta.db_table, Bookmark._meta.db_table, Follow._meta.db_table
    columns += [
        f"EXISTS (SELECT 1 FROM {like} l WHERE l.user_id = %s AND l.post_id = {target})",
        f"EXISTS (SELECT 1 FROM {post_table} x WHERE x.author_id = %s AND x.repost_of_id = {target} "
        "AND x.deleted_at IS NULL)",
        f"EXISTS (SELECT 1 FROM {bookmark} b WHERE b.user_id = %s AND b.post_id = {target})",
        f"EXISTS (SELECT 1 FROM {follow} f WHERE f.follower_id = %s AND f.followee_id = p.author_id)",
        f"EXISTS (SELECT 1 FROM {follow} g WHERE g.follower_id = %s AND g.followee_id = r.author_id)",
    ]
    placeholders = ", ".join(["%s"] * count)
    return f"SELECT {', '.join(columns)} FROM {' '.join(joins)} WHERE p.id IN ({placeholders})"


_SQL_CACHE: dict[int, str] = {}


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _datetime(value):
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    parsed = parse_datetime(value)
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _post_values(row, offset: int) -> dict | None:
    if row[offset] is None:
        return None
    values = dict(zip(POST_COLUMNS, row[offset : offset + len(POST_COLUMNS)], strict=True))
    for name in DATETIMES:
        values[name] = _datetime(values[name])
    for name in JSONS:
        if isinstance(values[name], str):
            values[name] = json.loads(values[name])
    values["sensitive"] = bool(values["sensitive"])  # SQLite answers 0/1
    return values


def _user(row, offset: int) -> FeedUser:
    values = dict(zip(USER_COLUMNS, row[offset : offset + len(USER_COLUMNS)], strict=True))
    values["is_private"] = bool(values["is_private"])
    values["deleted_at"] = _datetime(values["deleted_at"])
    return FeedUser(values)


def hydrate(*, ids: list[int], viewer_id: int) -> dict[int, FeedPost]:
    """``{id: FeedPost}`` for the ids that exist (one query)."""
    if not ids:
        return {}
    sql = _SQL_CACHE.get(len(ids))
    if sql is None:
        sql = _SQL_CACHE.setdefault(len(ids), _sql(len(ids)))
    rows = _fetch(sql, [viewer_id] * len(FLAGS) + list(ids))
    width = len(POST_COLUMNS) + len(USER_COLUMNS)
    result = {}
    for row in rows:
        posts = []
        for index in range(len(POST_ALIASES)):
            values = _post_values(row, index * width)
            posts.append(None if values is None else FeedPost(values, _user(row, index * width + len(POST_COLUMNS))))
        post, quote, repost, repost_quote = posts
        post.quote_of = quote
        if repost is not None:
            repost.quote_of = repost_quote
            post.repost_of = repost
        for name, value in zip(FLAGS, row[len(POST_ALIASES) * width :], strict=True):
            setattr(post, name, bool(value))
        result[post.id] = post
    return result


def viewer_graph(*, viewer_id: int) -> ViewerGraph:
    """One UNION ALL statement, written as SQL: it runs on every feed page, and the ORM took
    longer to compile the four-branch union than the database took to answer it."""
    follow, block, mute = Follow._meta.db_table, Block._meta.db_table, Mute._meta.db_table
    big = big_account_ids()
    branches = [
        f"SELECT blocked_id, 1 FROM {block} WHERE blocker_id = %s",
        f"SELECT blocker_id, 1 FROM {block} WHERE blocked_id = %s",
        f"SELECT muted_id, 2 FROM {mute} WHERE muter_id = %s",
    ]
    params: list[int] = [viewer_id, viewer_id, viewer_id]
    if big:
        branches.append(
            f"SELECT followee_id, 0 FROM {follow} WHERE follower_id = %s AND followee_id IN "
            f"({', '.join(['%s'] * len(big))})"
        )
        params += [viewer_id, *big]
    groups: tuple[set, set, set] = (set(), set(), set())
    for user_id, tag in _fetch(" UNION ALL ".join(branches), params):
        groups[tag].add(user_id)
    return ViewerGraph(big_followees=frozenset(groups[0]), blocked=frozenset(groups[1]), muted=frozenset(groups[2]))
