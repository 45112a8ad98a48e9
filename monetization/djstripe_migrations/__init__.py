"""dj-stripe's migrations, squashed (``settings.MIGRATION_MODULES["djstripe"]`` points here).

dj-stripe 2.10's ``0002_2_10`` drops 514 columns one ``RemoveField`` at a time; on SQLite each
one rebuilds its table, so a fresh ``migrate`` spent about 50 of its 85 seconds there (every
``make run`` on a new clone, every smoke). ``0001_squashed_0003_2_11`` is Django's
``squashmigrations`` of dj-stripe's three migrations: the same schema, created directly. The three
originals are re-exported unchanged beside it (they import dj-stripe's own modules), so a database
that applied them is recognised as migrated. ``monetization/tests/test_djstripe_migrations.py``
fails when dj-stripe ships a migration this module does not cover.
"""
