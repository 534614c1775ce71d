"""REST routes of the quarantine under /api/v1/quarantine (thin: parse, call, return).

Staff see and fix their EPCI's rows, admins all; other callers are refused (401/403).
"""

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import PrincipalDep
from app.config import get_settings
from app.db import SessionDep
from app.errors import ERROR_RESPONSES, FieldError, InvalidInput
from app.imports import service
from app.imports.schemas import QuarantinePage, QuarantineRead, Resubmission, ResubmitRead

router = APIRouter(prefix="/api/v1/quarantine", tags=["imports"], responses=ERROR_RESPONSES)


@router.get("", response_model=QuarantinePage)
def list_quarantine(
    session: SessionDep,
    principal: PrincipalDep,
    batch_id: int | None = None,
    site_id: str | None = None,
    include_resolved: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QuarantinePage:
    """List the quarantined rows the caller may fix (open ones unless ``include_resolved``)."""
    total, rows = service.list_quarantine(
        session,
        principal,
        batch_id=batch_id,
        site_id=site_id,
        include_resolved=include_resolved,
        limit=min(limit, get_settings().page_max),
        offset=offset,
    )
    return QuarantinePage(
        total=total,
        returned=len(rows),
        items=[QuarantineRead.model_validate(r) for r in rows],
    )


@router.get("/{quarantine_id}", response_model=QuarantineRead)
def get_quarantine(
    quarantine_id: int, session: SessionDep, principal: PrincipalDep
) -> QuarantineRead:
    """Return one quarantined row with its payload and reasons."""
    return QuarantineRead.model_validate(service.get_quarantine(session, principal, quarantine_id))


@router.post(
    "/{quarantine_id}/resubmit",
    response_model=ResubmitRead,
    responses={409: {"description": "Already resolved"}},
)
def resubmit(
    quarantine_id: int, body: Resubmission, session: SessionDep, principal: PrincipalDep
) -> ResubmitRead:
    """Re-run a fixed row through the import's checks: the site is written and the row
    resolved, or 422 names what is still wrong (and nothing is written)."""
    result = service.resubmit(
        session,
        principal,
        quarantine_id,
        body.payload,
        max_vertices=get_settings().max_vertices,
    )
    if result.status == "quarantined":
        raise InvalidInput(
            "the row is still invalid",
            errors=[FieldError(e["field"], e["reason"]) for e in result.errors],
        )
    assert result.site_id is not None
    return ResubmitRead.model_validate(
        {"status": result.status, "site_id": result.site_id, "warnings": result.warnings}
    )
