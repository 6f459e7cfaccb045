"""One error shape for the whole API, whatever went wrong and wherever.

    {"status": 409, "code": "transition_refused", "detail": "A sentence for a person.",
     "errors": {"field": ["What is wrong with it."]},          # 400 only
     "allowed_transitions": ["start", "route"]}                # 409 on a transition only

`exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]) turns every exception a view lets out
into it: DRF's own, Django's `ValidationError` and `Http404`, a `WorkflowError` refusal (409), a
body over the limit (413). A 404 says the same for an object that does not exist and for one the
caller may not see, so that an id or reference leaks nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from core.errors import WorkflowError

NOT_FOUND = "Not found (or not yours to see)."
# PostgreSQL's numeric_value_out_of_range: the one DataError a request can cause by itself.
OUT_OF_RANGE = "22003"


def _out_of_range(exc: Exception) -> bool:
    """A number past the column's type. Any other DataError (a string longer than its column, a
    bad date) is a validation the code forgot: a 500 that gets reported, not a 400 that hides it."""
    return isinstance(exc, DataError) and getattr(exc.__cause__, "sqlstate", None) == OUT_OF_RANGE


class Conflict(exceptions.APIException):
    """409: the action is refused as things stand (an illegal or stale transition)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The action is not possible now."

    def __init__(self, detail: str, *, code: str = "conflict", **extra: Any) -> None:
        super().__init__(detail, code)
        self.extra = extra


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


def _field_errors(detail: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's ErrorDetail tree as one list of sentences per field, nested fields named by their path
    (`alerts.0.status`, `labels.severity`): the documented shape is flat whatever the payload's
    nesting, so that a client shows each sentence beside its field the same way everywhere."""
    found: dict[str, list[str]] = {}

    def add(name: str, sentences: list[str]) -> None:
        found.setdefault(name or "non_field_errors", []).extend(sentences)

    if isinstance(detail, dict):
        for key, value in detail.items():
            general = key in ("non_field_errors", "__all__")
            name = path if general and path else (f"{path}.{key}" if path else str(key))
            for field, sentences in _field_errors(value, name).items():
                add(field, sentences)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            add(path, [str(item) for item in detail])
        else:
            for index, item in enumerate(detail):
                if item:
                    for field, sentences in _field_errors(item, f"{path}.{index}" if path else str(index)).items():
                        add(field, sentences)
    else:
        add(path, [str(detail)])
    return found


def _validation_body(errors: dict) -> dict:
    errors = _field_errors(errors)
    general = errors.pop("non_field_errors", None) or errors.pop("__all__", None)
    if general:
        detail = " ".join(general)
    elif errors:
        fields = dict.fromkeys(name.split(".", 1)[0] for name in errors)
        detail = "Some fields are not valid: " + ", ".join(fields) + "."
    else:
        detail = "The request is not valid."
    return {"code": "invalid", "detail": detail, "errors": errors}


def error_body(status_code: int, code: str, detail: str, **extra: Any) -> dict:
    return {"status": status_code, "code": code, "detail": detail, **extra}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, WorkflowError):
        exc = Conflict(exc.message, code="refused")
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, OverflowError) or _out_of_range(exc):
        # An id past 64 bits in a filter or a path: SQLite cannot bind it (OverflowError), and
        # PostgreSQL refuses it for a bigint column (DataError, "out of range").
        exc = exceptions.ValidationError({"non_field_errors": ["A number in the request is out of range."]})
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling (and error reporting) takes it

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = _validation_body(detail)
        code = body.pop("code")
        response_body = error_body(exc.status_code, code, **body)
    else:
        detail = exc.detail
        if isinstance(detail, (list, dict)):
            detail = " ".join(str(v) for v in (detail.values() if isinstance(detail, dict) else detail))
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response_body = error_body(exc.status_code, code, str(detail), **getattr(exc, "extra", {}))
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        request = context.get("request")
        authenticate_header = None
        if request is not None:
            view = context.get("view")
            authenticate_header = view.get_authenticate_header(request) if view is not None else None
        if authenticate_header:
            headers["WWW-Authenticate"] = authenticate_header
        else:
            # DRF answers 403 when no authenticator names a scheme; a missing credential is a 401.
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        response_body["status"] = status.HTTP_401_UNAUTHORIZED
        return Response(response_body, status=status.HTTP_401_UNAUTHORIZED, headers=headers)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        # DRF has rounded the wait up to whole seconds already.
        headers["Retry-After"] = str(int(exc.wait))
        response_body["retry_after"] = int(exc.wait)
    return Response(response_body, status=exc.status_code, headers=headers)
