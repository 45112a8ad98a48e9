"""Shapes of posts in the API (output serializers render by hand: a feed page renders 20 posts
with their quotes and reposts in well under a millisecond each). Embedded users and the graph's
shapes are ``accounts.api.serializers``."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer, user_brief
from accounts.selectors import hidden_author_ids_for
from posts.models import POST_VISIBILITIES, POST_VISIBILITY_CHOICES, Visibility
from socialflow.core import access


def _iso(value):
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


@extend_schema_field(OpenApiTypes.STR)
class IdField(serializers.Field):
    """An id in JSON: a string of digits (or an integer)."""

    default_error_messages = {"invalid": "Not a valid id."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int) or (isinstance(data, str) and data.isdigit() and len(data) <= 20):
            value = int(data)
            if 0 < value < 2**63:
                return value
        self.fail("invalid")

    def to_representation(self, value):
        return str(value)


def _core(post, viewer_known: bool) -> dict:
    data = {
        "id": str(post.pk),
        "type": "post",
        "author": user_brief(post.author),
        "text": post.text,
        "visibility": post.visibility,
        "sensitive": post.sensitive,
        "created_at": _iso(post.created_at),
        "edited_at": _iso(post.edited_at),
        "reply_to": None,
        "thread_root_id": str(post.thread_root_id) if post.thread_root_id else None,
        "media": post.attachments,
        "video_id": str(post.video_id) if post.video_id else None,
        "hashtags": post.entities.get("hashtags", []),
        "mentions": post.entities.get("mentions", []),
        "likes_count": post.likes_count,
        "reposts_count": post.reposts_count,
        "replies_count": post.replies_count,
        "quotes_count": post.quotes_count,
        "url": f"{settings.SITE_URL}/api/v1/posts/{post.pk}",
    }
    if post.reply_to_id:
        data["reply_to"] = {
            "id": str(post.reply_to_id),
            "author": post.entities.get("reply_to", {}).get("username"),
        }
    return data


def _quote(post, hidden_author_ids: frozenset | None, viewer) -> dict | None:
    if not post.quote_of_id:
        return None
    quoted = post.quote_of
    # The quoted post is shown only to who may see it now (its author may have gone private since).
    if (
        quoted is None
        or quoted.author_id in (hidden_author_ids or ())
        or not access.can_view(viewer, quoted, kind="post", blocked_ids=hidden_author_ids)
    ):
        return {"id": str(post.quote_of_id), "unavailable": True}
    return _core(quoted, viewer_known=False)


def serialize_post(post, *, viewer=None, hidden_author_ids: frozenset | None = None) -> dict:
    """A post as the API shows it. A repost is ``{"type": "repost", "author": reposter,
    "repost_of": <the original>}``; the ``liked``/``reposted``/``bookmarked`` flags (from
    ``selectors.with_viewer_state``) describe the shown original. ``hidden_author_ids``: the
    viewer's blocked (either way) and muted accounts, if the caller has them (else queried)."""
    flags = {
        "liked": getattr(post, "viewer_liked", False),
        "reposted": getattr(post, "viewer_reposted", False),
        "bookmarked": getattr(post, "viewer_bookmarked", False),
    }
    if post.repost_of_id:
        original = post.repost_of
        inner = _core(original, viewer_known=True)
        inner["quote"] = _quote(original, hidden_author_ids, viewer)
        inner.update(flags)
        return {
            "id": str(post.pk),
            "type": "repost",
            "author": user_brief(post.author),
            "created_at": _iso(post.created_at),
            "repost_of": inner,
        }
    data = _core(post, viewer_known=True)
    data["quote"] = _quote(post, hidden_author_ids, viewer)
    data.update(flags)
    if access.is_moderation_held(post) and viewer is not None and post.author_id == getattr(viewer, "pk", None):
        data["held"] = {"reason": post.moderation_reason}  # only its author ever sees a held post
    return data


def serialize_posts(posts, *, viewer, hidden_author_ids: frozenset | None = None) -> list[dict]:
    """``serialize_post`` for a page: quoted posts by authors the viewer blocks, is blocked by
    or mutes show as unavailable (one query, only when the page holds a quote and the caller
    did not pass ``hidden_author_ids``, as the home feed does from its viewer graph)."""
    hidden = hidden_author_ids
    if hidden is None and not access.is_authenticated(viewer):
        hidden = frozenset()
    quoting = any(p.quote_of_id or (p.repost_of_id and p.repost_of.quote_of_id) for p in posts)
    if hidden is None and quoting:
        hidden = frozenset(hidden_author_ids_for(viewer_id=viewer.pk))
    return [serialize_post(p, viewer=viewer, hidden_author_ids=hidden) for p in posts]


class PostListSerializer(serializers.ListSerializer):
    """A page of posts: ``serialize_posts`` for the viewer of the context's request."""

    def to_representation(self, data):
        return serialize_posts(list(data), viewer=_viewer(self.context))


def _viewer(context):
    request = context.get("request")
    return request.user if request is not None else None


# Rendering is ``serialize_posts`` for the viewer of the context's request (none: no quote is
# hidden). The docstring below is the OpenAPI component's description.
class HeldSerializer(serializers.Serializer):
    reason = serializers.CharField()


class PostSerializer(serializers.Serializer):
    """Documentation of the post shape (rendering is ``serialize_post``).

    A repost (``type=repost``) carries only ``id``, ``type``, ``author``, ``created_at`` and
    ``repost_of``; every other field is then absent, so they are not required.
    """

    id = serializers.CharField()
    type = serializers.ChoiceField(choices=["post", "repost"])
    author = UserBriefSerializer()
    text = serializers.CharField(required=False)
    visibility = serializers.ChoiceField(choices=POST_VISIBILITY_CHOICES, required=False)
    sensitive = serializers.BooleanField(
        required=False, help_text="Marked sensitive by a moderator: show behind a content warning."
    )
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True, required=False)
    reply_to = serializers.DictField(allow_null=True, required=False)
    thread_root_id = serializers.CharField(allow_null=True, required=False)
    quote = serializers.DictField(allow_null=True, required=False)
    repost_of = serializers.DictField(required=False, help_text="For type=repost: the reposted post.")
    media = serializers.ListField(child=serializers.DictField(), required=False)
    video_id = serializers.CharField(allow_null=True, required=False)
    hashtags = serializers.ListField(child=serializers.CharField(), required=False)
    mentions = serializers.ListField(child=serializers.DictField(), required=False)
    likes_count = serializers.IntegerField(required=False)
    reposts_count = serializers.IntegerField(required=False)
    replies_count = serializers.IntegerField(required=False)
    quotes_count = serializers.IntegerField(required=False)
    liked = serializers.BooleanField(required=False)
    reposted = serializers.BooleanField(required=False)
    bookmarked = serializers.BooleanField(required=False)
    held = HeldSerializer(
        required=False,
        help_text="Only for the author of a post held for review (hidden from everyone else): why.",
    )

    class Meta:
        list_serializer_class = PostListSerializer

    def to_representation(self, instance):
        return serialize_posts([instance], viewer=_viewer(self.context))[0]


class PostCreateSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=True)
    reply_to = IdField(required=False, allow_null=True, default=None)
    quote_of = IdField(required=False, allow_null=True, default=None)
    media_ids = serializers.ListField(child=IdField(), required=False, default=list)
    video_id = IdField(required=False, allow_null=True, default=None)
    visibility = serializers.ChoiceField(
        choices=[v.value for v in POST_VISIBILITIES if v != Visibility.MEMBERS], default=Visibility.PUBLIC
    )

    def validate_text(self, value):
        if len(value) > settings.POST_MAX_LENGTH:
            raise serializers.ValidationError(f"Posts are at most {settings.POST_MAX_LENGTH} characters.")
        return value

    def validate_media_ids(self, value):
        if len(value) > settings.POST_MAX_MEDIA:
            raise serializers.ValidationError(f"At most {settings.POST_MAX_MEDIA} images per post.")
        return value


class PostUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=True)

    def validate_text(self, value):
        if len(value) > settings.POST_MAX_LENGTH:
            raise serializers.ValidationError(f"Posts are at most {settings.POST_MAX_LENGTH} characters.")
        return value


class PostEditSerializer(serializers.Serializer):
    text = serializers.CharField()
    hashtags = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    replaced_at = serializers.DateTimeField()

    def to_representation(self, edit):
        return {
            "text": edit.text,
            "hashtags": edit.entities.get("hashtags", []),
            "created_at": _iso(edit.created_at),
            "replaced_at": _iso(edit.replaced_at),
        }


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    alt_text = serializers.CharField(required=False, allow_blank=True, default="", max_length=1500)


class MediaSerializer(serializers.Serializer):
    id = serializers.CharField()
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    variants = serializers.DictField(child=serializers.CharField())


class HashtagTrendSerializer(serializers.Serializer):
    name = serializers.CharField()
    score = serializers.FloatField()
    uses = serializers.IntegerField()


class SearchTrendSerializer(serializers.Serializer):
    term = serializers.CharField()
    score = serializers.FloatField()
