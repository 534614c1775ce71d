"""Routes: POST /api/v1/imports (202, import in the background), GET its status and report."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, Response, UploadFile

from app.auth.dependencies import PrincipalDep
from app.db import SessionDep
from app.errors import ERROR_RESPONSES
from app.models import ImportBatch
from app.uploads import service
from app.uploads.schemas import ImportRead

router = APIRouter(prefix="/api/v1/imports", tags=["imports"], responses=ERROR_RESPONSES)


@router.post("", status_code=202, response_model=ImportRead)
def upload(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[
        UploadFile,
        File(description="CNIG Friches CSV/GeoJSON, or CNIG Sites économiques GeoPackage/CSV"),
    ],
    kind: Annotated[
        str | None, Form(description="friches or sites-eco (detected when absent)")
    ] = None,
) -> ImportBatch:
    """Accept a file and import it after the response (staff: their territory's rows only)."""
    name = file.filename or "upload"
    data = file.file.read()  # a sync endpoint: this runs in the thread pool
    batch = service.accept(session, principal, name=name, data=data, kind=kind)
    response.headers["Location"] = str(request.url_for("get_import", batch_id=batch.id))
    background.add_task(
        service.run,
        request.app.state.sessionmaker,
        principal,
        batch_id=batch.id,
        name=name,
        data=data,
    )
    return batch


@router.get("", response_model=list[ImportRead])
def list_imports(session: SessionDep, principal: PrincipalDep) -> list[ImportBatch]:
    """Your territory's recent imports (admins: all), newest first."""
    return service.recent(session, principal)


@router.get("/{batch_id}", response_model=ImportRead, name="get_import")
def get_import(batch_id: int, session: SessionDep, principal: PrincipalDep) -> ImportBatch:
    """Status of an import (queued, running, done, failed) and, once done, its report."""
    return service.get(session, principal, batch_id)
