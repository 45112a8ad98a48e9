"""The embedded runtime: a real, persistent Redis carries the broker, cache and layers; supervisord
runs the processes; the settings refuse half-configured deployments."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import redis
import requests
from django.conf import settings
from kombu import Connection

from socialflow.embedded.redis_server import EmbeddedRedis, free_port
from socialflow.embedded.supervisor import programs, prometheus_dir, render, web_workers_from_env
from socialflow.redis import pubsub_prefix, redis_db
from socialflow.reliability.unacked import restore_unacked_before

ROOT = Path(__file__).resolve().parents[2]


def test_the_embedded_mode_brokers_tasks_through_redis_not_files():
    assert settings.CELERY_BROKER_URL.startswith("redis://") or settings.CELERY_BROKER_URL == "memory://"
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "socialflow.layers.BoundedRedisChannelLayer"


def test_counted_views_survive_a_redis_crash(tmp_path):
    server = EmbeddedRedis(tmp_path).start()
    client = redis.Redis.from_url(server.url)
    client.hincrby("sf:views:pending", "video:7", 8)
    time.sleep(1.5)  # appendfsync everysec: what was acknowledged a second ago is on disk
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=5)

    restarted = EmbeddedRedis(tmp_path, server.port).start()
    try:
        assert redis.Redis.from_url(restarted.url).hget("sf:views:pending", "video:7") == b"8"
    finally:
        restarted.stop()


def test_pubsub_channel_names_carry_the_database_number():
    assert redis_db("redis://127.0.0.1:6379/3") == 3
    assert redis_db("redis://127.0.0.1:6379") == 0
    assert redis_db("unix:///tmp/r.sock?db=5") == 5
    assert pubsub_prefix("redis://h:1/1", prefix="sf") != pubsub_prefix("redis://h:1/2", prefix="sf")


def test_deployments_on_one_redis_do_not_hear_each_others_chat(settings):
    from live.lib.hub import RoomHub, room_channel

    base = settings.REDIS_URL.rsplit("/", 1)[0]
    theirs = pubsub_prefix(f"{base}/12", prefix="sf:asgi") + ":live"
    settings.LIVE_CHAT_CHANNEL_PREFIX = pubsub_prefix(f"{base}/11", prefix="sf:asgi") + ":live"
    client = redis.Redis.from_url(settings.REDIS_URL)

    async def scenario() -> list[dict]:
        heard: list[dict] = []

        async def send(message):
            heard.append(message)

        hub = RoomHub()
        listener = await hub.join(1, send)
        await asyncio.sleep(0.2)
        client.publish(f"{theirs}:room:1", "theirs")
        client.publish(room_channel(1), "ours")
        await asyncio.sleep(0.3)
        hub.leave(1, listener)
        await asyncio.sleep(0.1)
        return heard

    assert asyncio.run(scenario()) == [{"type": "websocket.send", "text": "ours"}]


def test_a_new_worker_restores_what_a_killed_one_never_acknowledged():
    url = settings.REDIS_URL
    with Connection(url) as dead_worker:
        queue = dead_worker.SimpleQueue("sf-test-unacked")
        queue.put({"task": "x"})
        message = queue.get(timeout=2)  # taken, never acknowledged: then the worker was SIGKILLed
        assert message.payload == {"task": "x"}
        dead_worker.default_channel.qos._delivered.clear()  # a SIGKILL never runs its clean close
        started_at = time.time()
        with Connection(url) as new_worker:
            assert restore_unacked_before(new_worker, started_at) == 1
            redelivered = new_worker.SimpleQueue("sf-test-unacked").get(timeout=2)
            assert redelivered.payload == {"task": "x"}
            redelivered.ack()
            assert restore_unacked_before(new_worker, time.time()) == 0


def test_supervisord_runs_every_process_with_restarts_and_a_separate_beat(tmp_path):
    listed = programs(bin_dir=tmp_path, host="127.0.0.1", port=8123, var_dir=tmp_path, redis_command=["redis-server"])
    names = [p.name for p in listed]
    assert names == ["redis", "web", "worker", "beat", "live"]
    worker = next(p for p in listed if p.name == "worker")
    assert "-B" not in worker.command
    config = render(programs=listed, var_dir=tmp_path, directory=tmp_path)
    assert config.count("autorestart=true") == 5
    assert config.count("stopasgroup=true") == 5  # a worker's ffmpeg stops with it
    assert "--port 8123" in config
    web = next(p for p in listed if p.name == "web")
    assert web.command[web.command.index("--workers") + 1] == "1"
    assert f'environment=PROMETHEUS_MULTIPROC_DIR="{prometheus_dir(tmp_path)}"' in config


@pytest.mark.parametrize(("value", "expected"), [(None, os.cpu_count()), ("", os.cpu_count()), ("1", 1), ("3", 3)])
def test_it_runs_as_many_web_workers_as_cores_unless_told(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("WEB_WORKERS", raising=False)
    else:
        monkeypatch.setenv("WEB_WORKERS", value)
    assert web_workers_from_env() == expected


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_it_refuses_a_web_worker_count_that_is_not_a_whole_positive_number(monkeypatch, value):
    monkeypatch.setenv("WEB_WORKERS", value)
    with pytest.raises(ValueError, match="WEB_WORKERS"):
        web_workers_from_env()


def _uvicorn_workers(supervisord: psutil.Process) -> tuple[psutil.Process | None, list[psutil.Process]]:
    """The web program's uvicorn parent and its worker processes (multiprocessing spawn children)."""
    for child in supervisord.children():
        with contextlib.suppress(psutil.Error):
            if "uvicorn" in " ".join(child.cmdline()):
                workers = [w for w in child.children() if "spawn_main" in " ".join(w.cmdline())]
                return child, workers
    return None, []


@pytest.mark.slow
def test_supervisord_replaces_a_killed_web_worker_and_stops_every_worker_on_sigterm(tmp_path):
    port = free_port()
    web = next(
        p
        for p in programs(
            bin_dir=Path(sys.executable).parent,
            host="127.0.0.1",
            port=port,
            var_dir=tmp_path,
            redis_command=None,
            web_workers=2,
        )
        if p.name == "web"
    )
    (tmp_path / "run").mkdir()
    prometheus_dir(tmp_path).mkdir()
    config = tmp_path / "supervisord.conf"
    config.write_text(render(programs=[web], var_dir=tmp_path, directory=ROOT))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "socialflow.settings", "VAR_DIR": str(tmp_path)}
    log = (tmp_path / "supervisord.out").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "supervisord"), "--configuration", str(config)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    supervisord = psutil.Process(process.pid)
    try:
        parent, workers = _wait_for(lambda: _ready_workers(supervisord, url, count=2), timeout_s=90)
        killed = workers[0]
        killed.send_signal(signal.SIGKILL)
        answers = []

        def replaced():
            answers.append(requests.get(f"{url}/livez", timeout=5).status_code)
            now_parent, now_workers = _uvicorn_workers(supervisord)
            if now_parent is None:  # a process table read that raced a process's start or exit
                return False
            pids = {w.pid for w in now_workers}
            return now_parent.pid == parent.pid and len(pids) == 2 and killed.pid not in pids

        _wait_for(replaced, timeout_s=60)
        # The port answered all along (the other worker), and the uvicorn parent itself never restarted.
        assert answers and set(answers) == {200}
        assert requests.get(f"{url}/metrics", timeout=5).status_code == 200
        everything = [parent, *_uvicorn_workers(supervisord)[1]]
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        gone, alive = psutil.wait_procs(everything, timeout=10)
        assert not alive, [p.pid for p in alive]
    finally:
        if process.poll() is None:
            # SIGTERM, so supervisord stops the web group too (a SIGKILL would orphan uvicorn).
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def _ready_workers(supervisord: psutil.Process, url: str, *, count: int):
    parent, workers = _uvicorn_workers(supervisord)
    if parent is None or len(workers) != count:
        return None
    try:
        if requests.get(f"{url}/livez", timeout=2).status_code != 200:
            return None
    except requests.ConnectionError:
        return None
    return parent, workers


def _wait_for(check, *, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout_s} s")


@pytest.mark.parametrize(
    ("extra", "refused"), [({}, True), ({"SECRET_KEY": "k" * 50}, False), ({"SECRET_KEY_FILE": "/nonexistent"}, True)]
)
def test_outside_the_embedded_mode_a_missing_secret_key_stops_start_up(extra, refused):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    env.update(DJANGO_SETTINGS_MODULE="socialflow.settings", DATABASE_URL="postgres://nobody@127.0.0.1:1/none", **extra)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode != 0) is refused, result.stderr[-2000:]
    if refused:
        assert "SECRET_KEY" in result.stderr


def test_without_stripe_keys_the_local_stripe_server_runs_too(tmp_path):
    listed = programs(
        bin_dir=tmp_path, host="127.0.0.1", port=8123, var_dir=tmp_path, redis_command=None, local_stripe=True
    )
    stripe_program = next(p for p in listed if p.name == "stripe")
    assert stripe_program.command[-2:] == ["manage.py", "devstripe"]
    assert stripe_program.priority < next(p.priority for p in listed if p.name == "web")
