"""Name the Sites framework's site "Social Flow" (allauth shows it on pages), not "example.com"."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations


def name_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": "Social Flow"})


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_user_purged_at"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [
        migrations.RunPython(name_site, migrations.RunPython.noop),
    ]
