"""All ORM classes (one metadata for Alembic; STYLE.md §2)."""

from app.models.api_key import ROLES, ApiKey
from app.models.building import Building
from app.models.import_batch import IMPORT_KINDS, IMPORT_STATUSES, ImportBatch, QuarantineRow
from app.models.parcel import Parcel
from app.models.polluted_site import PollutedSite
from app.models.procedure import PROCEDURE_STATUSES, Procedure
from app.models.site import SITE_KINDS, Site, SiteParcel
from app.models.site_change import SiteChange
from app.models.site_derived import (
    LABOUR_POOL_RADII_KM,
    PERMIT_REGIMES,
    SiteDerived,
    SiteMatch,
    SitePermits,
)
from app.models.territory import (
    Commune,
    Departement,
    Epci,
    Region,
    TerritoireIndustrie,
    TerritoireIndustrieEpci,
)
from app.models.zan import ZAN_DESTINATIONS, ZAN_TERRITORY_TYPES, ZanConsumption, ZanTerritory

__all__ = [
    "IMPORT_KINDS",
    "IMPORT_STATUSES",
    "Building",
    "ImportBatch",
    "PollutedSite",
    "QuarantineRow",
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
    "SiteDerived",
    "SiteMatch",
    "SitePermits",
    "LABOUR_POOL_RADII_KM",
    "PERMIT_REGIMES",
    "SiteParcel",
    "TerritoireIndustrie",
    "TerritoireIndustrieEpci",
    "ZAN_DESTINATIONS",
    "ZAN_TERRITORY_TYPES",
    "ZanConsumption",
    "ZanTerritory",
]
