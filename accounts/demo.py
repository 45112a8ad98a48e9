"""Demo users: an admin (password printed), a creator and two viewers. Idempotent."""

import secrets

from django.conf import settings

from accounts import services
from accounts.models import User

DEMO_PASSWORD = "socialflow-demo"  # noqa: S105 - documented demo credential


def _admin_password() -> str:
    path = settings.VAR_DIR / "demo_admin_password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.write_text(password)
    path.chmod(0o600)
    return password


def demo_credentials() -> str:
    return f"Demo users: admin / {_admin_password()} (superuser); alice, bob, charlie / {DEMO_PASSWORD}"


def _get_or_create(*, username: str, **fields) -> User:
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        user = services.user_create(username=username, email_verified=True, **fields)
    return user


def seed(*, context: dict, stdout) -> None:
    password = _admin_password()
    users = {
        "admin": _get_or_create(
            username="admin",
            email="admin@socialflow.local",
            password=password,
            display_name="Admin",
            role=User.Role.ADMIN,
            is_staff=True,
            is_superuser=True,
        )
    }
    for username, display_name, role in (
        ("alice", "Alice Creator", User.Role.CREATOR),
        ("bob", "Bob Viewer", User.Role.USER),
        ("charlie", "Charlie", User.Role.USER),
    ):
        users[username] = _get_or_create(
            username=username,
            email=f"{username}@socialflow.local",
            password=DEMO_PASSWORD,
            display_name=display_name,
            role=role,
        )
    context["users"] = users
    stdout.write(demo_credentials())
