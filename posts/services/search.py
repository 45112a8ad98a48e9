"""Search logging for trending searches: hourly buckets per normalised term."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from posts.models import SearchTermBucket


def normalize_term(term: str) -> str:
    return " ".join(term.casefold().split())[:100]


def search_record(*, term: str) -> None:
    """Count one search of ``term`` in the current hour's bucket (one UPDATE; an INSERT the
    first time in an hour — each statement atomic on its own, so no outer transaction)."""
    term = normalize_term(term)
    if len(term) < 2:
        return
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    if SearchTermBucket.objects.filter(term=term, hour=hour).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            SearchTermBucket.objects.create(term=term, hour=hour, count=1)
    except IntegrityError:  # created concurrently
        SearchTermBucket.objects.filter(term=term, hour=hour).update(count=F("count") + 1)
