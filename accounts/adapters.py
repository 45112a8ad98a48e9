"""allauth hooks: our email layout and absolute links (SITE_URL), no web login for suspended or
deleted accounts, and no flash messages for API calls."""

from types import SimpleNamespace
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from accounts.services.users import is_reserved_username


class AccountAdapter(DefaultAccountAdapter):
    def pre_login(self, request, user, **kwargs):
        if user.is_banned or user.is_deleted:
            message = user.ban_message() if user.is_banned else "This account has been deleted."
            return render(request, "account/suspended.html", {"message": message}, status=403)
        return super().pre_login(request, user, **kwargs)

    def clean_username(self, username, shallow=False):
        username = super().clean_username(username, shallow=shallow)
        if is_reserved_username(username):
            raise self.validation_error("username_taken")
        return username

    # Links in emails are built from SITE_URL, never from the request's Host header (which a client
    # controls) nor from the Sites framework's placeholder domain. Emails are also sent by Celery
    # tasks, where there is no request at all.
    def absolute_url(self, url_name: str, *args) -> str:
        return f"{settings.SITE_URL}{reverse(url_name, args=args)}"

    def get_email_confirmation_url(self, request, emailconfirmation):
        return self.absolute_url("account_confirm_email", emailconfirmation.key)

    def get_reset_password_from_key_url(self, key):
        # allauth's key is "<uid base36>-<token>"; the same uid and token work in the API.
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return settings.SITE_URL + path.replace("UID-KEY", quote(key))

    def send_mail(self, template_prefix, email, context):
        ctx = {
            "email": email,
            "site_name": "Social Flow",
            "site_url": settings.SITE_URL,
            "current_site": SimpleNamespace(name="Social Flow", domain=settings.SITE_URL.split("://", 1)[-1]),
        }
        ctx.update(context)
        ctx.setdefault("password_reset_url", self.absolute_url("account_reset_password"))
        self.render_mail(template_prefix, email, ctx).send()

    def add_message(self, request, *args, **kwargs):
        if request is not None and request.path.startswith("/api/"):
            return
        return super().add_message(request, *args, **kwargs)
