from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"

    def ready(self):
        from videos import access

        access.register()
