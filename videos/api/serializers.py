"""Shapes only: input validation and output representation, no side effects."""

from django.conf import settings
from django.db.models import Manager
from django.utils import timezone
from rest_framework import serializers

from accounts.api.serializers import EmbeddedUserSerializer
from socialflow.core import access
from videos import access as video_access
from videos.models import (
    PLAYLIST_VISIBILITY_CHOICES,
    VIDEO_VISIBILITY_CHOICES,
    Comment,
    Playlist,
    TrafficSource,
    Video,
    VideoReaction,
    Visibility,
)
from videos.services.videos import MAX_TAGS, normalize_tags


# Authors of videos and comments, owners of playlists.
class AuthorSerializer(EmbeddedUserSerializer):
    shown = ("id", "username", "display_name", "avatar_url")


# DRF's own field conversions, shared by the hand-written representation below.
_DATETIME = serializers.DateTimeField()
_STATUS = serializers.ChoiceField(choices=Video.Status.choices)
_VISIBILITY = serializers.ChoiceField(choices=VIDEO_VISIBILITY_CHOICES)
_BOOLEAN = serializers.BooleanField()


def _int(value):
    return None if value is None else int(value)


class VideoListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        videos = list(data.all() if isinstance(data, Manager) else data)
        video_access.media_public_prime(videos)  # one query for the page's media URLs
        return [self.child.to_representation(video) for video in videos]


# The declared fields describe the shape (the schema, the browsable API); ``to_representation``
# writes the same dict by hand: DRF would build ~25 field objects for every video it renders.
# ``test_it_represents_videos_as_drf_would`` holds the two together. (A comment, not a docstring:
# drf-spectacular would publish it.)
class VideoSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    author = AuthorSerializer(read_only=True)
    error = serializers.SerializerMethodField()
    renditions = serializers.SerializerMethodField()
    hls_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    preview_sprite_url = serializers.SerializerMethodField()
    preview_vtt_url = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    is_scheduled = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = [
            "id",
            "title",
            "description",
            "author",
            "status",
            "progress",
            "error",
            "duration_ms",
            "width",
            "height",
            "renditions",
            "hls_url",
            "thumbnail_url",
            "preview_sprite_url",
            "preview_vtt_url",
            "views_count",
            "likes_count",
            "dislikes_count",
            "comments_count",
            "visibility",
            "sensitive",
            "tags",
            "published_at",
            "is_scheduled",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"sensitive": {"help_text": "Marked sensitive by a moderator: show behind a content warning."}}
        list_serializer_class = VideoListSerializer

    def to_representation(self, video):
        author = video.author
        return {
            "id": str(video.pk),
            "title": str(video.title),
            "description": str(video.description),
            "author": None if author is None else AuthorSerializer.embed(author, request=self.context.get("request")),
            "status": None if video.status is None else _STATUS.to_representation(video.status),
            "progress": _int(video.progress),
            "error": self.get_error(video),
            "duration_ms": _int(video.duration_ms),
            "width": _int(video.width),
            "height": _int(video.height),
            "renditions": self.get_renditions(video),
            "hls_url": self.get_hls_url(video),
            "thumbnail_url": self.get_thumbnail_url(video),
            "preview_sprite_url": self.get_preview_sprite_url(video),
            "preview_vtt_url": self.get_preview_vtt_url(video),
            "views_count": _int(video.views_count),
            "likes_count": _int(video.likes_count),
            "dislikes_count": _int(video.dislikes_count),
            "comments_count": _int(video.comments_count),
            "visibility": None if video.visibility is None else _VISIBILITY.to_representation(video.visibility),
            "sensitive": None if video.sensitive is None else _BOOLEAN.to_representation(video.sensitive),
            "tags": self.get_tags(video),
            "published_at": None if video.published_at is None else _DATETIME.to_representation(video.published_at),
            "is_scheduled": self.get_is_scheduled(video),
            "created_at": None if video.created_at is None else _DATETIME.to_representation(video.created_at),
        }

    def get_error(self, video) -> str | None:
        return video.error or None

    # Media URLs: plain (cacheable) for public videos, expiring signed links otherwise
    # (videos.access.media_url). Whoever receives this video may see it, so may fetch its media.
    def get_renditions(self, video) -> list[dict]:
        return [
            {
                "height": r["height"],
                "width": r["width"],
                "bitrate": r["bitrate"],
                "playlist_url": video_access.media_url(video, r["playlist"], playlist=True),
            }
            for r in video.renditions
        ]

    def get_hls_url(self, video) -> str | None:
        return video_access.media_url(video, video.master_playlist, playlist=True)

    def get_thumbnail_url(self, video) -> str | None:
        return video_access.media_url(video, video.thumbnail)

    def get_preview_sprite_url(self, video) -> str | None:
        return video_access.media_url(video, video.preview_sprite)

    def get_preview_vtt_url(self, video) -> str | None:
        return video_access.media_url(video, video.preview_vtt)

    def get_tags(self, video) -> list[str]:
        return [t.name for t in video.tags.all()]

    def get_is_scheduled(self, video) -> bool:
        return bool(video.published_at and video.published_at > timezone.now())


class VideoDetailSerializer(VideoSerializer):
    viewer_reaction = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField(
        help_text="The uploaded original: for its owner and staff only, a link that expires in minutes."
    )

    class Meta(VideoSerializer.Meta):
        fields = [*VideoSerializer.Meta.fields, "viewer_reaction", "original_url"]
        read_only_fields = fields

    def to_representation(self, video):
        data = super().to_representation(video)
        data["viewer_reaction"] = self.get_viewer_reaction(video)
        data["original_url"] = self.get_original_url(video)
        return data

    def get_viewer_reaction(self, video) -> str | None:
        return self.context.get("viewer_reaction")

    def get_original_url(self, video) -> str | None:
        return video_access.original_url_for(self.context.get("viewer"), video)


class VideoReactionsSerializer(serializers.Serializer):
    """What like/dislike (set or clear) return: the counts and the viewer's reaction now."""

    likes_count = serializers.IntegerField()
    dislikes_count = serializers.IntegerField()
    viewer_reaction = serializers.ChoiceField(choices=VideoReaction.Kind.choices, allow_null=True)


class TagListField(serializers.ListField):
    child = serializers.CharField(max_length=50)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        if isinstance(data, list | tuple):  # multipart forms send "a, b, c" or repeated fields
            data = [part for item in data for part in str(item).split(",") if part.strip()]
        tags = normalize_tags(super().to_internal_value(data))
        if len(tags) > MAX_TAGS:
            raise serializers.ValidationError(f"At most {MAX_TAGS} tags.")
        return tags


class VideoUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(min_length=1, max_length=255, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=VIDEO_VISIBILITY_CHOICES, required=False)
    tags = TagListField(required=False)
    published_at = serializers.DateTimeField(required=False, allow_null=True)


class VideoCreateSerializer(VideoUpdateSerializer):
    file = serializers.FileField()
    title = serializers.CharField(min_length=1, max_length=255)

    def validate_file(self, value):
        if value.size and value.size > settings.VIDEO_MAX_UPLOAD_BYTES:
            raise serializers.ValidationError("The file is larger than the upload limit.")
        return value


class ViewStartSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=TrafficSource.choices,
        default=TrafficSource.EXTERNAL,
        help_text="Where the viewer came from (analytics' traffic sources).",
    )


class WatchSerializer(serializers.Serializer):
    view_id = serializers.UUIDField()
    position_ms = serializers.IntegerField(min_value=0, max_value=10**10)
    watched_ms = serializers.IntegerField(min_value=0, max_value=10**10)


class CommentSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    video_id = serializers.CharField(read_only=True)
    parent_id = serializers.CharField(read_only=True, allow_null=True)
    author = AuthorSerializer(read_only=True)
    is_held = serializers.SerializerMethodField()
    is_pinned = serializers.SerializerMethodField()
    viewer_liked = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "video_id",
            "parent_id",
            "author",
            "text",
            "is_held",
            "is_pinned",
            "likes_count",
            "replies_count",
            "viewer_liked",
            "created_at",
        ]
        read_only_fields = fields

    def get_is_held(self, comment) -> bool:
        return access.is_moderation_held(comment)

    def get_is_pinned(self, comment) -> bool:
        return comment.pinned_at is not None

    def get_viewer_liked(self, comment) -> bool:
        return bool(getattr(comment, "viewer_liked", False))


class CommentCreateSerializer(serializers.Serializer):
    text = serializers.CharField(min_length=1, max_length=5000, trim_whitespace=True)
    parent = serializers.CharField(required=False, allow_null=True)


class PlaylistSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    owner = AuthorSerializer(read_only=True)

    class Meta:
        model = Playlist
        fields = ["id", "owner", "title", "description", "visibility", "items_count", "created_at", "updated_at"]
        read_only_fields = ["id", "owner", "items_count", "created_at", "updated_at"]


class PlaylistDetailSerializer(PlaylistSerializer):
    videos = serializers.SerializerMethodField()

    class Meta(PlaylistSerializer.Meta):
        fields = [*PlaylistSerializer.Meta.fields, "videos"]

    def get_videos(self, playlist) -> list[dict]:
        return VideoSerializer(self.context.get("videos", []), many=True, context=self.context).data


class PlaylistInputSerializer(serializers.Serializer):
    title = serializers.CharField(min_length=1, max_length=150)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(choices=PLAYLIST_VISIBILITY_CHOICES, default=Visibility.PUBLIC)


class PlaylistItemSerializer(serializers.Serializer):
    video_id = serializers.CharField()
