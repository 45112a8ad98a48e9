from django.apps import AppConfig
from django.db.models.signals import post_migrate

MODERATOR_GROUP = "moderator"
MODERATOR_PERMISSIONS = ("view_report", "change_report", "act_on_report")


def ensure_moderator_group(sender, using="default", **kwargs) -> None:
    """The ``moderator`` group and its permissions exist after every migrate (and after a flush,
    which empties the table the data migration filled), as Django keeps its own permissions."""
    from django.contrib.auth.models import Group, Permission  # app registry is ready only now

    group, _ = Group.objects.using(using).get_or_create(name=MODERATOR_GROUP)
    group.permissions.add(
        *Permission.objects.using(using).filter(
            content_type__app_label="moderation", codename__in=MODERATOR_PERMISSIONS
        )
    )


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self):
        post_migrate.connect(ensure_moderator_group, sender=self)
