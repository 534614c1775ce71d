"""The criteria of an investor's requirements and how a site scores on each: a pure module.

No database, no HTTP: a criterion is a small typed object in ``REGISTRY``, documented with its
unit and its rule (``docs/scoring.md`` lists them all with their sources). The same rules are
compiled to SQL by ``app.matching.sql`` so that PostgreSQL filters and orders 100 000 sites; the
tests check that both give the same sites in the same order.

A site is described by its **facts** (``FACTS``: one value per key, ``None`` when the site's data
does not say). Each requirement of a criterion gives, for a site:

- a **value** (the fact the criterion reads), or ``None`` = unknown;
- a **score** in [0, 1]: 1 when the requirement is met, a partial score when it is missed by
  little, 0 when missed; ``None`` when the value is unknown (an unknown never counts as a match:
  it contributes 0 to the total and is reported as ``unknown``);
- a **status**: ``met`` (score 1), ``partial`` (0 < score < 1), ``unmet`` (score 0), ``unknown``.

A ``must`` requirement that is not ``met`` (unknown included) excludes the site, with the reason.
The total score is ``100 × Σ weight × score / Σ weight`` over every requirement given, ``must``
ones included (they are met by every eligible site, so they lift all alike). Ties are broken by
``site_id``, ascending.

Float arithmetic follows a fixed order (``total`` below) so that PostgreSQL's ``float8`` and
Python's ``float`` (both IEEE 754 doubles) give bit-identical totals.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from typing_extensions import override

from app.models.site import SITE_KINDS
from app.models.site_derived import LABOUR_POOL_RADII_KM

#: Days per year used to turn a late availability into a partial score.
DAYS_PER_YEAR = 365.25

#: The facts a site brings to the ranking, with their unit (``app.matching.sql`` reads them).
FACTS: dict[str, str] = {
    "area_ha": "ha",
    "buildings_m2": "m²",
    "power_mw": "MW",
    "water_m3_day": "m³/day",
    "gas": "yes/no",
    "rail_siding": "yes/no",
    "motorway_km": "km",
    "freight_station_km": "km",
    "port_km": "km",
    "months_to_permits": "months",
    "available_from": "date",
    "price_m2": "€/m²",
    "kind": "kind",
    "sobriety_score": "0–100",
    **{f"labour_{r}km": "inhabitants" for r in LABOUR_POOL_RADII_KM},
}


class RequirementError(ValueError):
    """A requirement that cannot be evaluated: ``field`` names it, ``reason`` says why."""

    def __init__(self, field: str, reason: str, allowed: Sequence[Any] | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.allowed = list(allowed) if allowed is not None else None


@dataclass(frozen=True)
class Evaluation:
    """How one site fares on one requirement."""

    criterion: str
    value: Any
    score: float | None
    status: str
    reason: str | None


def _status(score: float | None) -> str:
    if score is None:
        return "unknown"
    if score >= 1.0:
        return "met"
    return "partial" if score > 0.0 else "unmet"


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, kw_only=True)
class Requirement(ABC):
    """One criterion of the investor's requirements (base class of the typed criteria)."""

    must: bool = False
    weight: float = 1.0

    #: Registry key, display label, unit and one-line rule (set on each subclass).
    key: ClassVar[str]
    label: ClassVar[str]
    unit: ClassVar[str]
    rule: ClassVar[str]
    #: The fact read from the site.
    fact: ClassVar[str]
    #: A preference has no threshold: it cannot be a ``must``.
    preference_only: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 100.0:
            raise RequirementError(f"criteria.{self.key}.weight", "must be between 0 and 100")
        if self.must and self.preference_only:
            raise RequirementError(
                f"criteria.{self.key}.must",
                "a preference cannot be a hard constraint (use the kinds criterion to keep "
                "friches only)",
            )

    def fact_key(self) -> str:
        """Return the key of ``FACTS`` this requirement reads."""
        return self.fact

    def requirement(self) -> dict[str, Any]:
        """Return the requirement as the investor stated it (for the answer)."""
        return {}

    @abstractmethod
    def score(self, value: Any) -> float | None:
        """Return the score in [0, 1] of a known value (``None`` only for unknown values)."""

    def describe(self, value: Any, score: float | None) -> str | None:
        """Return why the requirement is not met, or ``None`` when it is."""
        if score is None:
            noun = self.label[0].lower() + self.label[1:]
            return f"unknown: the site's data does not give its {noun}"
        if score >= 1.0:
            return None
        return f"{self.label}: {self._show(value)}, required {self._show_requirement()}"

    def _show(self, value: Any) -> str:
        return f"{_fmt(value)} {self.unit}" if isinstance(value, int | float) else str(value)

    def _show_requirement(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.requirement().items())

    def evaluate(self, facts: Mapping[str, Any]) -> Evaluation:
        """Evaluate this requirement on a site's facts."""
        value = facts.get(self.fact_key())
        score = None if value is None else self.score(value)
        return Evaluation(self.key, value, score, _status(score), self.describe(value, score))


@dataclass(frozen=True, kw_only=True)
class AtLeast(Requirement):
    """Met when value ≥ ``min``; below it the score is value / min (linear, 0 at 0)."""

    min: float

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.min > 0:
            raise RequirementError(f"criteria.{self.key}.min", "must be > 0")

    @override
    def requirement(self) -> dict[str, Any]:
        return {"min": self.min}

    @override
    def score(self, value: Any) -> float:
        v = float(value)
        if v >= self.min:
            return 1.0
        return max(v, 0.0) / self.min

    @override
    def _show_requirement(self) -> str:
        return f"at least {_fmt(self.min)} {self.unit}"


@dataclass(frozen=True, kw_only=True)
class AtMost(Requirement):
    """Met when value ≤ ``max``; above it the score is max / value (halved at twice the max)."""

    max: float

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max < 0:
            raise RequirementError(f"criteria.{self.key}.max", "must be ≥ 0")

    @override
    def requirement(self) -> dict[str, Any]:
        return {"max": self.max}

    @override
    def score(self, value: Any) -> float:
        v = float(value)
        if v <= self.max:
            return 1.0
        return self.max / v

    @override
    def _show_requirement(self) -> str:
        return f"at most {_fmt(self.max)} {self.unit}"


@dataclass(frozen=True, kw_only=True)
class Between(Requirement):
    """Met inside [min, max]; below: value / min; above: max / value."""

    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min is None and self.max is None:
            raise RequirementError(f"criteria.{self.key}", "give min, max or both")
        if self.min is not None and not self.min > 0:
            raise RequirementError(f"criteria.{self.key}.min", "must be > 0")
        if self.max is not None and self.max < 0:
            raise RequirementError(f"criteria.{self.key}.max", "must be ≥ 0")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise RequirementError(f"criteria.{self.key}.max", "must be ≥ min")

    @override
    def requirement(self) -> dict[str, Any]:
        return {k: v for k, v in (("min", self.min), ("max", self.max)) if v is not None}

    @override
    def score(self, value: Any) -> float:
        v = float(value)
        if self.min is not None and v < self.min:
            return max(v, 0.0) / self.min
        if self.max is not None and v > self.max:
            return self.max / v
        return 1.0

    @override
    def _show_requirement(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {_fmt(self.min)} and {_fmt(self.max)} {self.unit}"
        if self.min is not None:
            return f"at least {_fmt(self.min)} {self.unit}"
        return f"at most {_fmt(self.max)} {self.unit}"  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class Flag(Requirement):
    """A yes/no equipment the project needs: yes scores 1, no scores 0."""

    @override
    def score(self, value: Any) -> float:
        return 1.0 if value else 0.0

    @override
    def requirement(self) -> dict[str, Any]:
        return {"required": True}

    @override
    def describe(self, value: Any, score: float | None) -> str | None:
        if score is None or score >= 1.0:
            return super().describe(value, score)
        return f"{self.label}: the site has none"


@dataclass(frozen=True, kw_only=True)
class SurfaceHa(Between):
    """Site area in hectares."""

    key = "surface_ha"
    label = "Surface"
    unit = "ha"
    fact = "area_ha"
    rule = "site area (PostGIS, Lambert-93) within [min, max]; below: area/min; above: max/area"


@dataclass(frozen=True, kw_only=True)
class BuildingsM2(AtLeast):
    """Floor area of existing buildings."""

    key = "buildings_m2"
    label = "Existing buildings"
    unit = "m²"
    fact = "buildings_m2"
    rule = "built floor area (CNIG bati_surface) ≥ min; below: value/min"


@dataclass(frozen=True, kw_only=True)
class PowerMw(AtLeast):
    """Electric power available."""

    key = "power_mw"
    label = "Electric power"
    unit = "MW"
    fact = "power_mw"
    rule = "power available on site ≥ min; below: value/min"


@dataclass(frozen=True, kw_only=True)
class WaterM3Day(AtLeast):
    """Water supply."""

    key = "water_m3_day"
    label = "Water"
    unit = "m³/day"
    fact = "water_m3_day"
    rule = "water supply ≥ min; below: value/min"


@dataclass(frozen=True, kw_only=True)
class Gas(Flag):
    """Connection to the gas network."""

    key = "gas"
    label = "Gas network"
    unit = ""
    fact = "gas"
    rule = "CNIG Sites économiques reseau_gaz = oui"


@dataclass(frozen=True, kw_only=True)
class RailSiding(Flag):
    """Rail siding on site."""

    key = "rail_siding"
    label = "Rail siding"
    unit = ""
    fact = "rail_siding"
    rule = "CNIG Sites économiques reseau_fret_ferroviaire = oui"


@dataclass(frozen=True, kw_only=True)
class MotorwayKm(AtMost):
    """Road distance to a motorway interchange."""

    key = "motorway_km"
    label = "Distance to a motorway interchange"
    unit = "km"
    fact = "motorway_km"
    rule = "CNIG autoroute_echang_dist ≤ max; above: max/value"


@dataclass(frozen=True, kw_only=True)
class FreightStationKm(AtMost):
    """Distance to a freight station."""

    key = "freight_station_km"
    label = "Distance to a freight station"
    unit = "km"
    fact = "freight_station_km"
    rule = "CNIG gare_fret_dist ≤ max; above: max/value"


@dataclass(frozen=True, kw_only=True)
class PortKm(AtMost):
    """Distance to a port."""

    key = "port_km"
    label = "Distance to a port"
    unit = "km"
    fact = "port_km"
    rule = "CNIG port_dist ≤ max; above: max/value"


@dataclass(frozen=True, kw_only=True)
class MonthsToPermits(AtMost):
    """Time until permits are final."""

    key = "months_to_permits"
    label = "Months to permits"
    unit = "months"
    fact = "months_to_permits"
    rule = (
        "typical months until permits are final for the project's ICPE regime, from the "
        "site's dossier (DOMAIN.md §5) ≤ max; above: max/value"
    )


@dataclass(frozen=True, kw_only=True)
class PriceM2(AtMost):
    """Price per m² (confidential)."""

    key = "price_m2"
    label = "Price"
    unit = "€/m²"
    fact = "price_m2"
    rule = "CNIG terr_m2_prix ≤ max; above: max/value (needs an API key: prices are confidential)"


@dataclass(frozen=True, kw_only=True)
class AvailableBy(Requirement):
    """Available on or before ``date``; later: 1 − days late / 365.25, 0 after a year."""

    date: date
    key = "available_by"
    label = "Availability"
    unit = "date"
    fact = "available_from"
    rule = "available_from ≤ date; later: 1 − days late / 365.25 (0 beyond a year)"

    @override
    def requirement(self) -> dict[str, Any]:
        return {"date": self.date.isoformat()}

    @override
    def score(self, value: Any) -> float:
        late = (value - self.date).days
        if late <= 0:
            return 1.0
        return max(1.0 - late / DAYS_PER_YEAR, 0.0)

    @override
    def _show(self, value: Any) -> str:
        return f"available from {value.isoformat()}"

    @override
    def _show_requirement(self) -> str:
        return f"available by {self.date.isoformat()}"


@dataclass(frozen=True, kw_only=True)
class Kinds(Requirement):
    """The site's kind is one of ``values``."""

    values: tuple[str, ...]
    key = "kinds"
    label = "Kind of site"
    unit = ""
    fact = "kind"
    rule = "site kind (friche, turnkey, serviced_plot) among the values: 1, else 0"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.values:
            raise RequirementError("criteria.kinds.values", "give at least one kind", SITE_KINDS)
        for v in self.values:
            if v not in SITE_KINDS:
                raise RequirementError(
                    "criteria.kinds.values", f"unknown kind {v!r}", allowed=SITE_KINDS
                )

    @override
    def requirement(self) -> dict[str, Any]:
        return {"values": list(self.values)}

    @override
    def score(self, value: Any) -> float:
        return 1.0 if value in self.values else 0.0

    @override
    def _show_requirement(self) -> str:
        return "one of " + ", ".join(self.values)


@dataclass(frozen=True, kw_only=True)
class FrichePreference(Requirement):
    """Prefer land sobriety: the site's ZAN sobriety score / 100 (a friche scores 1)."""

    key = "friche_preference"
    label = "Land sobriety (ZAN)"
    unit = "0–100"
    fact = "sobriety_score"
    rule = "ZAN land-sobriety score of the site / 100 (docs/zan.md); a preference, never a must"
    preference_only = True

    @override
    def score(self, value: Any) -> float:
        return min(max(float(value), 0.0), 100.0) / 100.0

    @override
    def describe(self, value: Any, score: float | None) -> str | None:
        if score is None or score >= 1.0:
            return super().describe(value, score)
        return f"{self.label}: sobriety score {_fmt(value)} / 100"


@dataclass(frozen=True, kw_only=True)
class LabourPool(AtLeast):
    """Municipal population living within ``radius_km`` of the site ≥ ``min``."""

    radius_km: int
    key = "labour_pool"
    label = "Labour pool"
    unit = "inhabitants"
    fact = "labour_pool"
    rule = (
        "INSEE municipal population (pmun) of the communes whose centroid lies within "
        "radius_km of the site ≥ min; below: value/min"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.radius_km not in LABOUR_POOL_RADII_KM:
            raise RequirementError(
                "criteria.labour_pool.radius_km",
                f"{self.radius_km} km is not a precomputed radius",
                allowed=LABOUR_POOL_RADII_KM,
            )

    @override
    def fact_key(self) -> str:
        return f"labour_{self.radius_km}km"

    @override
    def requirement(self) -> dict[str, Any]:
        return {"min": self.min, "radius_km": self.radius_km}

    @override
    def _show_requirement(self) -> str:
        return f"at least {_fmt(self.min)} inhabitants within {self.radius_km} km"


#: Every criterion, in the order of the answer (and of the total's sum).
REGISTRY: dict[str, type[Requirement]] = {
    cls.key: cls
    for cls in (
        SurfaceHa,
        BuildingsM2,
        PowerMw,
        WaterM3Day,
        Gas,
        RailSiding,
        MotorwayKm,
        FreightStationKm,
        PortKm,
        MonthsToPermits,
        AvailableBy,
        PriceM2,
        Kinds,
        FrichePreference,
        LabourPool,
    )
}


@dataclass(frozen=True)
class Location:
    """Where the site must be: in any of the listed areas, or within ``radius_km`` of a point.

    Location is always a hard filter (an investor does not want a site elsewhere). Listed areas
    and the circle are alternatives: a site in any of them qualifies.
    """

    regions: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()
    epcis: tuple[str, ...] = ()
    territoires_industrie: tuple[str, ...] = ()
    point: tuple[float, float] | None = None  # lon, lat (WGS 84)
    radius_km: float | None = None

    def __post_init__(self) -> None:
        if (self.point is None) != (self.radius_km is None):
            raise RequirementError(
                "criteria.location.radius_km", "a point and a radius_km go together"
            )
        if self.radius_km is not None and not 0 < self.radius_km <= 1000:
            raise RequirementError("criteria.location.radius_km", "must be in ]0, 1000] km")

    @property
    def empty(self) -> bool:
        """Return True when no location was given (all of France)."""
        return not (
            self.regions
            or self.departements
            or self.epcis
            or self.territoires_industrie
            or self.point
        )


@dataclass(frozen=True)
class Requirements:
    """An investor's requirements: the ICPE regime of the project, a location, criteria."""

    criteria: tuple[Requirement, ...] = ()
    location: Location = field(default_factory=Location)
    icpe: str | None = None

    @property
    def total_weight(self) -> float:
        """Return Σ weight over the criteria."""
        w = 0.0
        for c in self.criteria:
            w = w + c.weight
        return w


def parse(criteria: Mapping[str, Mapping[str, Any]]) -> tuple[Requirement, ...]:
    """Build the typed requirements from ``{key: {parameters}}``, in registry order.

    Raises ``RequirementError`` naming the criterion or parameter at fault.
    """
    for key in criteria:
        if key not in REGISTRY:
            raise RequirementError(f"criteria.{key}", "unknown criterion", allowed=list(REGISTRY))
    out: list[Requirement] = []
    for key, cls in REGISTRY.items():
        if key not in criteria:
            continue
        params = dict(criteria[key])
        if "values" in params and params["values"] is not None:
            params["values"] = tuple(params["values"])
        try:
            out.append(cls(**params))
        except TypeError as exc:
            raise RequirementError(f"criteria.{key}", f"invalid parameters: {exc}") from None
    return tuple(out)


@dataclass(frozen=True)
class Ranked:
    """A site's evaluation against all requirements."""

    evaluations: tuple[Evaluation, ...]
    failed: tuple[Evaluation, ...]
    total: float

    @property
    def eligible(self) -> bool:
        """Return True when every ``must`` is met."""
        return not self.failed


def total(requirements: Sequence[Requirement], scores: Sequence[float | None]) -> float:
    """Return 100 × Σ weight × score / Σ weight, summed left to right (unknown counts 0).

    With no weight at all (no criteria, or all weights 0) every site scores 100.
    """
    acc = 0.0
    weight = 0.0
    for req, s in zip(requirements, scores, strict=True):
        acc = acc + req.weight * (0.0 if s is None else s)
        weight = weight + req.weight
    if weight == 0.0:
        return 100.0
    return acc / weight * 100.0


def evaluate(requirements: Sequence[Requirement], facts: Mapping[str, Any]) -> Ranked:
    """Evaluate a site's facts against the requirements."""
    evaluations = tuple(r.evaluate(facts) for r in requirements)
    failed = tuple(
        e for r, e in zip(requirements, evaluations, strict=True) if r.must and e.status != "met"
    )
    return Ranked(evaluations, failed, total(requirements, [e.score for e in evaluations]))


def rank(
    requirements: Sequence[Requirement],
    sites: Mapping[str, Mapping[str, Any]],
    *,
    include_excluded: bool = False,
) -> list[tuple[str, Ranked]]:
    """Rank sites (``site_id`` → facts): eligible first by total desc then ``site_id``.

    The brute-force reference of the SQL ranking; excluded sites follow when asked.
    """
    scored = [(sid, evaluate(requirements, f)) for sid, f in sites.items()]
    eligible = sorted(((s, r) for s, r in scored if r.eligible), key=lambda x: (-x[1].total, x[0]))
    if not include_excluded:
        return eligible
    excluded = sorted(
        ((s, r) for s, r in scored if not r.eligible), key=lambda x: (-x[1].total, x[0])
    )
    return eligible + excluded
