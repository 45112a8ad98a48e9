"""Playlists: ordered collections of videos owned by a user."""

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.db.models.functions import Greatest

from videos.models import Playlist, PlaylistItem, Video


@transaction.atomic
def playlist_create(*, owner, title: str, description: str = "", visibility: str = "public") -> Playlist:
    return Playlist.objects.create(owner=owner, title=title.strip(), description=description, visibility=visibility)


@transaction.atomic
def playlist_update(
    *, playlist: Playlist, title: str | None = None, description: str | None = None, visibility: str | None = None
) -> Playlist:
    fields = []
    for name, value in (("title", title), ("description", description), ("visibility", visibility)):
        if value is not None:
            setattr(playlist, name, value.strip() if name == "title" else value)
            fields.append(name)
    if fields:
        playlist.save(update_fields=[*fields, "updated_at"])
    return playlist


@transaction.atomic
def playlist_delete(*, playlist: Playlist) -> None:
    playlist.delete()


@transaction.atomic
def playlist_item_add(*, playlist: Playlist, video: Video) -> PlaylistItem:
    """Append a video (idempotent: adding it again returns the existing item). Locks the playlist."""
    Playlist.objects.select_for_update().filter(pk=playlist.pk).first()
    existing = PlaylistItem.objects.filter(playlist=playlist, video=video).first()
    if existing is not None:
        return existing
    top = PlaylistItem.objects.filter(playlist=playlist).aggregate(top=Max("position"))["top"]
    try:
        with transaction.atomic():
            item = PlaylistItem.objects.create(playlist=playlist, video=video, position=(top or 0) + 1)
    except IntegrityError:
        return PlaylistItem.objects.get(playlist=playlist, video=video)
    Playlist.objects.filter(pk=playlist.pk).update(items_count=F("items_count") + 1)
    return item


@transaction.atomic
def playlist_item_remove(*, playlist: Playlist, video_id: int) -> bool:
    deleted, _ = PlaylistItem.objects.filter(playlist=playlist, video_id=video_id).delete()
    if deleted:
        Playlist.objects.filter(pk=playlist.pk).update(items_count=Greatest(F("items_count") - 1, 0))
    return bool(deleted)
