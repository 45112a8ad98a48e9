"""Fast bulk loading for benchmarks and big demo data: COPY on PostgreSQL, bulk_create elsewhere.

Rows are dicts of attribute names; every other concrete field takes its model default, so the
loader keeps working when other apps add columns with defaults.
"""

import io
import json
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, models


def _text_value(field: models.Field, value) -> str:
    if value is None:
        return r"\N"
    if isinstance(field, models.JSONField):
        value = json.dumps(value)
    elif isinstance(value, bool):
        value = "t" if value else "f"
    elif isinstance(value, datetime):
        value = value.isoformat()
    value = str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def load(model: type[models.Model], rows: Iterable[dict], *, batch_size: int = 20_000) -> int:
    """Insert ``rows`` into ``model``'s table as fast as the database allows; returns the count."""
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))]
    if connection.vendor != "postgresql":
        count = 0
        batch: list[models.Model] = []
        for row in rows:
            batch.append(model(**row))
            if len(batch) >= batch_size:
                model.objects.bulk_create(batch, batch_size=2000)
                count += len(batch)
                batch = []
        if batch:
            model.objects.bulk_create(batch, batch_size=2000)
            count += len(batch)
        return count
    defaults = {}
    for field in fields:
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            defaults[field.attname] = lambda: datetime.now().astimezone()
        else:
            defaults[field.attname] = field.get_default
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    buffer = io.StringIO()

    def flush(cursor):
        buffer.seek(0)
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        buffer.seek(0)
        buffer.truncate()

    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor
        pending = 0
        for row in rows:
            values = []
            for field in fields:
                value = row[field.attname] if field.attname in row else defaults[field.attname]()
                values.append(_text_value(field, value))
            buffer.write("\t".join(values) + "\n")
            pending += 1
            count += 1
            if pending >= batch_size:
                flush(cursor)
                pending = 0
        if pending:
            flush(cursor)
    return count
