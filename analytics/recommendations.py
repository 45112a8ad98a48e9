"""The provider analytics registers with ``socialflow.core.recommendations``: answers from the
stored item-item neighbours (``ItemNeighbour``). Candidates only; the asking app filters them
through the access layer and falls back to its own popularity ranking."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from analytics.models import ItemNeighbour
from posts import selectors as post_selectors

HISTORY = 200  # the most recent interactions a user's "for you" starts from


class NeighbourProvider:
    def related(self, *, kind: str, item_id: int, limit: int) -> list[tuple[int, float]]:
        return list(
            ItemNeighbour.objects.filter(kind=kind, item_id=item_id)
            .order_by("rank")
            .values_list("neighbour_id", "score")[:limit]
        )

    def for_user(self, *, kind: str, user_id: int, limit: int) -> list[tuple[int, float]]:
        if kind != ItemNeighbour.ItemKind.POST:
            return []
        since = timezone.now() - timedelta(days=settings.RECOMMENDATIONS_WINDOW_DAYS)
        history = post_selectors.post_interaction_history(user_id=user_id, since=since, limit=HISTORY)
        if not history:
            return []
        scores: dict[int, float] = defaultdict(float)
        rows = ItemNeighbour.objects.filter(kind=kind, item_id__in=list(history)).values_list(
            "item_id", "neighbour_id", "score"
        )
        for item_id, neighbour_id, score in rows:
            if neighbour_id not in history:
                scores[neighbour_id] += score * history[item_id]
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
