from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"

    def ready(self):
        from posts import access, handlers, public, services
        from posts.models import Post
        from socialflow.core import links, moderation

        access.register()
        handlers.register()
        moderation.register(Post, kind="post", owner_field="author", on_change=services.post_moderated)
        links.register_oembed("post", public.oembed_post)
