"""Shared plumbing for benchmarks: Django setup, percentiles, one table row per scenario."""

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS_DIR = Path(__file__).parent / "results"


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
    print(
        f"{result.scenario:<10} {result.figure:<40} {result.target:<30} {result.ratio:>7.2f}x  "
        f"{'yes' if result.met else 'NO':<4} {result.baseline} ({result.ratio_meaning})",
        flush=True,
    )


def start_server(port: int, *, env: dict | None = None, extra_args: tuple[str, ...] = ()) -> subprocess.Popen:
    """Start the real ASGI app under uvicorn on ``port`` and wait until ``/livez`` answers."""
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
