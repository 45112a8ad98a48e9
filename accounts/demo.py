"""Demo users: an admin (password printed), a creator and two viewers."""

import secrets

from django.conf import settings

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


def seed(*, context: dict, stdout) -> None:
    password = _admin_password()
    admin = User.objects.filter(username__iexact="admin").first()
    if admin is None:
        admin = User.objects.create_superuser(
            username="admin",
            email="admin@socialflow.local",
            password=password,
            role=User.Role.ADMIN,
            display_name="Admin",
        )
    users = {"admin": admin}
    for username, display_name, role in (
        ("alice", "Alice Creator", User.Role.CREATOR),
        ("bob", "Bob Viewer", User.Role.USER),
        ("charlie", "Charlie", User.Role.USER),
    ):
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                email=f"{username}@socialflow.local",
                password=DEMO_PASSWORD,
                display_name=display_name,
                role=role,
            )
        users[username] = user
    context["users"] = users
    stdout.write(f"Demo users: admin / {password} (superuser); alice, bob, charlie / {DEMO_PASSWORD}")
