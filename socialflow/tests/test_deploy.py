"""docker-compose.yml and its nginx front are consistent (no Docker engine here: read, not run).

What docs/deploy.md promises an operator: a one-off ``migrate`` every app process waits for, ``web``
scalable behind nginx (no host port), one beat, health checks and restart policies, persistent
Redis, required secrets, the RTMP config rendered from the environment, never a demo seed.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "transcoder", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def command(service: dict) -> str:
    value = service.get("command", "")
    return " ".join(value) if isinstance(value, list) else value


def test_every_service_is_there(services):
    assert set(services) >= {*APP_SERVICES, "migrate", "nginx", "postgres", "redis", "rabbitmq"}


def test_migrate_runs_once_and_the_app_waits_for_it(services):
    migrate = services["migrate"]
    assert "manage.py migrate" in command(migrate)
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in command(services[name]), name


def test_web_scales_behind_nginx(services):
    web, nginx = services["web"], services["nginx"]
    assert "ports" not in web  # --scale web=N would collide on a fixed host port
    assert "uvicorn" in command(web) and "--proxy-headers" in command(web)
    # Several uvicorn processes per replica (WEB_WORKERS, default the cores) sharing one metrics directory.
    assert "--workers" in command(web) and "WEB_WORKERS" in command(web) and "PROMETHEUS_MULTIPROC_DIR" in command(web)
    assert web["environment"]["FORWARDED_ALLOW_IPS"]  # else uvicorn ignores nginx's X-Forwarded-For
    assert "8000:80" in nginx["ports"] and "1935:1935" in nginx["ports"]
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"
    assert nginx["environment"]["APP"] == "web:8000"
    dockerfile = (ROOT / nginx["build"]["dockerfile"]).read_text()
    assert "libnginx-mod-rtmp" in dockerfile and "deploy/nginx-rtmp.conf" in dockerfile


def test_health_checks_and_restart_policies(services):
    for name in ("web", "worker", "transcoder", "nginx", "postgres", "redis", "rabbitmq"):
        assert services[name]["healthcheck"]["test"], name
    for name in (*APP_SERVICES, "nginx", "postgres", "redis", "rabbitmq"):
        assert services[name]["restart"] == "unless-stopped", name
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])


def test_workers_split_queues_and_beat_is_its_own_single_service(services):
    assert "-Q celery" in command(services["worker"])
    assert "-Q transcode" in command(services["transcoder"])
    beats = [name for name, service in services.items() if " beat" in command(service) or "-B" in command(service)]
    assert beats == ["beat"]
    assert "deploy" not in services["beat"] or services["beat"]["deploy"].get("replicas", 1) == 1


def test_redis_persists(services):
    assert "--appendonly yes" in command(services["redis"])
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])


def test_secrets_are_required_and_identical_everywhere(services):
    raw = (ROOT / "docker-compose.yml").read_text()
    for name in ("SECRET_KEY", "LIVE_INGEST_SECRET"):
        assert re.search(r"\$\{" + name + r":\?", raw), f"{name} must be required (${{{name}:?…}})"
    for name in APP_SERVICES + ("migrate",):
        env = services[name]["environment"]
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), name
        assert env["LIVE_INGEST_SECRET"].startswith("${LIVE_INGEST_SECRET:?"), name
    assert services["nginx"]["environment"]["INGEST_SECRET"].startswith("${LIVE_INGEST_SECRET:?")


def test_every_app_process_shares_var_dir(services):
    dockerfile = (ROOT / "Dockerfile").read_text()
    var_dir = re.search(r"VAR_DIR=(\S+)", dockerfile).group(1)
    static_root = re.search(r"STATIC_ROOT=(\S+)", dockerfile).group(1)
    assert not static_root.startswith(var_dir)  # the media volume would hide the baked static files
    assert "collectstatic" in dockerfile
    for name in (*APP_SERVICES, "nginx"):
        assert f"media:{var_dir}" in services[name]["volumes"], name


def test_no_demo_seed_in_compose():
    assert "seed_demo" not in (ROOT / "docker-compose.yml").read_text()
    assert "seed_demo" not in (ROOT / "Dockerfile").read_text()


def test_the_rtmp_config_renders_from_the_environment():
    """What deploy/nginx-start.sh does with envsubst '${APP} ${INGEST_SECRET}'."""
    template = (ROOT / "deploy" / "nginx-rtmp.conf").read_text()
    start = (ROOT / "deploy" / "nginx-start.sh").read_text()
    assert "envsubst '${APP} ${INGEST_SECRET}'" in start
    rendered = template.replace("${APP}", "web:8000").replace("${INGEST_SECRET}", "s3cret")
    assert "${" not in rendered
    assert "on_publish http://web:8000/api/v1/live/ingest/publish?secret=s3cret&" in rendered
    assert "proxy_pass http://web:8000;" in rendered
    assert "$http_upgrade" in rendered  # nginx's own variables are left alone
    assert not re.search(r"\bAPP\b|\bINGEST_SECRET\b", rendered.split("worker_processes")[1])


@pytest.mark.parametrize(("database_url", "seeds"), [(None, True), ("postgres://db/socialflow", False)])
def test_make_run_seeds_the_demo_only_into_the_embedded_database(monkeypatch, database_url, seeds):
    from socialflow.embedded import __main__ as embedded

    ran = []
    monkeypatch.setattr(embedded, "_manage", lambda *args: ran.append(args[0]))
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    embedded._setup()
    assert ("seed_demo" in ran) is seeds
    assert ran[0] == "migrate" and "collectstatic" in ran
