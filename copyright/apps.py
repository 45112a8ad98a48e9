from django.apps import AppConfig


class CopyrightConfig(AppConfig):
    name = "copyright"
