from django.conf import settings
from django.db import models

from posts.lib.ids import next_id
from socialflow.core.moderation import Moderatable
from socialflow.core.visibility import Visibility
from socialflow.core.visibility import choices as visibility_choices

# The visibilities a post may have (the API documents this order); members-only is reserved.
POST_VISIBILITIES = (
    Visibility.PUBLIC,
    Visibility.UNLISTED,
    Visibility.FOLLOWERS,
    Visibility.MEMBERS,
    Visibility.DIRECT,
)
POST_VISIBILITY_CHOICES = visibility_choices(*POST_VISIBILITIES)


def _new_post_id() -> int:
    return next_id()


class Post(Moderatable, models.Model):
    """A post, a reply (``reply_to``), a quote (``quote_of``) or a repost (``repost_of``, no text).

    The primary key is a time-ordered 64-bit id (``posts.lib.ids``) so timelines sort and page by
    id. Deletion and moderation are soft (``deleted_at`` by the author, ``moderation_status``): threads keep their shape,
    and every read filters them out. ``attachments`` and ``entities`` are snapshots written by the
    services so a feed page renders from one query.
    """

    id = models.BigIntegerField(primary_key=True, default=_new_post_id, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    text = models.TextField(blank=True)
    visibility = models.CharField(max_length=16, choices=POST_VISIBILITY_CHOICES, default=Visibility.PUBLIC)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    thread_root = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    quote_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes")
    repost_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="reposts")
    # Videos are referenced by id (validated through videos.selectors) so this app does not depend
    # on the videos app's migrations.
    video_id = models.BigIntegerField(null=True, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    entities = models.JSONField(default=dict, blank=True)

    likes_count = models.PositiveIntegerField(default=0)
    reposts_count = models.PositiveIntegerField(default=0)
    replies_count = models.PositiveIntegerField(default=0)
    quotes_count = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)  # by its author; moderators remove

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "repost_of"],
                condition=models.Q(repost_of__isnull=False, deleted_at__isnull=True),
                name="posts_post_one_live_repost",
            ),
            models.CheckConstraint(
                condition=models.Q(repost_of__isnull=True) | models.Q(text=""),
                name="posts_post_repost_has_no_text",
            ),
            *Moderatable.Meta.constraints,
        ]
        indexes = [
            models.Index(fields=["author", "-id"], name="posts_post_author_id_idx"),
            models.Index(fields=["reply_to", "id"], name="posts_post_reply_idx"),
            models.Index(fields=["repost_of"], name="posts_post_repost_of_idx"),
            models.Index(fields=["-likes_count"], name="posts_post_likes_idx"),
        ]

    def __str__(self):
        return f"post {self.id} by {self.author_id}"

    @property
    def is_repost(self) -> bool:
        return self.repost_of_id is not None


class PostEdit(models.Model):
    """The text a post had before an edit (edit history, newest last)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="edits")
    text = models.TextField(blank=True)
    entities = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()  # when this version was written
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"edit of {self.post_id}"


class Hashtag(models.Model):
    name = models.CharField(max_length=100, unique=True)  # casefolded, without '#'
    posts_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"#{self.name}"


class PostHashtag(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="post_hashtags")
    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="post_hashtags")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "hashtag"], name="posts_posthashtag_unique")]
        indexes = [
            models.Index(fields=["hashtag", "-post"], name="posts_posthashtag_tag_idx"),
            models.Index(fields=["created_at"], name="posts_posthashtag_created_idx"),
        ]

    def __str__(self):
        return f"{self.post_id} #{self.hashtag_id}"


class Mention(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="posts_mention_unique")]
        indexes = [models.Index(fields=["user", "-post"], name="posts_mention_user_idx")]

    def __str__(self):
        return f"{self.post_id} @{self.user_id}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="posts_like_unique")]
        indexes = [
            models.Index(fields=["post"], name="posts_like_post_idx"),
            models.Index(fields=["user", "-created_at"], name="posts_like_user_idx"),
        ]

    def __str__(self):
        return f"{self.user_id} likes {self.post_id}"


class Bookmark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="posts_bookmark_unique")]
        indexes = [models.Index(fields=["user", "-id"], name="posts_bookmark_user_idx")]

    def __str__(self):
        return f"{self.user_id} bookmarked {self.post_id}"


class Media(models.Model):
    """An uploaded image, re-encoded without metadata, with resized variants; attached to one post."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="media")
    file = models.CharField(max_length=500)  # storage name of the original
    variants = models.JSONField(default=dict, blank=True)  # name -> storage name
    content_type = models.CharField(max_length=50)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    alt_text = models.CharField(max_length=1500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"], name="posts_media_owner_idx")]

    def __str__(self):
        return f"media {self.pk}"


class TimelineEntry(models.Model):
    """The database-backed home timeline store (embedded mode): one row per (reader, post id).

    ``original_id`` is the reposted post for repost entries, so a repost of something already
    near the top of a timeline is not inserted twice.
    """

    user_id = models.BigIntegerField()
    post_id = models.BigIntegerField()
    original_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "post_id"], name="posts_timelineentry_unique")]
        indexes = [models.Index(fields=["user_id", "-post_id"], name="posts_timeline_user_idx")]

    def __str__(self):
        return f"{self.user_id}: {self.post_id}"


class TimelineState(models.Model):
    """When a database timeline was last read or rebuilt (older than the active window = cold)."""

    user_id = models.BigIntegerField(primary_key=True)
    warm_at = models.DateTimeField()

    def __str__(self):
        return f"timeline {self.user_id}"


class SearchTermBucket(models.Model):
    """How often a search term was searched in one hour (for trending searches)."""

    term = models.CharField(max_length=100)
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "hour"], name="posts_searchterm_unique")]
        indexes = [models.Index(fields=["hour"], name="posts_searchterm_hour_idx")]

    def __str__(self):
        return f"{self.term} @ {self.hour:%Y-%m-%d %H}"
