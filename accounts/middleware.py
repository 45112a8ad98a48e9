from django.contrib.auth import logout


class BannedSessionMiddleware:
    """Ends the session of a user banned while logged in (admin, Studio, allauth pages)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and (user.is_banned or user.is_deleted):
            logout(request)
        return self.get_response(request)
