"""Parameter bundles of the site routes (filters, paging)."""

from typing import Annotated, Literal

from fastapi import Depends, Query

from app.errors import FieldError, InvalidInput
from app.models import SITE_KINDS
from app.sites import cnig
from app.sites.service import SiteFilters

_E = cnig.enumerations()
SiteType = Literal[_E["site_type"]]  # type: ignore[valid-type]
SiteStatut = Literal[_E["site_statut"]]  # type: ignore[valid-type]
Kind = Literal[SITE_KINDS]  # type: ignore[valid-type]


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``minlon,minlat,maxlon,maxlat`` (WGS84) or raise a 422 naming ``bbox``."""
    if value is None:
        return None
    try:
        parts = tuple(float(p) for p in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise InvalidInput(
            "invalid bbox",
            errors=[FieldError("bbox", "expected 4 numbers: minlon,minlat,maxlon,maxlat (WGS84)")],
        )
    x0, y0, x1, y1 = parts
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise InvalidInput(
            "invalid bbox",
            errors=[
                FieldError(
                    "bbox", "out of range: longitudes in [-180, 180], latitudes in [-90, 90]"
                )
            ],
        )
    if x0 > x1 or y0 > y1:
        raise InvalidInput(
            "invalid bbox",
            errors=[FieldError("bbox", "min must not exceed max (minlon,minlat,maxlon,maxlat)")],
        )
    return x0, y0, x1, y1


def site_filters(
    bbox: Annotated[
        str | None,
        Query(description="minlon,minlat,maxlon,maxlat (WGS84)", examples=["4.5,49.6,4.9,49.9"]),
    ] = None,
    commune: Annotated[
        str | None, Query(pattern=r"^(?:\d{2}|2[AB])\d{3}$", description="commune INSEE code")
    ] = None,
    epci: Annotated[str | None, Query(pattern=r"^\d{9}$", description="EPCI SIREN")] = None,
    departement: Annotated[str | None, Query(pattern=r"^(?:\d{2}|2[AB]|97\d)$")] = None,
    territoire_industrie: Annotated[
        str | None,
        Query(pattern=r"^ti-\d{4}$", description="Territoire d'industrie id, e.g. ti-4405"),
    ] = None,
    kind: Annotated[list[Kind], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    site_type: Annotated[list[SiteType], Query(description="CNIG site_type")] = [],  # noqa: B006
    site_statut: Annotated[list[SiteStatut], Query(description="CNIG site_statut")] = [],  # noqa: B006
    surface_min_ha: Annotated[float | None, Query(ge=0)] = None,
    surface_max_ha: Annotated[float | None, Query(ge=0)] = None,
    published: Annotated[bool | None, Query(description="staff/admin: drafts or published")] = None,
) -> SiteFilters:
    """Collect and validate the listing filters."""
    return SiteFilters(
        bbox=parse_bbox(bbox),
        commune=commune,
        epci=epci,
        departement=departement,
        territoire_industrie=territoire_industrie,
        kind=list(kind),
        site_type=list(site_type),
        site_statut=list(site_statut),
        surface_min_ha=surface_min_ha,
        surface_max_ha=surface_max_ha,
        published=published,
    )


FiltersDep = Annotated[SiteFilters, Depends(site_filters)]
