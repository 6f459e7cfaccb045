"""What an operator relies on: /healthz names what the process cannot reach, log lines carry their
time and level (JSON on request) and print once, and errors can go to Sentry."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from core import health

from .test_settings import run_python


@pytest.mark.django_db
def test_healthz_answers_ok_when_database_cache_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_names_what_it_cannot_reach_with_503(client, settings, monkeypatch):
    """A broker that is not there: Redis on a port nothing listens on."""
    from celery import current_app

    monkeypatch.setattr(current_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "ok", "cache": "ok", "broker": "failing"}


@pytest.mark.django_db
def test_healthz_is_not_redirected_to_https_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("portal:home")).status_code == 301


def test_the_checks_are_the_three_the_readme_promises():
    assert set(health.CHECKS) == {"database", "cache", "broker"}


LOG_ONE_LINE = """
import django, logging
django.setup()
logging.getLogger("django.request").warning("Not Found: /nowhere")
logging.getLogger("incidents.sla.sweep").error("batch failed")
"""


@pytest.mark.parametrize("debug", ["0", "1"])
def test_log_lines_carry_time_and_level_and_django_lines_print_once(tmp_path, debug):
    result = run_python(LOG_ONE_LINE, {"DEBUG": debug}, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len([line for line in lines if "Not Found: /nowhere" in line]) == 1, lines
    [sweep_line] = [line for line in lines if "batch failed" in line]
    assert " ERROR incidents.sla.sweep: batch failed" in sweep_line and sweep_line[:4].isdigit()


def test_log_format_json_writes_one_object_a_line(tmp_path):
    result = run_python(LOG_ONE_LINE, {"LOG_FORMAT": "json"}, tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert {"level": "ERROR", "logger": "incidents.sla.sweep", "message": "batch failed"}.items() <= records[-1].items()
    assert records[-1]["time"].endswith("+00:00")


def test_a_log_format_that_does_not_exist_is_refused(tmp_path):
    result = run_python("import django; django.setup()", {"LOG_FORMAT": "xml"}, tmp_path)
    assert result.returncode != 0 and 'LOG_FORMAT must be "text" or "json"' in result.stderr


def test_sentry_is_set_up_only_with_a_dsn_and_sends_nothing_at_start(tmp_path):
    code = """
import django
django.setup()
import sentry_sdk
client = sentry_sdk.get_client()
print("DSN", client.dsn, "ENV", client.options["environment"], "PII", client.options["send_default_pii"])
"""
    result = run_python(code, {"SENTRY_DSN": "https://public@sentry.invalid/1"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "DSN https://public@sentry.invalid/1 ENV development PII False" in result.stdout
    result = run_python(code, {}, tmp_path)
    assert "DSN None" in result.stdout
