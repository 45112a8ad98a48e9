"""PostgreSQL only: the database itself refuses a transaction whose entries don't add up to zero.

A deferred constraint trigger checks, at COMMIT, every ledger transaction that got entries in it;
``ledger_post`` already refuses such postings, this catches any other writer (raw SQL, a bug).
SQLite has no deferred triggers: there the invariant is checked by
``monetization.selectors.ledger_unbalanced_transaction_ids`` (tests).
"""

from django.db import migrations

CREATE_SQL = [
    """
CREATE OR REPLACE FUNCTION monetization_entry_balanced() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM monetization_entry
        WHERE transaction_id = NEW.transaction_id
        GROUP BY currency HAVING SUM(amount_minor) <> 0
    ) THEN
        RAISE EXCEPTION USING
            MESSAGE = 'ledger transaction ' || NEW.transaction_id || ' does not add up to zero',
            ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
""",
    """
CREATE CONSTRAINT TRIGGER monetization_entry_balanced
    AFTER INSERT ON monetization_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION monetization_entry_balanced()
""",
]

DROP_SQL = [
    "DROP TRIGGER IF EXISTS monetization_entry_balanced ON monetization_entry",
    "DROP FUNCTION IF EXISTS monetization_entry_balanced()",
]


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE_SQL:
            schema_editor.execute(sql, params=None)  # no placeholders: leave the SQL as written


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP_SQL:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("monetization", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
