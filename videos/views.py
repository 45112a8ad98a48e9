"""Studio pages for creators: my videos (live status), upload (tus from the browser), edit."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from socialflow.core import access as core_access
from socialflow.core.exceptions import DomainError, InvalidInput, NotFound, PermissionDenied
from videos import access, selectors, services
from videos.api.serializers import VideoUpdateSerializer
from videos.models import VIDEO_VISIBILITY_CHOICES


@login_required
def index(request):
    videos = list(selectors.video_list(viewer=request.user, author=request.user.username)[:100])
    for video in videos:
        video.thumbnail_url = access.media_url(video, video.thumbnail)
    return render(request, "videos/index.html", {"videos": videos})


@login_required
def upload(request):
    return render(
        request,
        "videos/upload.html",
        {
            "visibilities": VIDEO_VISIBILITY_CHOICES,
            "max_bytes": settings.VIDEO_MAX_UPLOAD_BYTES,
            "chunk_bytes": settings.VIDEO_STUDIO_CHUNK_BYTES,
        },
    )


@login_required
def edit(request, video_id: int):
    try:
        video = selectors.video_get_owned(video_id=video_id, user=request.user)
    except (NotFound, PermissionDenied):
        return render(request, "videos/not_found.html", status=404)
    video.thumbnail_url = access.media_url(video, video.thumbnail)
    video.hls_url = access.media_url(video, video.master_playlist, playlist=True)
    errors = {}
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            services.video_delete(video=video)
            messages.success(request, "Video deleted.")
            return redirect("videos:index")
        if request.POST.get("action") == "thumbnail":
            image = request.FILES.get("thumbnail")
            try:
                if image is None:
                    raise InvalidInput("Choose an image.", field="thumbnail")
                services.video_thumbnail_set(video=video, image_file=image)
                messages.success(request, "Thumbnail updated.")
            except InvalidInput as exc:
                messages.error(request, exc.message)
            return redirect("videos:edit", video_id=video.pk)
        data = {
            "title": request.POST.get("title", ""),
            "description": request.POST.get("description", ""),
            "visibility": request.POST.get("visibility", video.visibility),
            "tags": request.POST.get("tags", ""),
            "published_at": request.POST.get("published_at") or None,
        }
        serializer = VideoUpdateSerializer(data=data)
        if serializer.is_valid():
            services.video_update(video=video, **serializer.validated_data)
            messages.success(request, "Saved.")
            return redirect("videos:edit", video_id=video.pk)
        errors = serializer.errors
    return render(
        request,
        "videos/edit.html",
        {
            "video": video,
            "visibilities": VIDEO_VISIBILITY_CHOICES,
            "tags": ", ".join(t.name for t in video.tags.all()),
            "errors": errors,
        },
    )


COMMENT_DONE = {
    "pin": "Pinned.",
    "unpin": "Unpinned.",
    "hold": "Held for review.",
    "approve": "Approved.",
    "delete": "Deleted.",
}
COMMENT_ACTIONS = tuple(COMMENT_DONE)


@login_required
def comments(request, video_id: int):
    """The creator moderates their video's comments: pin one, hold for review, approve, delete."""
    try:
        video = selectors.video_get_owned(video_id=video_id, user=request.user)
    except (NotFound, PermissionDenied):
        return render(request, "videos/not_found.html", status=404)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            comment = selectors.comment_get_visible(comment_id=request.POST.get("comment", ""), viewer=request.user)
            if comment.video_id != video.pk or action not in COMMENT_ACTIONS:
                raise NotFound("Comment not found.")
            if action == "pin":
                if comment.parent_id or core_access.is_moderation_hidden(comment):
                    raise PermissionDenied("Only visible top-level comments can be pinned.")
                services.comment_pin(comment=comment)
            elif action == "unpin":
                services.comment_unpin(comment=comment)
            elif action == "hold":
                services.comment_hold(comment=comment, by=request.user, reason="held by the creator")
            elif action == "approve":
                services.comment_approve(comment=comment, by=request.user, reason="approved by the creator")
            else:
                services.comment_delete(comment=comment, by=request.user, reason="deleted by the creator")
            messages.success(request, COMMENT_DONE[action])
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("videos:comments", video_id=video.pk)
    return render(
        request, "videos/comments.html", {"video": video, "comments": selectors.comments_for_creator(video=video)}
    )
