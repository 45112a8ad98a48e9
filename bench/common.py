"""Shared plumbing for benchmarks: Django setup, percentiles, one table row per scenario."""

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS_DIR = Path(__file__).parent / "results"
DOCS_FILE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
TABLE_START = "<!-- bench:table:start (written by `make bench`: bench/common.py) -->"
TABLE_END = "<!-- bench:table:end -->"


@dataclass
class Result:
    scenario: str
    figure: str  # e.g. "p50 3.1 ms, p99 9.8 ms"
    target: str  # e.g. "p50 <= 10 ms"
    baseline: str  # what the ratio compares against, measured in the same run
    ratio: float  # >1 means better than the baseline in the scenario's own sense
    ratio_meaning: str  # e.g. "baseline p50 / fan-out p50"
    met: bool
    details: dict = field(default_factory=dict)
    measured_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    mode: str = field(default_factory=lambda: "postgres+redis" if os.environ.get("DATABASE_URL") else "embedded")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialflow.settings")
    import django

    django.setup()


def percentile(samples: list[float], pct: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(samples_s: list[float]) -> dict:
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p90_ms": round(percentile(ms, 90), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3) if ms else None,
    }


def print_header() -> None:
    print(f"{'scenario':<10} {'figure':<40} {'target':<30} {'ratio':>8}  {'met':<4} baseline")


def print_row(result: Result) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{result.scenario}.json").write_text(json.dumps(asdict(result), indent=2))
    spread = ""
    if "ratio_min" in result.details:
        spread = f" [{result.details['ratio_min']:.2f}-{result.details['ratio_max']:.2f}]"
    print(
        f"{result.scenario:<10} {result.figure:<40} {result.target:<30} {result.ratio:>7.2f}x{spread}  "
        f"{'yes' if result.met else 'NO':<4} {result.baseline} ({result.ratio_meaning})",
        flush=True,
    )
    if "load_before" in result.details:
        print(f"{'':<10} load average before {result.details['load_before']}, after {result.details['load_after']}")
    if os.environ.get("BENCH_WRITE_DOCS", "1") != "0":
        write_docs_row(result)


# --- machine, load, interleaved rounds ------------------------------------------------------------


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return re.sub(r"\s+", " ", line.split(":", 1)[1]).strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    return {"cores": os.cpu_count(), "cpu": cpu_model(), "load": load_average()}


def bench_rounds() -> int:
    """``BENCH_ROUNDS`` (default 3, at least 3: one round on a shared machine proves little)."""
    return max(3, int(os.environ.get("BENCH_ROUNDS", "3")))


def interleaved(baseline, subject, *, rounds: int | None = None, higher_is_better: bool = True) -> dict:
    """Measure ``baseline()`` and ``subject()`` alternately (baseline, subject, baseline, …) for
    ``rounds`` rounds; each returns one figure. The ratio of a round is subject/baseline when
    higher is better (throughput), baseline/subject otherwise (time), so > 1 always means the
    subject did better. Returns every figure, the median ratio with its min and max, and the load
    average before and after (also printed)."""
    rounds = rounds or bench_rounds()
    load_before = load_average()
    print(f"  load average before: {load_before}", flush=True)
    base_figures, subject_figures, ratios = [], [], []
    for i in range(rounds):
        b = baseline()
        s = subject()
        base_figures.append(b)
        subject_figures.append(s)
        ratio = (s / b if b else 0.0) if higher_is_better else (b / s if s else 0.0)
        ratios.append(round(ratio, 3))
        print(f"  round {i + 1}/{rounds}: baseline {b:.1f}, subject {s:.1f}, ratio {ratio:.2f}", flush=True)
    load_after = load_average()
    print(f"  load average after: {load_after}", flush=True)
    return {
        "rounds": rounds,
        "baseline": base_figures,
        "subject": subject_figures,
        "ratios": ratios,
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "baseline_median": round(statistics.median(base_figures), 1),
        "subject_median": round(statistics.median(subject_figures), 1),
        "load_before": load_before,
        "load_after": load_after,
    }


# --- docs/benchmarks.md ---------------------------------------------------------------------------

_TABLE_HEAD = (
    "| scenario | figure | target | ratio: median [min-max] | met | baseline (same run) | mode | measured | machine |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def docs_row(result: Result) -> str:
    d = result.details
    spread = f" [{d['ratio_min']:.2f}-{d['ratio_max']:.2f}]" if "ratio_min" in d else ""
    # A scenario keeps either the number of rounds or the rounds themselves.
    rounds = d.get("rounds")
    rounds = f", {len(rounds) if isinstance(rounds, list) else rounds} rounds" if rounds is not None else ""
    m = d.get("machine") or machine()
    before = d.get("load_before") or d.get("loadavg_before") or d.get("load_average") or m["load"]
    after = d.get("load_after") or d.get("loadavg_after") or d.get("loadavg_end")
    if "load_average_before_after" in d:  # the feed: six figures, before then after
        before, after = d["load_average_before_after"][:3], d["load_average_before_after"][3:]
    load = f"load {' '.join(str(x) for x in before)}"
    if after:
        load += f" → {' '.join(str(x) for x in after)}"
    cells = [
        f"`{result.scenario}`",
        result.figure,
        result.target,
        f"{result.ratio:.2f}×{spread}{rounds}",
        "yes" if result.met else "**no**",
        f"{result.baseline} ({result.ratio_meaning})",
        result.mode,
        result.measured_at[:10],
        f"{m['cores']} cores, {m['cpu']}, {load}",
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def write_docs_row(result: Result, path: Path = DOCS_FILE) -> None:
    """(Re)write ``result``'s row of the generated table in docs/benchmarks.md, between the marker
    comments (added at the end the first time); other rows and the rest of the file are kept."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    rows: dict[str, str] = {}
    if TABLE_START in text and TABLE_END in text:
        before, rest = text.split(TABLE_START, 1)
        table, after = rest.split(TABLE_END, 1)
        for line in table.splitlines():
            found = re.match(r"^\| `([^`]+)` \|", line)
            if found:
                rows[found[1]] = line
    else:
        before, after = text.rstrip("\n") + "\n\n", "\n"
    rows[result.scenario] = docs_row(result)
    table = "\n".join([_TABLE_HEAD, *(rows[name] for name in sorted(rows))])
    path.write_text(f"{before}{TABLE_START}\n{table}\n{TABLE_END}{after}")


def start_server(
    port: int, *, env: dict | None = None, extra_args: tuple[str, ...] = (), workers: int | None = None
) -> subprocess.Popen:
    """Start the real ASGI app under uvicorn on ``port`` and wait until ``/livez`` answers.

    ``workers``: uvicorn's ``--workers`` (processes sharing the port; ``None``: one process, no
    supervisor). ``env`` may name another ``DJANGO_SETTINGS_MODULE`` (a bench's own URLconf)."""
    if workers:
        extra_args = (*extra_args, "--workers", str(workers))
    import requests

    root = Path(__file__).resolve().parent.parent
    server_env = dict(os.environ, DJANGO_SETTINGS_MODULE="socialflow.settings", LOG_LEVEL="WARNING")
    server_env.update(env or {})
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "socialflow.asgi:application", "--host", "127.0.0.1"]
        + ["--port", str(port), "--no-access-log", "--log-level", "warning", "--lifespan", "off", *extra_args],
        cwd=root,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited: {server.stderr.read().decode()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/livez", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError(f"uvicorn did not start on port {port}")
