from rest_framework import permissions


class IsOwnerOrReadOnly(permissions.BasePermission):
    """Object-level: safe methods for anyone who can see it; writes only by ``owner_field``."""

    owner_field = "author"

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        owner_field = getattr(view, "owner_field", self.owner_field)
        return getattr(obj, f"{owner_field}_id", None) == request.user.id


class IsModerator(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_moderator)
