"""``INSERT … SELECT``: rows built in the database from a queryset, none through Python.

Django has no ``INSERT … SELECT``; the queryset is compiled for the connection's vendor as usual
and put after ``INSERT INTO table (columns)``, so the same code runs on PostgreSQL and SQLite
(``RETURNING`` needs SQLite ≥ 3.35; ``ON CONFLICT`` after a SELECT needs its WHERE, which a
filtered queryset has).
"""

from django.db import connections
from django.db.models import Expression, Model, QuerySet


def insert_from_select(
    *,
    model: type[Model],
    queryset: QuerySet,
    columns: dict[str, Expression],
    returning: tuple[str, ...],
    ignore_conflicts: bool = False,
) -> list[tuple]:
    """Insert one ``model`` row per row of ``queryset``, field name → expression over it, in one
    statement; returns the ``returning`` fields of the rows inserted. Fields left out get NULL.
    ``ignore_conflicts``: a row that would break a unique constraint is skipped (and not returned)."""
    aliases = {f"ins_{name}": expression for name, expression in columns.items()}
    select = queryset.annotate(**aliases).values_list(*aliases)
    compiler = select.query.get_compiler(using=select.db)
    select_sql, params = compiler.as_sql()
    # The column list below must line up with the SELECT list, in this order.
    if [alias for _col, _sql, alias in compiler.select] != list(aliases):
        raise AssertionError("SELECT columns out of order for INSERT … SELECT")
    connection = connections[select.db]
    quote = connection.ops.quote_name
    meta = model._meta
    into = ", ".join(quote(meta.get_field(name).column) for name in columns)
    back = ", ".join(quote(meta.get_field(name).column) for name in returning)
    conflicts = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    sql = f"INSERT INTO {quote(meta.db_table)} ({into}) {select_sql}{conflicts} RETURNING {back}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
