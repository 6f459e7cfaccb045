"""The API keeps to its published contract: the committed OpenAPI file is the one the code
generates, and a fuzzer walking every operation of that schema gets no server error, only
documented status codes, and bodies that match their schemas."""

from __future__ import annotations

import difflib
from io import StringIO
from pathlib import Path

import pytest
import schemathesis
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"
# Examples per operation: enough to find a 500 from odd input in CI, few enough for its budget.
EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@schemathesis.serializer("message/rfc822")
def _raw_message(context, value) -> bytes:
    """The e-mail intake's body is a raw message: whatever the fuzzer made, as bytes."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")


def generated_schema() -> str:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return out.getvalue()


def test_the_committed_openapi_file_is_the_one_the_code_generates(db):
    committed = SCHEMA_FILE.read_text()
    generated = generated_schema()
    if committed != generated:
        diff = "".join(difflib.unified_diff(committed.splitlines(True), generated.splitlines(True),
                                            "docs/api/openapi.yaml", "generated", n=2))
        pytest.fail(f"docs/api/openapi.yaml is out of date; run `make schema` and commit it.\n{diff[:4000]}")


@pytest.fixture
def world(db):
    """Something of every kind for the fuzzer to find, and a token that may see all of it."""
    from core.tests.api_support import make_actors
    from incidents.tests.factories import CategoryFactory, ServiceFactory, make_incident
    from tokens import services as tokens

    actors = make_actors()
    category = CategoryFactory(name="Network", default_team=actors.team)
    ServiceFactory(name="VPN")
    make_incident(reporter=actors["reporter"], category=category, impact="high", urgency="high")
    _, key = tokens.issue(user=actors["incident_manager"], name="contract tests")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def intake_tokens(world) -> dict[str, dict]:
    """The intake endpoints take only their sources' tokens: with the manager's, every call would be
    a 403 and the fuzzer would never reach the payload's parsing. Headers by path prefix."""
    from intake.accounts import service_account
    from intake.models import AlertSource, Mailbox, MailboxKind, SourceKind
    from tokens import services as tokens

    headers = {}
    for path, kind in (("/api/v1/intake/alertmanager/", SourceKind.ALERTMANAGER),
                       ("/api/v1/intake/alerts/", SourceKind.GENERIC)):
        source = AlertSource.objects.create(name=kind, kind=kind, service_user=service_account("alerts", kind))
        _, key = tokens.issue(user=source.service_user, name="contract tests")
        headers[path] = {"Authorization": f"Bearer {key}"}
    mailbox = Mailbox.objects.create(name="Desk", kind=MailboxKind.PIPE, address="desk@example.com",
                                     unknown_senders="create", service_user=service_account("mail", "Desk"))
    _, key = tokens.issue(user=mailbox.service_user, name="contract tests")
    headers["/api/v1/intake/email/"] = {"Authorization": f"Bearer {key}"}
    return headers


def headers_for(operation, world: dict, intake_tokens: dict) -> dict:
    return next((headers for prefix, headers in intake_tokens.items() if operation.path.startswith(prefix)), world)


@pytest.fixture
def api_schema(world):
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    # Requests go through the real WSGI handler inside the test's transaction. Its end-of-request
    # signal would close the database connection under the test (PostgreSQL); Django's own test
    # client disconnects it the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), headers=world)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_the_schema_and_the_docs_are_for_signed_in_callers(client, world):
    assert client.get("/api/schema/").status_code == 401
    assert client.get("/api/docs/").status_code == 302  # to the sign-in page
    assert client.get("/api/schema/", HTTP_AUTHORIZATION=world["Authorization"]).status_code == 200


def fuzz(operation, headers: dict, mode: GenerationMode) -> None:
    # schemathesis' own pytest loader relies on a node attribute pytest 9 no longer has: each
    # operation runs as a plain Hypothesis test instead, and failures are collected per operation.
    @given(case=operation.as_strategy(mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        # Each call in a savepoint rolled back afterwards, as each request is a transaction of its
        # own in production: a statement PostgreSQL refused (and the view answered with a 400)
        # must not leave the test's transaction aborted for the next call.
        with transaction.atomic():
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            finally:
                transaction.set_rollback(True)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_operation_answers_5xx_or_leaves_its_schema(api_schema, world, intake_tokens, mode):
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            fuzz(operation, headers_for(operation, world, intake_tokens), mode)
        except (Exception, BaseExceptionGroup) as failure:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}: {str(failure)[:1500]}")
    assert operations > 1, "the schema lists no operations"
    assert not failures, f"{len(failures)} of {operations} operations failed:\n\n" + "\n\n".join(failures)
