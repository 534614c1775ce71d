"""Request and response schemas of the quarantine of imports."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FieldIssue(BaseModel):
    """One problem with one field of a row."""

    field: str
    reason: str


class QuarantineRead(BaseModel):
    """A row an import could not take, with its reasons (fix its payload and re-submit it)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    batch_id: int
    row_number: int = Field(description="1-based data row (header excluded) or feature number")
    site_id: str | None
    epci_siren: str | None
    payload: dict[str, Any] = Field(description="the row as read from the file")
    errors: list[FieldIssue]
    created_at: datetime
    resolved_at: datetime | None
    resolved_site_id: str | None


class QuarantinePage(BaseModel):
    """A page of quarantined rows."""

    total: int = Field(description="rows matching the filters")
    returned: int = Field(description="rows in this page")
    items: list[QuarantineRead]


class Resubmission(BaseModel):
    """A fixed row: the same columns as the file's (and ``geometry`` for a GeoJSON feature)."""

    model_config = ConfigDict(extra="forbid")

    payload: dict[str, Any] = Field(min_length=1)


class ResubmitRead(BaseModel):
    """The outcome of a re-submission that was written."""

    status: str = Field(description="imported, updated or unchanged")
    site_id: str
    warnings: list[FieldIssue]
