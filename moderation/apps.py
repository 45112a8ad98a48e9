from django.apps import AppConfig
from django.db.models import Q
from django.db.models.signals import post_migrate

MODERATOR_GROUP = "moderator"
# What a moderator needs and nothing else: the queues (reports, signals, appeals, account
# actions), acting on them, the staff lists (watched words, known-bad hashes) and reading the audit
# trail. A staff user without the group cannot act (the admin actions check these).
MODERATOR_PERMISSIONS = (
    "view_report",
    "change_report",
    "act_on_report",
    "escalate",
    "view_reportmessage",
    "add_reportmessage",
    "view_signal",
    "change_signal",
    "act_on_signal",
    "view_accountaction",
    "add_accountaction",
    "act_on_account",
    "view_appeal",
    "change_appeal",
    "decide_appeal",
    "view_watchedword",
    "add_watchedword",
    "change_watchedword",
    "delete_watchedword",
    "view_hashentry",
    "add_hashentry",
    "change_hashentry",
)
# Read-only: what a report or a signal can point at (the queue's preview links open these admin
# pages) and the audit trail. Changing them stays with the queue's actions, which go through services.
MODERATOR_VIEW_PERMISSIONS = (
    ("posts", "view_post"),
    ("videos", "view_video"),
    ("videos", "view_comment"),
    ("live", "view_stream"),
    ("live", "view_chatmessage"),
    ("accounts", "view_user"),
    ("core", "view_auditentry"),
)


def ensure_moderator_group(sender, using="default", **kwargs) -> None:
    """The ``moderator`` group and its permissions exist after every migrate (and after a flush,
    which empties the table the data migration filled), as Django keeps its own permissions. Run
    after each app's migrate: other apps' permissions exist only once their own post_migrate ran."""
    from django.contrib.auth.models import Group, Permission  # app registry is ready only now

    group, _ = Group.objects.using(using).get_or_create(name=MODERATOR_GROUP)
    wanted = Q(content_type__app_label="moderation", codename__in=MODERATOR_PERMISSIONS)
    for app_label, codename in MODERATOR_VIEW_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.add(*Permission.objects.using(using).filter(wanted))


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self):
        from moderation import handlers, services
        from socialflow.core import restrictions

        post_migrate.connect(ensure_moderator_group, dispatch_uid="moderation.ensure_moderator_group")
        handlers.register()
        restrictions.set_provider(services.restriction_refusal)
