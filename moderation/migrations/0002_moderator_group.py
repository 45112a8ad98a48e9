"""The ``moderator`` group: only what the report queue needs (see the view, act on reports)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db import migrations

GROUP = "moderator"
CODENAMES = ("view_report", "change_report", "act_on_report")


def create_group(apps, schema_editor):
    # Permissions are normally made after migrate (post_migrate); the group needs them now.
    config = global_apps.get_app_config("moderation")
    using = schema_editor.connection.alias
    create_contenttypes(config, verbosity=0, using=using, apps=apps)
    create_permissions(config, verbosity=0, using=using, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.using(using).filter(content_type__app_label="moderation", codename__in=CODENAMES)
    )


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("moderation", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
