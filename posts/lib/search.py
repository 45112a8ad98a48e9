"""The full-text expression shared by the GIN index (migration 0003) and the search query.

The index is on ``to_tsvector('english'::regconfig, text)``; PostgreSQL only uses it when the
query repeats that exact expression, which ``PostTextVector`` renders.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db.models import Func

INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS posts_post_text_fts ON posts_post USING gin (to_tsvector('english'::regconfig, text))"
)
DROP_SQL = "DROP INDEX IF EXISTS posts_post_text_fts"


class PostTextVector(Func):
    function = "to_tsvector"
    template = "%(function)s('english'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()
