"""OGC exceptions: every error under ``/ogc`` is an OGC exception body with the right status.

OGC API - Features requires 400 for an invalid or unknown parameter; FastAPI answers 422, which
breaks clients and the conformance suite. :func:`install_handlers` wraps the application's
handlers so that, under ``/ogc`` only, validation errors become 400 and every error body is
``{"code": …, "description": …}`` (OGC API - Common, ``exception.yaml``).
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import AppError

PREFIX = "/ogc"


class OgcError(Exception):
    """An OGC exception: HTTP status, OGC code and description."""

    status_code = 400
    code = "InvalidParameterValue"

    def __init__(self, description: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.headers = headers


class InvalidParameter(OgcError):
    """A query parameter is unknown or its value is invalid (400)."""


class NotFound(OgcError):
    """No such collection, feature or tile (404)."""

    status_code = 404
    code = "NotFound"


class NotAcceptable(OgcError):
    """The requested format is not offered (406)."""

    status_code = 406
    code = "NotAcceptable"


def exception_response(status: int, code: str, description: str, **headers: str) -> JSONResponse:
    """Return an OGC exception document."""
    return JSONResponse(
        {"code": code, "description": description}, status_code=status, headers=headers or None
    )


def _ogc_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OgcError)
    return exception_response(exc.status_code, exc.code, exc.description, **(exc.headers or {}))


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "header")]
        parts.append(f"{'.'.join(loc) or 'request'}: {err.get('msg')}")
    return "; ".join(parts) or "invalid request"


Handler = Callable[[Request, Exception], Any]


def install_handlers(app: FastAPI) -> None:
    """Register the OGC handlers; outside ``/ogc`` the application's own handlers still answer."""
    previous_validation: Handler | None = app.exception_handlers.get(RequestValidationError)
    previous_http: Handler | None = app.exception_handlers.get(StarletteHTTPException)
    previous_app: Handler | None = app.exception_handlers.get(AppError)

    def under_ogc(request: Request) -> bool:
        return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")

    async def validation(request: Request, exc: Exception) -> Any:
        if under_ogc(request) or previous_validation is None:
            assert isinstance(exc, RequestValidationError)
            return exception_response(400, "InvalidParameterValue", _describe_validation(exc))
        return await _call(previous_validation, request, exc)

    async def http(request: Request, exc: Exception) -> Any:
        if under_ogc(request) or previous_http is None:
            assert isinstance(exc, StarletteHTTPException)
            code = {404: "NotFound", 405: "MethodNotAllowed", 406: "NotAcceptable"}.get(
                exc.status_code, "ServerError" if exc.status_code >= 500 else "InvalidRequest"
            )
            return exception_response(
                exc.status_code, code, str(exc.detail), **dict(exc.headers or {})
            )
        return await _call(previous_http, request, exc)

    async def app_error(request: Request, exc: Exception) -> Any:
        if under_ogc(request) or previous_app is None:
            assert isinstance(exc, AppError)
            status = 400 if exc.status_code == 422 else exc.status_code
            return exception_response(status, exc.code, exc.message)
        return await _call(previous_app, request, exc)

    app.add_exception_handler(OgcError, _ogc_handler)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(AppError, app_error)


async def _call(handler: Handler, request: Request, exc: Exception) -> Any:
    result = handler(request, exc)
    if hasattr(result, "__await__"):
        return await result
    return result
