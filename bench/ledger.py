"""The earnings ledger: write throughput and the cost of a balance read on a big account.

Measured: (1) ``ledger_post_earning`` (one balanced 3-entry transaction, its idempotency check and
account look-ups) posted LEDGER_BENCH_WRITES times, one transaction each, by one writer and then by
LEDGER_BENCH_WRITERS (4) concurrent ones → postings per second (the figure: the concurrent one; one
writer waits for each commit's WAL flush, which is most of its time on PostgreSQL);
(2) ``selectors.account_balance`` on an account holding LEDGER_BENCH_ENTRIES entries, p50 of
repeated reads: first with no checkpoint (a SUM over every entry), then after
``services.ledger_checkpoint`` and 100 more entries (the checkpoint plus the entries after it, on
the ``(account, id)`` index) — the figure. Baseline in the same run: the same balance read on an account of 1,000 entries; the
ratio (baseline p50 / big-account p50) shows how far the read is from O(1) (1.0 would be flat).
Target (ours): at least 200 postings/s on the embedded database, a balance read at 1M entries
at most 5 ms p50 with a checkpoint.

Knobs: LEDGER_BENCH_ENTRIES (1000000), LEDGER_BENCH_WRITES (1000), LEDGER_BENCH_WRITERS (4). Best run against your own
PostgreSQL database (the big account is written with generate_series there), e.g.
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_ledger .venv/bin/python -m bench ledger
"""

import os
import time

from bench.common import Result, setup_django, summary_ms


def _fill(account, counter_account, entries: int, key: str) -> None:
    """``entries`` entries on ``account`` (and as many opposite ones on ``counter_account``), in
    balanced 2-entry transactions, written in bulk."""
    from django.db import connection, transaction

    from monetization.models import Entry, Source, Transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO monetization_transaction (source, idempotency_key, memo, created_at) "
                    "SELECT %s, %s || g, '', now() FROM generate_series(1, %s) g",
                    [Source.TIP, f"bench:{key}:", entries],
                )
                cursor.execute(
                    "INSERT INTO monetization_entry (transaction_id, account_id, amount_minor, currency, created_at) "
                    "SELECT t.id, a.account_id, a.sign * 100, 'USD', t.created_at "
                    "FROM monetization_transaction t, (VALUES (%s, 1), (%s, -1)) AS a(account_id, sign) "
                    "WHERE t.idempotency_key LIKE %s",
                    [account.pk, counter_account.pk, f"bench:{key}:%"],
                )
            return
        batch = 5000
        for start in range(0, entries, batch):
            txs = Transaction.objects.bulk_create(
                Transaction(source=Source.TIP, idempotency_key=f"bench:{key}:{n}")
                for n in range(start, min(entries, start + batch))
            )
            Entry.objects.bulk_create(
                [Entry(transaction=tx, account=account, amount_minor=100, currency="USD") for tx in txs]
                + [Entry(transaction=tx, account=counter_account, amount_minor=-100, currency="USD") for tx in txs]
            )


def _concurrent_writes(creator, writers: int, writes: int, stamp: str) -> float:
    """Seconds for ``writers`` threads to post ``writes`` earnings between them."""
    import threading

    from django.db import connection

    from monetization import services
    from monetization.models import Source
    from socialflow.core.money import Money

    barrier = threading.Barrier(writers + 1)

    def write(worker: int) -> None:
        barrier.wait()
        try:
            for n in range(worker, writes, writers):
                services.ledger_post_earning(
                    creator=creator, gross=Money(999, "USD"), source=Source.TIP, idempotency_key=f"bench-c:{stamp}:{n}"
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - t0


def _read_p50(account, repeats: int = 15) -> dict:
    from monetization import selectors

    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        selectors.account_balance(account)
        samples.append(time.perf_counter() - t0)
    return summary_ms(samples)


def run() -> Result:
    setup_django()
    from django.core.management import call_command

    from accounts.models import User
    from monetization import services
    from monetization.models import AccountKind, Source
    from socialflow.core.money import Money

    entries = int(os.environ.get("LEDGER_BENCH_ENTRIES", 1_000_000))
    writes = int(os.environ.get("LEDGER_BENCH_WRITES", 1000))
    call_command("migrate", verbosity=0)
    stamp = str(time.time_ns())
    creator, _ = User.objects.get_or_create(
        username=f"ledgerbench{stamp[-8:]}", defaults={"email": f"b{stamp}@example.com"}
    )

    t0 = time.perf_counter()
    for n in range(writes):
        services.ledger_post_earning(
            creator=creator, gross=Money(999, "USD"), source=Source.TIP, idempotency_key=f"bench-w:{stamp}:{n}"
        )
    write_s = time.perf_counter() - t0
    sequential_per_s = writes / write_s
    # Postings come from concurrent webhook requests and tasks: N writers, each its own connection
    # (one writer waits for its commit's WAL flush; several share flushes).
    writers = int(os.environ.get("LEDGER_BENCH_WRITERS", 4))
    concurrent_s = _concurrent_writes(creator, writers, writes, stamp)
    per_s = writes / concurrent_s

    big = services.creator_account(creator, AccountKind.CREATOR_AVAILABLE, "USD")
    clearing = services.platform_account(AccountKind.STRIPE_CLEARING, "USD")
    small_owner, _ = User.objects.get_or_create(
        username=f"ledgersmall{stamp[-8:]}", defaults={"email": f"s{stamp}@example.com"}
    )
    small = services.creator_account(small_owner, AccountKind.CREATOR_AVAILABLE, "USD")
    t0 = time.perf_counter()
    _fill(big, clearing, entries, f"{stamp}:big")
    fill_s = time.perf_counter() - t0
    _fill(small, clearing, 1000, f"{stamp}:small")
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE monetization_entry")
    unchecked = _read_p50(big)  # no checkpoint yet: a SUM over every entry
    from datetime import timedelta

    from django.utils import timezone

    t0 = time.perf_counter()
    services.ledger_checkpoint(account=big, now=timezone.now() + timedelta(hours=1))
    checkpoint_s = time.perf_counter() - t0
    _fill(big, clearing, 100, f"{stamp}:after")  # entries after the checkpoint, summed at read time
    big_read = _read_p50(big)
    small_read = _read_p50(small)
    ratio = small_read["p50_ms"] / big_read["p50_ms"] if big_read["p50_ms"] else 0.0
    met = per_s >= 200 and big_read["p50_ms"] <= 5
    return Result(
        scenario="ledger",
        figure=(
            f"{per_s:.0f} postings/s ({writers} writers; 1: {sequential_per_s:.0f}/s); "
            f"balance@{entries // 1000}k p50 {big_read['p50_ms']:.2f} ms"
        ),
        target=">=200/s; balance@1M p50<=5ms",
        baseline=f"balance@1k p50 {small_read['p50_ms']:.2f} ms",
        ratio=ratio,
        ratio_meaning="balance@1k p50 / balance@big p50",
        met=met,
        details={
            "writes": writes,
            "write_s": round(write_s, 3),
            "sequential_postings_per_s": round(sequential_per_s, 1),
            "writers": writers,
            "concurrent_s": round(concurrent_s, 3),
            "entries_on_big_account": entries,
            "fill_s": round(fill_s, 1),
            "balance_big_checkpointed": big_read,
            "balance_big_without_checkpoint": unchecked,
            "checkpoint_s": round(checkpoint_s, 2),
            "balance_1k": small_read,
        },
    )
