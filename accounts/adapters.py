from allauth.account.adapter import DefaultAccountAdapter
from django.shortcuts import render


class AccountAdapter(DefaultAccountAdapter):
    """allauth hooks: suspended and deleted accounts cannot sign in through the web pages either."""

    def pre_login(self, request, user, **kwargs):
        if user.is_banned or user.is_deleted:
            message = user.ban_message() if user.is_banned else "This account has been deleted."
            return render(request, "account/suspended.html", {"message": message}, status=403)
        return super().pre_login(request, user, **kwargs)
