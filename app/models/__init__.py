"""All ORM classes (one metadata for Alembic; STYLE.md §2)."""

from app.models.api_key import ROLES, ApiKey
from app.models.parcel import Parcel
from app.models.procedure import PROCEDURE_STATUSES, Procedure
from app.models.site import SITE_KINDS, Site, SiteParcel
from app.models.site_change import SiteChange
from app.models.territory import (
    Commune,
    Departement,
    Epci,
    Region,
    TerritoireIndustrie,
    TerritoireIndustrieEpci,
)

__all__ = [
    "PROCEDURE_STATUSES",
    "ROLES",
    "SITE_KINDS",
    "ApiKey",
    "Commune",
    "Departement",
    "Epci",
    "Parcel",
    "Procedure",
    "Region",
    "Site",
    "SiteChange",
    "SiteParcel",
    "TerritoireIndustrie",
    "TerritoireIndustrieEpci",
]
