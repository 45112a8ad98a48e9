"""Public pages anyone can follow a link to: a video's watch page (player, title, channel, comments
read-only, up next), its embed page (the oEmbed player), and a channel page. Open Graph and Twitter
tags make a shared link show something; ``socialflow.core.links`` builds their URLs. Who sees what
is the access layer's: a video the viewer may not see is a 404 page (existence not revealed)."""

from urllib.parse import urlsplit

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import Truncator
from django.views.decorators.clickjacking import xframe_options_exempt

from accounts import selectors as account_selectors
from socialflow.core import links
from socialflow.core.exceptions import NotFound
from videos import access, selectors
from videos.models import TrafficSource

EMBED_WIDTH, EMBED_HEIGHT = 640, 360
SOURCE_PARAMS = {"feed", "search", "profile", "recommendation", "external"}


def _not_found(request):
    return render(request, "videos/public_not_found.html", status=404)


def _source(request) -> str:
    """Where the viewer came from: the link's ``?src=`` (our own lists set it), else the referrer."""
    src = request.GET.get("src", "")
    if src in SOURCE_PARAMS:
        return src
    referrer = urlsplit(request.headers.get("Referer", ""))
    if referrer.netloc and referrer.netloc == request.get_host() and referrer.path.startswith("/c/"):
        return TrafficSource.PROFILE
    return TrafficSource.EXTERNAL


def _media(video) -> None:
    video.thumbnail_url = access.media_url(video, video.thumbnail)
    video.hls_url = access.media_url(video, video.master_playlist, playlist=True) if video.is_playable else None


def watch(request, video_id: int):
    try:
        video = selectors.video_get_visible(video_id=video_id, viewer=request.user)
    except NotFound:
        return _not_found(request)
    _media(video)
    comments = list(selectors.comment_list(video=video, viewer=request.user).order_by("-created_at", "-id")[:50])
    up_next = selectors.video_up_next(video=video, viewer=request.user, limit=10)
    for item in up_next:
        item.thumbnail_url = access.media_url(item, item.thumbnail)
    page_url = links.absolute(links.video_path(video.pk))
    return render(
        request,
        "videos/watch.html",
        {
            "video": video,
            "comments": comments,
            "up_next": up_next,
            "source": _source(request),
            "page_url": page_url,
            "og_image": links.absolute(video.thumbnail_url) if video.thumbnail_url else "",
            "og_description": Truncator(video.description or f"A video by @{video.author.username}").chars(200),
            "embed_url": links.absolute(links.video_embed_path(video.pk)),
            "oembed_url": links.absolute(reverse("oembed")) + f"?url={page_url}",
            "channel_url": links.channel_path(video.author.username),
            "embed_width": EMBED_WIDTH,
            "embed_height": EMBED_HEIGHT,
        },
    )


@xframe_options_exempt
def embed(request, video_id: int):
    try:
        video = selectors.video_get_visible(video_id=video_id, viewer=request.user)
    except NotFound:
        return _not_found(request)
    _media(video)
    return render(
        request,
        "videos/embed.html",
        {"video": video, "page_url": links.absolute(links.video_path(video.pk)), "source": "external"},
    )


def channel(request, username: str):
    try:
        profile = account_selectors.user_profile_get(username=username, viewer=request.user)
    except NotFound:
        return _not_found(request)
    user = profile.user
    videos = selectors.channel_videos(author_id=user.pk, viewer=request.user)
    for item in videos:
        item.thumbnail_url = access.media_url(item, item.thumbnail)
    return render(
        request,
        "videos/channel.html",
        {
            "channel": user,
            "videos": videos,
            "page_url": links.absolute(links.channel_path(user.username)),
            "og_description": Truncator(user.bio or f"@{user.username} on Social Flow").chars(200),
        },
    )


def oembed_video(*, object_id: int, maxwidth: int | None, maxheight: int | None) -> dict | None:
    """The oEmbed ``video`` of a video everyone may see (an anonymous viewer's access)."""
    try:
        video = selectors.video_get_visible(video_id=object_id, viewer=AnonymousUser())
    except NotFound:
        return None
    width, height = EMBED_WIDTH, EMBED_HEIGHT
    if maxwidth and maxwidth < width:
        width, height = maxwidth, maxwidth * EMBED_HEIGHT // EMBED_WIDTH
    if maxheight and maxheight < height:
        width, height = maxheight * EMBED_WIDTH // EMBED_HEIGHT, maxheight
    src = escape(links.absolute(links.video_embed_path(video.pk)))
    data = {
        "type": "video",
        "title": video.title,
        "author_name": video.author.name,
        "author_url": links.absolute(links.channel_path(video.author.username)),
        "width": width,
        "height": height,
        "html": (
            f'<iframe src="{src}" width="{width}" height="{height}" frameborder="0" '
            f'allow="autoplay; fullscreen" allowfullscreen title="{escape(video.title)}"></iframe>'
        ),
        "cache_age": 3600,
    }
    thumbnail = access.media_url(video, video.thumbnail)
    if thumbnail:
        data.update(
            thumbnail_url=links.absolute(thumbnail),
            thumbnail_width=video.width or 0,
            thumbnail_height=video.height or 0,
        )
    return data
