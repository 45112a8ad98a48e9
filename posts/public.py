"""A post's permalink page (text, author, the video it shares, its visible replies) with Open Graph
tags, and its oEmbed ``rich`` resolver. Who sees it is the access layer's (a 404 page otherwise)."""

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape, linebreaks
from django.utils.text import Truncator

from posts import selectors
from socialflow.core import links
from socialflow.core.exceptions import NotFound


def permalink(request, post_id: int):
    try:
        post = selectors.post_get_visible(post_id=post_id, viewer=request.user)
    except NotFound:
        return render(request, "videos/public_not_found.html", status=404)
    shown = post.repost_of if post.repost_of_id else post
    replies = list(selectors.post_replies(post=shown, viewer=request.user).select_related("author")[:50])
    page_url = links.absolute(links.post_path(post.pk))
    return render(
        request,
        "posts/permalink.html",
        {
            "post": post,
            "shown": shown,
            "replies": replies,
            "page_url": page_url,
            "og_title": f"{shown.author.name} (@{shown.author.username}) on Social Flow",
            "og_description": Truncator(shown.text or "A post on Social Flow").chars(200),
            "oembed_url": links.absolute(reverse("oembed")) + f"?url={page_url}",
            "video_url": links.video_path(shown.video_id) if shown.video_id else "",
            "channel_url": links.channel_path(shown.author.username),
        },
    )


def oembed_post(*, object_id: int, maxwidth: int | None, maxheight: int | None) -> dict | None:
    """The oEmbed ``rich`` of a post everyone may see: a quoted block linking to the permalink."""
    try:
        post = selectors.post_get_visible(post_id=object_id, viewer=AnonymousUser())
    except NotFound:
        return None
    shown = post.repost_of if post.repost_of_id else post
    url = escape(links.absolute(links.post_path(shown.pk)))
    width = min(maxwidth or 550, 550)
    html = (
        f'<blockquote class="socialflow-post" cite="{url}">{linebreaks(escape(shown.text))}'
        f"<p>— {escape(shown.author.name)} (@{escape(shown.author.username)}) "
        f'<a href="{url}">{shown.created_at:%Y-%m-%d}</a></p></blockquote>'
    )
    return {
        "type": "rich",
        "title": Truncator(shown.text).chars(80),
        "author_name": shown.author.name,
        "author_url": links.absolute(links.channel_path(shown.author.username)),
        "width": width,
        "height": None,
        "html": html,
        "cache_age": 3600,
    }
