"""The embedded runtime: a real, persistent Redis carries the broker, cache and layers; supervisord
runs the processes; the settings refuse half-configured deployments."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from kombu import Connection

from socialflow.embedded.redis_server import EmbeddedRedis
from socialflow.embedded.supervisor import programs, render
from socialflow.redis import channel_layers_config, redis_db
from socialflow.reliability.unacked import restore_unacked_before


def test_the_embedded_mode_brokers_tasks_through_redis_not_files():
    assert settings.CELERY_BROKER_URL.startswith("redis://") or settings.CELERY_BROKER_URL == "memory://"
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert settings.CHANNEL_LAYERS["live"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"


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
    one = channel_layers_config(
        "redis://h:1/1", prefix="sf", connect_timeout_s=1, socket_timeout_s=1, receive_block_s=1
    )
    two = channel_layers_config(
        "redis://h:1/2", prefix="sf", connect_timeout_s=1, socket_timeout_s=1, receive_block_s=1
    )
    assert one["live"]["CONFIG"]["prefix"] != two["live"]["CONFIG"]["prefix"]


def test_deployments_on_one_redis_do_not_hear_each_others_chat():
    base = settings.REDIS_URL.rsplit("/", 1)[0]

    def layer(db: int) -> RedisPubSubChannelLayer:
        config = channel_layers_config(
            f"{base}/{db}", prefix="sf:asgi", connect_timeout_s=1, socket_timeout_s=1, receive_block_s=1
        )["live"]["CONFIG"]
        return RedisPubSubChannelLayer(**config)

    async def scenario() -> tuple[dict, bool]:
        ours, theirs = layer(11), layer(12)
        mine, other = await ours.new_channel(), await theirs.new_channel()
        await ours.group_add("stream-1", mine)
        await theirs.group_add("stream-1", other)
        await asyncio.sleep(0.2)
        await ours.group_send("stream-1", {"type": "chat.message", "text": "hello"})
        received = await asyncio.wait_for(ours.receive(mine), 5)
        try:
            await asyncio.wait_for(theirs.receive(other), 1)
            leaked = True
        except TimeoutError:
            leaked = False
        await ours.flush()
        await theirs.flush()
        return received, leaked

    received, leaked = asyncio.run(scenario())
    assert received["text"] == "hello"
    assert not leaked


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
