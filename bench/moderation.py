"""Moderation: each classifier's latency per item and the classification queue's throughput.

Measured in-process, no broker: (1) per-item latency of every classifier on generated inputs —
NSFW (nudenet 320n.onnx) and PDQ on 640 px images, PDQ against a hash list of
MOD_BENCH_HASHES random hashes (threatexchange's PDQIndex2), toxicity and watched words on short
texts, spam (rules' queries + naive Bayes); (2) the queue: ``moderation.tasks.classify``'s body
(``services.classify_target``) over MOD_BENCH_TEXT_POSTS text posts and MOD_BENCH_IMAGE_POSTS
posts with one image — reading the files, every classifier, storing the signals, deciding.
Baseline in the same run: the bare classifier calls for the same items (the unavoidable model
work). Target (ours): the pipeline costs at most 1.5× its models (ratio >= 0.67).

Knobs: MOD_BENCH_TEXT_POSTS (300), MOD_BENCH_IMAGE_POSTS (20), MOD_BENCH_HASHES (10000).
"""

import os
import random
import time

from bench.common import Result, setup_django, summary_ms


def _texts(n: int) -> list[str]:
    rng = random.Random(7)
    words = [
        "the",
        "a",
        "video",
        "great",
        "stream",
        "today",
        "friends",
        "music",
        "game",
        "love",
        "learn",
        "cook",
        "travel",
        "city",
        "art",
    ]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(4, 24))) for _ in range(n)]


def run() -> Result:
    setup_django()
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from accounts.models import User
    from moderation import classifiers, services
    from moderation.classifiers import pdq
    from moderation.classifiers.base import IMAGE, TEXT, Item
    from moderation.models import HashEntry, Signal
    from moderation.tests.images import as_array, png_bytes, shapes
    from posts.models import Media, Post

    settings.MODERATION_AUTO_CLASSIFY = False
    text_posts = int(os.environ.get("MOD_BENCH_TEXT_POSTS", 300))
    image_posts = int(os.environ.get("MOD_BENCH_IMAGE_POSTS", 20))
    hashes = int(os.environ.get("MOD_BENCH_HASHES", 10_000))
    call_command("migrate", verbosity=0)

    # A hash list of random entries (none matches a generated image).
    rng = random.Random(3)
    HashEntry.objects.filter(description="bench").delete()
    HashEntry.objects.bulk_create(
        [HashEntry(pdq=f"{rng.getrandbits(256):064x}", description="bench") for _ in range(hashes)],
        batch_size=1000,
        ignore_conflicts=True,
    )
    pdq.hash_list_changed()
    t0 = time.perf_counter()
    pdq.index()
    index_build_s = time.perf_counter() - t0

    images = [as_array(shapes(640, 480, seed=i)) for i in range(image_posts)]
    texts = _texts(text_posts)
    # Warm every model once (loads are per process, not per item).
    for name in classifiers.names():
        c = classifiers.get(name)
        c.classify(Item(kind=c.kind, text="warm up", image=images[0] if c.kind == IMAGE else None))

    latency: dict[str, dict] = {}
    model_s = 0.0
    for name in classifiers.names():
        c = classifiers.get(name)
        samples = []
        items = (
            [Item(kind=IMAGE, image=i) for i in images] if c.kind == IMAGE else [Item(kind=TEXT, text=t) for t in texts]
        )
        for item in items:
            t0 = time.perf_counter()
            c.classify(item)
            samples.append(time.perf_counter() - t0)
        latency[name] = summary_ms(samples)
        model_s += sum(samples)

    # The queue: real posts (rows + image files), classified by the task's body.
    author, _ = User.objects.get_or_create(username="mod-bench", defaults={"email": "mod-bench@example.com"})
    Signal.objects.filter(author=author).delete()
    Post.objects.filter(author=author).delete()
    posts = [Post.objects.create(author=author, text=t) for t in texts]
    for i in range(len(images)):
        post = Post.objects.create(author=author, text="")
        name = default_storage.save(f"bench/moderation/{post.pk}.png", ContentFile(png_bytes(shapes(640, 480, seed=i))))
        Media.objects.create(
            owner=author, post=post, file=name, content_type="image/png", width=640, height=480, size=1
        )
        posts.append(post)
    settings.MODERATION_SPAM_RATE_LIMIT = 10**9  # a bench author posting hundreds is not a flood here
    t0 = time.perf_counter()
    stored = 0
    for post in posts:
        stored += len(services.classify_target(target_type="post", target_id=post.pk))
    queue_s = time.perf_counter() - t0
    per_target = summary_ms([queue_s / len(posts)])
    Signal.objects.filter(author=author).delete()
    for media in Media.objects.filter(owner=author):
        default_storage.delete(media.file)
    Media.objects.filter(owner=author).delete()
    Post.objects.filter(author=author).delete()
    HashEntry.objects.filter(description="bench").delete()
    pdq.hash_list_changed()
    ContentType.objects.clear_cache()

    ratio = model_s / queue_s if queue_s else 0.0
    return Result(
        scenario="moderation",
        figure=f"{len(posts) / queue_s:,.1f} targets/s, {stored / queue_s:,.0f} signals/s",
        target="ratio >= 0.67 (<= 1.5x models)",
        baseline=f"models alone {model_s:.2f} s",
        ratio=round(ratio, 3),
        ratio_meaning="bare classifier time / queue time",
        met=ratio >= 0.67,
        details={
            "latency_per_item": latency,
            "queue": {
                "targets": len(posts),
                "text_posts": text_posts,
                "image_posts": image_posts,
                "signals": stored,
                "seconds": round(queue_s, 3),
                "mean_ms_per_target": per_target["mean_ms"],
            },
            "pdq_index": {"hashes": hashes, "build_s": round(index_build_s, 3)},
        },
    )
