"""Videos: uploads (tus), the video resource and its transcoding state, views, reactions, comments,
playlists. Invariants that belong to one row live here as constraints; all writes go through
``videos.services``."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from socialflow.core.moderation import Moderatable
from socialflow.core.visibility import Visibility
from socialflow.core.visibility import choices as visibility_choices

# The visibilities a video and a playlist may have (the API documents these orders).
VIDEO_VISIBILITIES = (
    Visibility.PUBLIC,
    Visibility.UNLISTED,
    Visibility.PRIVATE,
    Visibility.FOLLOWERS,
    Visibility.MEMBERS,
)
VIDEO_VISIBILITY_CHOICES = visibility_choices(*VIDEO_VISIBILITIES)
PLAYLIST_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE)
PLAYLIST_VISIBILITY_CHOICES = visibility_choices(*PLAYLIST_VISIBILITIES)


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    def __str__(self):
        return self.name


class Video(Moderatable, models.Model):
    class Status(models.TextChoices):
        UPLOADING = "uploading", "Uploading"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        LIVE = "live", "Live recording"
        IMPORT = "import", "Import"

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    title = models.CharField(max_length=255)
    description = models.TextField(max_length=5000, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="videos")
    visibility = models.CharField(max_length=16, choices=VIDEO_VISIBILITY_CHOICES, default=Visibility.PUBLIC)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)

    # Transcoding state machine: uploading -> processing -> ready | failed (conditional updates).
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADING, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)  # entered processing, waiting for a worker
    claimed_at = models.DateTimeField(null=True, blank=True)  # a worker's claim, refreshed as a heartbeat
    claim_token = models.CharField(max_length=32, blank=True)  # only the current claimer may publish
    transcode_started_at = models.DateTimeField(null=True, blank=True)  # fair queueing: last served
    transcode_attempts = models.PositiveSmallIntegerField(default=0)
    ready_at = models.DateTimeField(null=True, blank=True)

    # The source file: a storage name (default_storage) once the upload is complete.
    source_name = models.CharField(max_length=500, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    source_size = models.BigIntegerField(default=0)

    # Probe results and published outputs (storage names relative to default_storage).
    duration_ms = models.PositiveBigIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    media_prefix = models.CharField(max_length=300, blank=True)  # current published generation
    renditions = models.JSONField(default=list, blank=True)  # [{height, width, bitrate, playlist}]
    master_playlist = models.CharField(max_length=300, blank=True)
    thumbnail = models.CharField(max_length=300, blank=True)
    preview_sprite = models.CharField(max_length=300, blank=True)
    preview_vtt = models.CharField(max_length=300, blank=True)
    # Part of every signed media link (videos.access): bumped when the video stops being public or
    # is hidden, so links handed out before stop working.
    media_version = models.PositiveIntegerField(default=0)

    # Publishing: published_at in the future means scheduled; announced_at records the follower fan-out.
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    # Moderation (hidden by a moderator = removed): the moderation_* fields of Moderatable.

    views_count = models.PositiveBigIntegerField(default=0)
    likes_count = models.PositiveIntegerField(default=0)
    dislikes_count = models.PositiveIntegerField(default=0)
    comments_count = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="videos_video_title_not_empty"),
            models.CheckConstraint(
                condition=Q(visibility__in=[v.value for v in VIDEO_VISIBILITIES]), name="videos_video_visibility_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["uploading", "processing", "ready", "failed"]), name="videos_video_status_valid"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="videos_video_progress_le_100"),
            *Moderatable.Meta.constraints,
        ]
        indexes = [
            models.Index(fields=["author", "-created_at"]),
            models.Index(fields=["status", "visibility", "-published_at"]),
            models.Index(fields=["status", "queued_at"]),
        ]

    def __str__(self):
        return self.title

    @property
    def is_playable(self) -> bool:
        """Ready, or still processing with a published generation (the quick lowest rung of a long
        video, or the previous ladder while a re-transcode runs): something can be watched."""
        return self.status == self.Status.READY or (
            self.status == self.Status.PROCESSING and bool(self.master_playlist)
        )


class Upload(models.Model):
    """A tus upload. Offset and bytes are durable (DB row + file) so it resumes after a restart."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    video = models.OneToOneField(Video, on_delete=models.CASCADE, related_name="upload", null=True, blank=True)
    length = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    # S3 mode: the multipart upload and its parts; bytes of an unfinished part wait in the local file.
    s3_key = models.CharField(max_length=500, blank=True)
    s3_upload_id = models.CharField(max_length=500, blank=True)
    s3_parts = models.JSONField(default=list, blank=True)  # [{"PartNumber", "ETag"}]
    s3_flushed = models.PositiveBigIntegerField(default=0)  # bytes already sent as parts
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(offset__lte=models.F("length")), name="videos_upload_offset_le_length"),
        ]

    def __str__(self):
        return f"upload {self.id} ({self.offset}/{self.length})"

    @property
    def is_complete(self) -> bool:
        return self.offset == self.length


class TrafficSource(models.TextChoices):
    """Where a playback session came from (the player says; analytics reports views by it)."""

    FEED = "feed", "Feed"
    SEARCH = "search", "Search"
    PROFILE = "profile", "Channel or profile"
    EXTERNAL = "external", "External or direct link"
    RECOMMENDATION = "recommendation", "Recommendation (up next, for you)"


class VideoView(models.Model):
    """One playback session. Counted as a view once watched long enough, once per viewer per 24 h."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="view_sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    viewer_key = models.CharField(max_length=80)  # "u:<id>" or "a:<sha256 of ip + user agent>"
    watched_ms = models.PositiveBigIntegerField(default=0)
    position_ms = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=16, choices=TrafficSource.choices, default=TrafficSource.EXTERNAL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["video", "viewer_key", "counted_at"]),
            models.Index(fields=["video", "created_at"]),
        ]

    def __str__(self):
        return f"view {self.id} of {self.video_id}"


class PendingViewCount(models.Model):
    """Embedded-mode counter store: one row per counted view, folded into Video.views_count in batches."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="+")
    delta = models.IntegerField(default=1)

    def __str__(self):
        return f"+{self.delta} views for {self.video_id}"


class CounterFlush(models.Model):
    """Tokens of applied Redis flushes, so a flush that crashed after applying is not applied twice."""

    token = models.CharField(max_length=64, unique=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.token


class VideoReaction(models.Model):
    class Kind(models.TextChoices):
        LIKE = "like", "Like"
        DISLIKE = "dislike", "Dislike"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="reactions")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "video"], name="videos_reaction_one_per_user"),
            models.CheckConstraint(condition=Q(kind__in=["like", "dislike"]), name="videos_reaction_kind_valid"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind}s {self.video_id}"


class Comment(Moderatable, models.Model):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # One level of threading (YouTube): a reply to a reply attaches to the top-level comment.
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    text = models.TextField(max_length=5000)
    # Moderation: held for review = visible to its author and the creator only; a removed comment is
    # deleted (videos.moderation). The moderation_* fields of Moderatable.
    pinned_at = models.DateTimeField(null=True, blank=True)
    likes_count = models.PositiveIntegerField(default=0)
    replies_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["video", "parent", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="videos_comment_text_not_empty"),
            models.UniqueConstraint(
                fields=["video"], condition=Q(pinned_at__isnull=False), name="videos_comment_one_pinned"
            ),
            *Moderatable.Meta.constraints,
        ]

    def __str__(self):
        return f"comment {self.pk} on {self.video_id}"


class CommentLike(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "comment"], name="videos_commentlike_unique")]

    def __str__(self):
        return f"{self.user_id} likes comment {self.comment_id}"


class Playlist(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playlists")
    title = models.CharField(max_length=150)
    description = models.TextField(max_length=5000, blank=True)
    visibility = models.CharField(max_length=16, choices=PLAYLIST_VISIBILITY_CHOICES, default=Visibility.PUBLIC)
    items_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="videos_playlist_title_not_empty"),
        ]

    def __str__(self):
        return self.title


class PlaylistItem(models.Model):
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="items")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["playlist", "video"], name="videos_playlistitem_unique")]

    def __str__(self):
        return f"{self.video_id} in {self.playlist_id}"
