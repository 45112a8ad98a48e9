# dj-stripe's own migration, unchanged: kept importable here for databases migrated before the squash.
from importlib import import_module

Migration = import_module("djstripe.migrations.0001_initial").Migration
