from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"

    def ready(self):
        from socialflow.core import links, moderation, quotas
        from socialflow.hydration import register_cascade
        from videos import access, public, selectors, services
        from videos.api.representations import LIST_KIND, list_of_videos
        from videos.models import Comment, Video

        access.register()
        moderation.register(Video, kind="video", owner_field="author", on_change=services.video_moderated)
        moderation.register(Comment, kind="comment", owner_field="author", on_change=services.comment_moderated)
        # A video's cached representation embeds its author.
        register_cascade("user", dependent_kind="video", ids_of=selectors.video_ids_of_authors)
        # The rendered anonymous list pages embed videos (videos.api.views.VideoViewSet).
        register_cascade("video", dependent_kind=LIST_KIND, ids_of=list_of_videos)
        links.register_oembed("video", public.oembed_video)
        quotas.set_usage(quotas.VIDEOS, selectors.quota_video_count)
        quotas.set_usage(quotas.STORAGE, selectors.quota_storage_bytes)
