"""Request and response schemas of the matching slice."""

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.matching.permits import ICPE_REGIMES
from app.models.site_derived import LABOUR_POOL_RADII_KM


class SpanRead(BaseModel):
    """Months: min, typical, max."""

    model_config = ConfigDict(from_attributes=True)

    min: float
    typical: float
    max: float


class ScheduledRead(BaseModel):
    """A procedure still to do, with its start and end in months from today."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    status: str | None
    start: SpanRead
    end: SpanRead


class TimeToPermitsRead(BaseModel):
    """Months until permits are final, the critical path, and what delays works."""

    model_config = ConfigDict(from_attributes=True)

    months: SpanRead
    critical_path: list[str]
    remaining: list[ScheduledRead]
    works_delays: list[ScheduledRead]
    assumptions: list[str]


# --- Ranking: POST /api/v1/matches ----------------------------------------------------------

_WEIGHT = Field(1.0, ge=0, le=100, description="Weight of a soft preference (0–100)")
_MUST = Field(False, description="Hard constraint: a site that does not meet it is excluded")


class _Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    must: bool = _MUST
    weight: float = _WEIGHT


class AtLeastIn(_Criterion):
    """At least ``min``."""

    min: float = Field(gt=0)


class AtMostIn(_Criterion):
    """At most ``max``."""

    max: float = Field(ge=0)


class RangeIn(_Criterion):
    """Between ``min`` and ``max`` (either may be left out)."""

    min: float | None = Field(None, gt=0)
    max: float | None = Field(None, ge=0)


class FlagIn(_Criterion):
    """The site must have it."""


class DateIn(_Criterion):
    """Available on or before ``date``."""

    date: dt.date


class KindsIn(_Criterion):
    """One of the site kinds."""

    values: list[Literal["friche", "turnkey", "serviced_plot"]] = Field(min_length=1)


class PreferenceIn(BaseModel):
    """A preference (never a hard constraint): only a weight."""

    model_config = ConfigDict(extra="forbid")

    weight: float = _WEIGHT
    must: bool = Field(False, description="Refused when true: use `kinds` to keep friches only")


class LabourPoolIn(AtLeastIn):
    """At least ``min`` inhabitants within ``radius_km`` of the site."""

    radius_km: int = Field(description=f"One of {list(LABOUR_POOL_RADII_KM)}")


class PointIn(BaseModel):
    """A WGS 84 point."""

    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class LocationIn(BaseModel):
    """Where the site must be: in any listed area, or within ``radius_km`` of ``point``."""

    model_config = ConfigDict(extra="forbid")

    regions: list[str] = Field(default_factory=list, description="INSEE region codes")
    departements: list[str] = Field(default_factory=list, description="Département codes")
    epcis: list[str] = Field(default_factory=list, description="EPCI SIREN codes")
    territoires_industrie: list[str] = Field(default_factory=list, description="TI ids")
    point: PointIn | None = None
    radius_km: float | None = Field(None, gt=0, le=1000)


class CriteriaIn(BaseModel):
    """The investor's criteria; each is optional."""

    model_config = ConfigDict(extra="forbid")

    surface_ha: RangeIn | None = None
    buildings_m2: AtLeastIn | None = None
    power_mw: AtLeastIn | None = None
    water_m3_day: AtLeastIn | None = None
    gas: FlagIn | None = None
    rail_siding: FlagIn | None = None
    motorway_km: AtMostIn | None = None
    freight_station_km: AtMostIn | None = None
    port_km: AtMostIn | None = None
    months_to_permits: AtMostIn | None = None
    available_by: DateIn | None = None
    price_m2: AtMostIn | None = None
    kinds: KindsIn | None = None
    friche_preference: PreferenceIn | None = None
    labour_pool: LabourPoolIn | None = None
    location: LocationIn | None = None


class MatchRequest(BaseModel):
    """An investor's project: its ICPE regime and its criteria."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "icpe": "enregistrement",
                    "criteria": {
                        "surface_ha": {"min": 2, "max": 30, "must": True},
                        "months_to_permits": {"max": 12, "weight": 2},
                        "motorway_km": {"max": 10},
                        "friche_preference": {"weight": 2},
                        "labour_pool": {"radius_km": 20, "min": 50000},
                        "location": {"departements": ["08"]},
                    },
                }
            ]
        },
    )

    icpe: Literal[ICPE_REGIMES] | None = Field(  # type: ignore[valid-type]
        None, description="ICPE regime of the project (none when not an ICPE)"
    )
    criteria: CriteriaIn = Field(default_factory=CriteriaIn)


class CriterionResult(BaseModel):
    """How a site fares on one criterion."""

    criterion: str
    label: str
    unit: str
    value: Any
    requirement: dict[str, Any]
    must: bool
    weight: float
    status: Literal["met", "partial", "unmet", "unknown"]
    score: float | None
    #: Points of the total (0–100) this criterion brings: 100 × weight × score / Σ weight.
    contribution: float
    reason: str | None


class FailedConstraint(BaseModel):
    """A hard constraint the site does not meet, and why."""

    criterion: str
    reason: str


class MatchResult(BaseModel):
    """One ranked site."""

    rank: int
    site_id: str
    name: str
    kind: str
    commune: str
    comm_insee: str
    epci_siren: str | None
    score: float
    eligible: bool
    criteria: list[CriterionResult]
    failed: list[FailedConstraint]
    time_to_permits: TimeToPermitsRead
    zan: dict[str, Any] | None
    mutability: dict[str, Any] | None


class Link(BaseModel):
    """A link to another page of the answer."""

    rel: str
    href: str
    type: str = "application/json"
    method: str = "POST"


class MatchAnswer(BaseModel):
    """The ranked sites, best first."""

    numberMatched: int  # noqa: N815 - OGC/GeoJSON spelling
    numberExcluded: int | None  # noqa: N815
    numberReturned: int  # noqa: N815
    icpe: str | None
    results: list[MatchResult]
    links: list[Link]
