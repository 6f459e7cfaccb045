"""Every error the API gives has one shape, whatever raised it."""

from __future__ import annotations

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from core.api.errors import NOT_FOUND, Conflict, exception_handler
from core.errors import WorkflowError


def body_of(exc):
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_a_refused_action_is_409_with_its_sentence():
    status, body = body_of(WorkflowError("“Resolve” is not possible: INC-000001 is closed."))
    assert status == 409 and body == {"status": 409, "code": "refused",
                                      "detail": "“Resolve” is not possible: INC-000001 is closed."}


def test_a_transition_conflict_carries_what_is_allowed_now():
    status, body = body_of(Conflict("No.", code="transition_refused", allowed_transitions=["start"]))
    assert status == 409 and body["allowed_transitions"] == ["start"] and body["code"] == "transition_refused"


def test_a_model_validation_error_is_400_naming_its_fields():
    status, body = body_of(DjangoValidationError({"summary": "Describe the problem in a few words."}))
    assert status == 400 and body["code"] == "invalid"
    assert body["errors"] == {"summary": ["Describe the problem in a few words."]}
    assert "summary" in body["detail"]


def test_errors_of_nested_fields_are_named_by_their_path_in_the_one_flat_shape():
    status, body = body_of(exceptions.ValidationError({
        "alerts": [{}, {"status": ["“exploded” is not a valid choice."], "labels": {"severity": ["Too long."]}}],
        "links": {"non_field_errors": ["At most 20 links."]},
        "version": ["Version 4 is accepted."],
    }))
    assert status == 400 and body["errors"] == {
        "alerts.1.status": ["“exploded” is not a valid choice."],
        "alerts.1.labels.severity": ["Too long."],
        "links": ["At most 20 links."],
        "version": ["Version 4 is accepted."],
    }
    assert body["detail"] == "Some fields are not valid: alerts, links, version."


def test_a_general_validation_error_becomes_the_detail():
    status, body = body_of(exceptions.ValidationError(["The file is empty."]))
    assert status == 400 and body["detail"] == "The file is empty." and body["errors"] == {}


def test_not_found_says_the_same_whether_missing_or_hidden():
    assert body_of(Http404("No Incident matches the given query."))[1]["detail"] == NOT_FOUND
    assert body_of(Http404())[1] == {"status": 404, "code": "not_found", "detail": NOT_FOUND}


def test_an_oversize_body_is_413():
    assert body_of(RequestDataTooBig("big"))[0] == 413


def test_a_number_too_large_for_the_database_is_400_not_500():
    status, body = body_of(OverflowError("Python int too large to convert to SQLite INTEGER"))
    assert status == 400 and "out of range" in body["detail"]


def test_throttled_says_when_to_come_back():
    response = exception_handler(exceptions.Throttled(wait=12.2), {})
    assert response.status_code == 429 and response["Retry-After"] == "13" and response.data["retry_after"] == 13


@pytest.mark.parametrize("exc", [ZeroDivisionError(), KeyError("x")])
def test_a_bug_is_left_to_djangos_500_handling(exc):
    assert exception_handler(exc, {}) is None


class _DriverError(Exception):
    """What psycopg raises, as far as the handler reads it: its SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _data_error(sqlstate: str, message: str):
    from django.db import DataError

    error = DataError(message)
    error.__cause__ = _DriverError(sqlstate)  # as Django's wrapper raises it: `from` the driver's
    return error


def test_a_value_the_database_refuses_as_out_of_range_is_400_not_500():
    status, body = body_of(_data_error("22003", 'value "40468176917295489909270773760" is out of range for type bigint'))
    assert status == 400 and "out of range" in body["detail"]


@pytest.mark.parametrize("sqlstate", ["22001", "22007", None])
def test_any_other_data_error_is_a_bug_left_to_djangos_500_handling(sqlstate):
    """A string longer than its column (22001) or a malformed date (22007) is a validation the code
    forgot; answering 400 "out of range" would hide it."""
    assert exception_handler(_data_error(sqlstate, "value too long for type character varying(20)"), {}) is None
