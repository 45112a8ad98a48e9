"""dj-stripe's migrations are squashed in monetization/djstripe_migrations: the squash must cover
every migration dj-stripe ships, and a database migrated with the originals must count as migrated."""

import pkgutil
from importlib import import_module
from unittest import mock

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from monetization import djstripe_migrations

SQUASHED = "0001_squashed_0003_2_11"


def _names(package) -> set[str]:
    return {m.name for m in pkgutil.iter_modules(package.__path__) if m.name[0].isdigit()}


def test_the_squash_covers_every_migration_djstripe_ships():
    shipped = _names(import_module("djstripe.migrations"))
    squash = import_module(f"monetization.djstripe_migrations.{SQUASHED}").Migration
    assert {name for _, name in squash.replaces} == shipped, (
        "dj-stripe ships migrations the squash does not replace: re-export them in "
        "monetization/djstripe_migrations and squash again"
    )
    assert _names(djstripe_migrations) == shipped | {SQUASHED}


@pytest.mark.django_db
def test_a_database_migrated_with_the_originals_counts_the_squash_as_applied(settings):
    settings.MIGRATION_MODULES = {"djstripe": "monetization.djstripe_migrations"}  # not syncdb (SQLite tests)
    originals = {("djstripe", name): None for name in ("0001_initial", "0002_2_10", "0003_2_11")}
    with mock.patch.object(MigrationRecorder, "applied_migrations", return_value=originals):
        loader = MigrationLoader(connection)
    assert ("djstripe", SQUASHED) in loader.applied_migrations
    assert ("djstripe", SQUASHED) in loader.graph.nodes
