"""Full-text search index for posts, PostgreSQL only (SQLite searches with a LIKE fallback)."""

from django.db import migrations

from posts.lib.search import DROP_SQL, INDEX_SQL


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX_SQL)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("posts", "0002_posts_and_feeds")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
