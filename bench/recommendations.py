"""Offline evaluation of the recommendation model on generated interactions with a known structure.

World: ``CLUSTERS`` interest clusters of ``ITEMS_PER_CLUSTER`` items; each user belongs to one
cluster and interacts mostly inside it (items drawn by a Zipf-like popularity within the cluster),
with ``NOISE`` of their interactions on globally popular items. For each user one interaction in
five is held out; the model trains on the rest. Recall@20 = held-out items found in the user's top
20 (items they already had excluded), averaged over users. Baseline in the same run: the
popularity ranking (the fallback for new users). Also measured: ``implicit`` 0.7 ALS on the same
split, for reference. Deterministic (seeded); no Django needed.
"""

from __future__ import annotations

import time

import numpy as np
from implicit.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from analytics.lib import recommender
from bench.common import Result

SEED = 14
CLUSTERS = 20
ITEMS_PER_CLUSTER = 50
USERS = 3000
PER_USER = 20
NOISE = 0.15
HOLDOUT = 0.2
K = 20
TARGET_RATIO = 3.0  # item-item recall@20 at least 3× the popularity baseline's


def generate(rng: np.random.Generator):
    n_items = CLUSTERS * ITEMS_PER_CLUSTER
    within = 1.0 / np.arange(1, ITEMS_PER_CLUSTER + 1) ** 0.8
    within /= within.sum()
    global_pop = 1.0 / np.arange(1, n_items + 1) ** 1.1
    global_pop /= global_pop.sum()
    train, test = [], {}
    for user in range(USERS):
        cluster = user % CLUSTERS
        items = set()
        while len(items) < PER_USER:
            if rng.random() < NOISE:
                items.add(int(rng.choice(n_items, p=global_pop)))
            else:
                items.add(cluster * ITEMS_PER_CLUSTER + int(rng.choice(ITEMS_PER_CLUSTER, p=within)))
        items = list(items)
        rng.shuffle(items)
        held = max(1, int(len(items) * HOLDOUT))
        test[f"u{user}"] = set(items[:held])
        train += [(f"u{user}", item, 1.0) for item in items[held:]]
    return train, test


def recall_at_k(recommend_for, train_items, test) -> float:
    recalls = []
    for user, held in test.items():
        top = recommend_for(user, train_items.get(user, set()))
        recalls.append(len(held & set(top[:K])) / len(held))
    return float(np.mean(recalls))


def run() -> Result:
    rng = np.random.default_rng(SEED)
    train, test = generate(rng)
    train_items: dict[str, set[int]] = {}
    for user, item, _ in train:
        train_items.setdefault(user, set()).add(item)

    started = time.monotonic()
    interactions = recommender.Interactions(train)
    neighbours = recommender.item_neighbours(interactions, k=50)
    train_s = time.monotonic() - started
    popular = [item for item, _ in recommender.popularity(interactions)]

    def item_item(user, seen):
        recs = [item for item, _ in recommender.recommend(neighbours, dict.fromkeys(seen, 1.0), limit=K)]
        if len(recs) < K:  # the same popularity fallback the app uses
            recs += [item for item in popular if item not in seen and item not in recs][: K - len(recs)]
        return recs

    def by_popularity(user, seen):
        return [item for item in popular if item not in seen][:K]

    started = time.monotonic()
    item_recall = recall_at_k(item_item, train_items, test)
    eval_s = time.monotonic() - started
    pop_recall = recall_at_k(by_popularity, train_items, test)

    details = {
        "users": USERS,
        "items": CLUSTERS * ITEMS_PER_CLUSTER,
        "train_interactions": len(train),
        "clusters": CLUSTERS,
        "noise": NOISE,
        "item_item_recall_at_20": round(item_recall, 4),
        "popularity_recall_at_20": round(pop_recall, 4),
        "train_seconds": round(train_s, 3),
        "eval_seconds": round(eval_s, 3),
    }
    with threadpool_limits(1, "blas"):  # implicit's advice: no BLAS thread pool under its own
        details["als_recall_at_20"] = round(_als_recall(interactions, train_items, test), 4)
    ratio = item_recall / pop_recall if pop_recall else float("inf")
    return Result(
        scenario="recommendations",
        figure=f"recall@20 {item_recall:.3f} (item-item)",
        target=f">= {TARGET_RATIO}x popularity",
        baseline=f"popularity recall@20 {pop_recall:.3f}",
        ratio=round(ratio, 2),
        ratio_meaning="item-item recall@20 / popularity recall@20",
        met=ratio >= TARGET_RATIO,
        details=details,
    )


def _als_recall(interactions, train_items, test) -> float:
    model = AlternatingLeastSquares(factors=32, iterations=15, regularization=0.05, random_state=SEED)
    model.fit(interactions.matrix.tocsr(), show_progress=False)
    user_items = interactions.matrix.tocsr()

    def als(user, seen):
        row = interactions.user_index.get(user)
        if row is None:
            return []
        ids, _ = model.recommend(row, user_items[row], N=K, filter_already_liked_items=True)
        return [interactions.items[i] for i in ids]

    return recall_at_k(als, train_items, test)
