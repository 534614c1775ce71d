"""Domain errors and the handlers that render them (STYLE.md §3.8).

Every error body has the same shape::

    {"code": "invalid_geometry", "message": "…", "errors": [{"field": "geometry",
     "reason": "Self-intersection", "where": "[4.1 49.5]", "allowed": null}]}

``field`` names the offending input (a JSON path such as ``properties.site_type``), ``reason``
says what is wrong, ``allowed`` lists the accepted values of an enumeration, ``where`` locates a
geometry problem.
"""

import re
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


@dataclass
class FieldError:
    """One problem with one input field."""

    field: str
    reason: str
    allowed: list[str] | None = None
    where: str | None = None


class ErrorBody(BaseModel):
    """The JSON body of every error response."""

    code: str
    message: str
    errors: list[dict[str, Any]] = []


class AppError(Exception):
    """Base of Foncier's errors: an HTTP status, a stable code and field errors."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.headers = headers

    def body(self) -> dict[str, Any]:
        """Return the JSON body of this error."""
        return {
            "code": self.code,
            "message": self.message,
            "errors": [{k: v for k, v in asdict(e).items() if v is not None} for e in self.errors],
        }


class InvalidInput(AppError):
    """The request payload or a parameter breaks a rule (422)."""

    status_code = 422
    code = "invalid_input"


class InvalidGeometry(InvalidInput):
    """A submitted geometry is unusable (422)."""

    code = "invalid_geometry"


class NotAuthenticated(AppError):
    """No or an unknown API key on a request that needs one (401)."""

    status_code = 401
    code = "not_authenticated"

    def __init__(
        self, message: str = "this request needs an API key: 'Authorization: Bearer <key>'"
    ) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="foncier"'})


class Forbidden(AppError):
    """The key is valid but its role or territory does not allow this (403)."""

    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    """The resource does not exist or is not visible to the caller (404)."""

    status_code = 404
    code = "not_found"


class Conflict(AppError):
    """The request conflicts with stored data (409)."""

    status_code = 409
    code = "conflict"


class PreconditionFailed(AppError):
    """``If-Match`` names a version that is no longer current (412)."""

    status_code = 412
    code = "precondition_failed"


class PreconditionRequired(AppError):
    """A conditional header is required for this write (428)."""

    status_code = 428
    code = "precondition_required"


class PayloadTooLarge(AppError):
    """The request body exceeds the configured cap (413)."""

    status_code = 413
    code = "payload_too_large"


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "No or unknown API key",
        403: "Role or territory does not allow this",
        404: "Not found",
        412: "Stale ETag in If-Match",
        422: "Invalid input: the field and the reason are named",
    }.items()
}


_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    if parts and parts[0] in ("query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        ctx = err.get("ctx") or {}
        allowed = None
        if "expected" in ctx and err.get("type") in ("literal_error", "enum"):
            allowed = [a or b for a, b in _QUOTED.findall(str(ctx["expected"]))]
        errors.append(
            {
                k: v
                for k, v in {
                    "field": _loc_to_field(tuple(err["loc"])),
                    "reason": err["msg"],
                    "allowed": allowed,
                }.items()
                if v is not None
            }
        )
    body = {"code": "invalid_input", "message": "the request is invalid", "errors": errors}
    return JSONResponse(body, status_code=422)


def _app_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


def _http_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    body = {"code": "http_error", "message": str(exc.detail), "errors": []}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def install_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``."""
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
