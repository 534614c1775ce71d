"""Schemas of the upload routes."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class ImportRead(BaseModel):
    """An import batch: its status, and the report once it is done."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    source_name: str
    status: str
    epci_siren: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: dict[str, Any] | None
    error: str | None
