from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import access
        from accounts.api import schema  # noqa: F401 - registers the OpenAPI auth extensions

        access.register()
