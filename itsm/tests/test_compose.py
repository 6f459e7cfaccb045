"""docker-compose.yml runs the production stack: every service, the settings production needs,
health checks, and start-up in the right order."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "web", "worker", "beat")
PRODUCTION_SETTINGS = (
    "ITSM_PRODUCTION", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "ITSM_BASE_URL",
    "POSTGRES_HOST", "POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "REDIS_URL", "EMAIL_BACKEND", "EMAIL_HOST",
    "DEFAULT_FROM_EMAIL",
)
# ${NAME}, ${NAME:-default}, ${NAME:?error}
VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def interpolate(value: str, given: dict[str, str]) -> str:
    """What compose makes of a value, given the variables of a .env file."""

    def replace(match: re.Match) -> str:
        name, kind, default = match.groups()
        if name in given:
            return given[name]
        if kind == "?":
            raise AssertionError(f"compose would refuse to start without {name}: {default}")
        return default or ""

    return VARIABLE.sub(replace, value)


def test_the_stack_has_database_broker_web_worker_beat_and_a_migration_step(compose):
    assert {"postgres", "redis", *APP_SERVICES} <= set(compose["services"])


@pytest.mark.parametrize("name", ["web", "worker", "beat", "migrate"])
def test_every_app_process_gets_the_settings_production_needs(compose, name):
    env = environment(compose["services"][name])
    missing = [key for key in PRODUCTION_SETTINGS if not env.get(key)]
    assert not missing, f"{name} lacks {missing}"
    assert env["ITSM_PRODUCTION"] == "1"
    assert env["DEBUG"] == "0"
    assert env["POSTGRES_HOST"] == "postgres" and "DATABASE_URL" not in env
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["EMAIL_BACKEND"].endswith("smtp.EmailBackend")


def test_the_secret_key_and_database_password_have_no_default(compose):
    """Starting without them must fail loudly rather than run with a guessable secret."""
    env = environment(compose["services"]["web"])
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", env["SECRET_KEY"])
    assert "${POSTGRES_PASSWORD:?" in env["POSTGRES_PASSWORD"]
    assert "${POSTGRES_PASSWORD:?" in environment(compose["services"]["postgres"])["POSTGRES_PASSWORD"]


def test_postgres_and_redis_have_health_checks_and_volumes(compose):
    services = compose["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert services["postgres"]["image"].split(":")[1].split(".")[0] in {"15", "16"}


def test_app_processes_start_after_the_migration_succeeded_and_the_services_are_healthy(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_the_migration_step_migrates_and_collects_static_files_once(compose):
    migrate = compose["services"]["migrate"]
    command = " ".join(migrate["command"])
    assert "manage.py migrate --noinput" in command
    assert "manage.py collectstatic --noinput" in command
    assert migrate["restart"] == "no"


def test_web_is_gunicorn_serving_the_static_files_the_migration_collected(compose):
    web = compose["services"]["web"]
    assert web["command"][:2] == ["gunicorn", "itsm.wsgi:application"]
    static_volume = next(v for v in compose["services"]["migrate"]["volumes"] if v.endswith(":/app/var/static"))
    assert static_volume in web["volumes"]
    assert environment(web)["STATIC_ROOT"] == "/app/var/static"


def test_worker_and_beat_run_celery_and_share_uploads_with_web(compose):
    services = compose["services"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "itsm", "worker"]
    beat = " ".join(services["beat"]["command"])
    assert beat.startswith("celery -A itsm beat")
    assert "--scheduler django_celery_beat.schedulers:DatabaseScheduler" in beat
    media = {v for v in services["web"]["volumes"] if v.endswith(":/app/var/media")}
    assert media and media <= set(services["worker"]["volumes"])
    assert "healthcheck" in services["worker"]


def test_the_web_environment_passes_djangos_deployment_checks(compose, tmp_path):
    """Feed web's environment, as compose would fill it from a .env file, to `check --deploy`."""
    dotenv = {
        "SECRET_KEY": "k8Jx2-v9QmZr7Lp4Wc1Ty6Hb3Nd0Fs5Ge8Ua2Io7Pk4Yl1Xw9Rt6Vq3Mz0Sn5Bj",
        "POSTGRES_PASSWORD": "not-used-by-the-check",
        "ALLOWED_HOSTS": "itsm.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://itsm.example.com",
    }
    env = {key: interpolate(value, dotenv) for key, value in environment(compose["services"]["web"]).items()}
    # Container paths do not exist here; the check does not need them.
    env.update(ITSM_VAR_DIR=str(tmp_path), MEDIA_ROOT=str(tmp_path / "media"), STATIC_ROOT=str(tmp_path / "static"))
    process_env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "SYSTEMROOT"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env={**process_env, **env}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_accepts_the_file():
    """`docker-compose config` validates the file offline. Optional: only where it is installed."""
    binary = shutil.which("docker-compose") or ("/usr/bin/docker-compose" if Path("/usr/bin/docker-compose").exists() else None)
    if binary is None:
        pytest.skip("docker-compose is not installed (optional; apt-get install docker-compose)")
    env = {**os.environ, "SECRET_KEY": "x" * 50, "POSTGRES_PASSWORD": "secret"}
    result = subprocess.run([binary, "-f", str(COMPOSE_FILE), "config", "-q"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_every_variable_the_readme_documents_reaches_the_containers_or_is_said_not_to(compose):
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| variable | default | meaning |"):]
    names = re.findall(r"^\| `([A-Z][A-Z0-9_]*)`", table[: table.index("\n\n")], re.MULTILINE)
    not_applying = readme[readme.index("docker-compose passes every variable above"):]
    not_applying = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", not_applying[: not_applying.index("\n\n")]))
    passed = set(environment(compose["services"]["web"]))
    missing = sorted(name for name in names if name not in passed and name not in not_applying)
    assert not missing, f"compose does not pass {missing}, and README does not say they do not apply"
