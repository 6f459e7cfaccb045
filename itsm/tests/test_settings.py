"""Settings come from the environment: safe production values pass Django's deployment checks,
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis, nothing set means a bare machine works,
and importing the settings connects to nothing.

Each case runs in a fresh interpreter: settings are read once per process.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Variables of this machine that must not leak into the settings under test.
KEPT = {"PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR"}

REPORT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from itsm.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST", ""),
    "broker": app.conf.broker_url, "transport_options": app.conf.broker_transport_options,
    "cache": settings.CACHES["default"]["BACKEND"], "email": settings.EMAIL_BACKEND,
    "debug": settings.DEBUG, "media_root": str(settings.MEDIA_ROOT),
}))
"""


def run_python(code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k in KEPT}
    clean.update(DJANGO_SETTINGS_MODULE="itsm.settings", ITSM_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=120)


def settings_with(env: dict[str, str], tmp_path: Path) -> dict:
    result = run_python(REPORT_SETTINGS, env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_env() -> dict[str, str]:
    return {
        "ITSM_PRODUCTION": "1",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "itsm.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://itsm.example.com",
    }


def test_production_environment_passes_check_deploy_without_warnings(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k in KEPT}
    env = {**clean, **production_env(), "ITSM_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("debug", ["0", "1"])
def test_production_refuses_to_start_without_a_secret_key_of_its_own(tmp_path, debug):
    """Without SECRET_KEY, or with the public local one, or a short one: never a guessable key,
    whatever DEBUG says (DEBUG=1 used to let the public key through)."""
    for key in (None, "insecure-local-only-key-do-not-use-in-production-2f9c1d7e", "short-key"):
        env = {**production_env(), "DEBUG": debug}
        if key is None:
            del env["SECRET_KEY"]
        else:
            env["SECRET_KEY"] = key
        result = run_python("import django; django.setup()", env, tmp_path)
        assert result.returncode != 0, key
        assert "ITSM_PRODUCTION=1 needs SECRET_KEY" in result.stderr, key


@pytest.mark.parametrize(("name", "value"), [
    ("ITSM_PRODUCTION", "ture"), ("DEBUG", "maybe"), ("EMAIL_PORT", "abc"), ("DB_CONN_MAX_AGE", "1m"),
    ("SESSION_COOKIE_SECURE", "yes please"), ("ITSM_MAX_UPLOAD_BYTES", "10MB"),
    # A relay that re-queued every few seconds would flood the queue while a worker is merely busy.
    ("ITSM_OUTBOX_RELAY_AFTER_SECONDS", "5"), ("ITSM_OUTBOX_GIVE_UP_HOURS", "0"),
])
def test_a_value_that_cannot_be_read_stops_the_start_and_names_the_variable(tmp_path, name, value):
    """ITSM_PRODUCTION=ture used to be silently false: the public key, no HTTPS, no HSTS."""
    result = run_python("import django; django.setup()", {name: value}, tmp_path)
    assert result.returncode != 0
    assert f'Environment variable "{name}" invalid' in result.stderr


@pytest.mark.parametrize("value", ["lots", "0/min", "10/fortnight", "-5/s"])
def test_an_api_rate_that_is_not_a_rate_stops_the_start(tmp_path, value):
    result = run_python("import django; django.setup()", {"ITSM_API_THROTTLE_TOKEN": value}, tmp_path)
    assert result.returncode != 0
    assert "ITSM_API_THROTTLE_TOKEN must be a rate" in result.stderr


def test_an_empty_value_means_not_set(tmp_path):
    """docker-compose passes ${VAR:-} as an empty string: that is the default, not an error."""
    found = settings_with({"EMAIL_PORT": "", "DEBUG": "", "ITSM_PRODUCTION": ""}, tmp_path)
    assert found["debug"] is False


def test_the_database_by_its_parts_takes_a_password_a_url_could_not(tmp_path):
    password = "p@ss:w/rd#1%"
    code = REPORT_SETTINGS.replace('"host": db.get("HOST", ""),',
                                   '"host": db.get("HOST", ""), "password": db.get("PASSWORD"), '
                                   '"health": db.get("CONN_HEALTH_CHECKS"),')
    result = run_python(code, {"POSTGRES_HOST": "db.example.internal", "POSTGRES_PASSWORD": password,
                               "POSTGRES_DB": "itsm_prod", "POSTGRES_USER": "itsm"}, tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert (found["engine"], found["host"], found["name"]) == ("django.db.backends.postgresql", "db.example.internal",
                                                               "itsm_prod")
    assert found["password"] == password and found["health"] is True


def test_a_database_url_gets_connection_health_checks(tmp_path):
    code = REPORT_SETTINGS.replace('"host": db.get("HOST", ""),', '"host": db.get("HOST", ""), '
                                   '"health": db.get("CONN_HEALTH_CHECKS"),')
    result = run_python(code, {"DATABASE_URL": "postgres://itsm:secret@db.example.internal:5433/itsm"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["health"] is True


def test_nothing_set_means_sqlite_a_filesystem_broker_and_console_email(tmp_path):
    found = settings_with({}, tmp_path)
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["name"] == str(tmp_path / "var" / "itsm.sqlite3")
    assert found["broker"] == "filesystem://"
    assert found["cache"].endswith("LocMemCache")
    assert found["email"] == "django.core.mail.backends.console.EmailBackend"
    assert found["debug"] is False
    # The filesystem transport fails on missing folders: the Celery app creates them.
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        folder = Path(found["transport_options"][key])
        assert folder.is_relative_to(tmp_path / "var") and folder.is_dir(), key


def test_database_url_switches_to_postgresql(tmp_path):
    found = settings_with({"DATABASE_URL": "postgres://itsm:secret@db.example.internal:5433/itsm_prod"}, tmp_path)
    assert found["engine"] == "django.db.backends.postgresql"
    assert (found["name"], found["host"]) == ("itsm_prod", "db.example.internal")
    assert found["broker"] == "filesystem://"  # the broker is a separate choice


def test_redis_url_switches_the_broker_and_the_cache_to_redis(tmp_path):
    found = settings_with({"REDIS_URL": "redis://cache.example.internal:6379/3"}, tmp_path)
    assert found["broker"] == "redis://cache.example.internal:6379/3"
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert found["engine"] == "django.db.backends.sqlite3"


def test_importing_settings_and_the_celery_app_opens_no_network_connection(tmp_path):
    code = """
import socket
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args[:2]))
    raise OSError("network access during import")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

import django
django.setup()
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from itsm.celery import app
assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
assert app.conf.broker_url.startswith("redis://")
connections["default"]; cache.__class__  # handlers exist; nothing is opened until a query
import incidents.models, incidents.services, incidents.tasks
print("ATTEMPTS", len(attempts), attempts)
"""
    env = {"DATABASE_URL": "postgres://itsm:secret@db.invalid:5432/itsm", "REDIS_URL": "redis://redis.invalid:6379/0"}
    result = run_python(code, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ATTEMPTS 0 []" in result.stdout


def test_every_environment_variable_the_settings_read_is_documented_in_the_readme():
    source = (ROOT / "itsm" / "settings.py").read_text()
    names = set(re.findall(r"\benv(?:_bool|_int|_list)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ITSM_PRODUCTION"} <= names
    readme = (ROOT / "README.md").read_text()
    undocumented = sorted(name for name in names if f"`{name}`" not in readme)
    assert not undocumented, f"README.md's configuration table lacks {undocumented}"


@pytest.mark.parametrize("value, expected", [("1", True), ("0", False)])
def test_debug_follows_the_environment(tmp_path, value, expected):
    assert settings_with({"DEBUG": value}, tmp_path)["debug"] is expected
