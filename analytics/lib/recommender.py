"""Item-item collaborative filtering on implicit feedback (framework-free: numpy + scipy).

Interactions are ``(user_key, item_id, weight)`` triples (a view 1, a like or comment 2, …). Each
user's weights per item are summed and damped (``log1p``), the user × item matrix is built sparse,
and an item's neighbours are the items with the highest cosine similarity of their user columns
(co-occurrence normalised by both items' popularity, so a blockbuster is not everyone's neighbour).
A user's recommendations are the neighbours of what they interacted with, summed by similarity.
``popularity`` is the baseline and the fallback for new users and items.

Used by ``analytics.services.recommendations_train`` (stored neighbours) and by the offline
evaluation in ``bench/recommendations.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from scipy import sparse


class Interactions:
    """A user × item matrix built from triples, with the id maps both ways."""

    def __init__(self, triples: Iterable[tuple[object, int, float]]):
        sums: dict[tuple[object, int], float] = defaultdict(float)
        for user, item, weight in triples:
            sums[(user, int(item))] += float(weight)
        self.users = sorted({u for u, _ in sums}, key=str)
        self.items = sorted({i for _, i in sums})
        self.user_index = {u: n for n, u in enumerate(self.users)}
        self.item_index = {i: n for n, i in enumerate(self.items)}
        rows = [self.user_index[u] for u, _ in sums]
        cols = [self.item_index[i] for _, i in sums]
        data = np.log1p(np.fromiter(sums.values(), dtype=np.float64, count=len(sums)))
        self.matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(self.users), len(self.items)))

    def __len__(self) -> int:
        return self.matrix.nnz


def item_neighbours(
    interactions: Interactions, *, k: int = 50, min_common: int = 1
) -> dict[int, list[tuple[int, float]]]:
    """Each item's ``k`` most similar items (cosine over user columns), best first."""
    matrix = interactions.matrix.tocsc()
    if matrix.shape[1] == 0:
        return {}
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    normalised = matrix @ sparse.diags(1.0 / norms)
    similarity = (normalised.T @ normalised).tocsr()
    if min_common > 1:
        binary = (matrix > 0).astype(np.float64)
        common = (binary.T @ binary).tocsr()
        similarity = similarity.multiply(common >= min_common).tocsr()
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    result: dict[int, list[tuple[int, float]]] = {}
    for col in range(similarity.shape[0]):
        start, end = similarity.indptr[col], similarity.indptr[col + 1]
        if start == end:
            continue
        idx = similarity.indices[start:end]
        scores = similarity.data[start:end]
        top = np.argsort(-scores, kind="stable")[:k]
        result[interactions.items[col]] = [(interactions.items[idx[t]], float(scores[t])) for t in top]
    return result


def recommend(
    neighbours: dict[int, list[tuple[int, float]]],
    history: dict[int, float],
    *,
    limit: int = 20,
    exclude: set[int] | None = None,
) -> list[tuple[int, float]]:
    """Items for someone who interacted with ``history`` ({item: weight}), best first."""
    scores: dict[int, float] = defaultdict(float)
    seen = set(history) | (exclude or set())
    for item, weight in history.items():
        for other, similarity in neighbours.get(item, ()):
            if other not in seen:
                scores[other] += similarity * float(np.log1p(weight))
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def popularity(interactions: Interactions) -> list[tuple[int, float]]:
    """Items by how many users interacted with them (the baseline and the cold-start fallback)."""
    counts = np.asarray((interactions.matrix > 0).sum(axis=0)).ravel()
    order = np.argsort(-counts, kind="stable")
    return [(interactions.items[i], float(counts[i])) for i in order if counts[i] > 0]
