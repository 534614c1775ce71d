"""The caller of a request, from its ``Authorization: Bearer`` header."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.auth.service import Principal
from app.db import SessionDep

#: Declared for the OpenAPI document ("Authorize" in /docs); the header is parsed below so that
#: a malformed one is a 401 rather than silently anonymous.
bearer = HTTPBearer(auto_error=False, description="API key from `foncier keys create`")


def get_principal(
    request: Request,
    session: SessionDep,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Return the caller (anonymous without a header; 401 on an unknown key)."""
    return service.authenticate(session, request.headers.get("authorization"))


PrincipalDep = Annotated[Principal, Depends(get_principal)]
