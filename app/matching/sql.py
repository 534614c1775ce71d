"""The ranking compiled to one SQL statement: PostgreSQL filters, scores and orders the sites.

Each typed requirement of ``app.matching.criteria`` is translated to the same rule over the same
facts, with the same float8 operations in the same order, so that the totals are bit-identical to
the pure module's (``tests/matching/test_ranking_property.py`` checks it). Hard constraints go
into the ``WHERE`` clause as plain predicates, where the planner can use the indexes; the location
filters use the GiST and B-tree indexes of ``site``. Every value is a bound parameter; identifiers
come only from the whitelists below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.matching import criteria as c

#: SQL expression of every fact, read from the narrow ranking table ``site_match`` (alias m).
FACT_SQL: dict[str, str] = {
    "area_ha": "m.area_ha",
    "buildings_m2": "m.buildings_m2",
    "power_mw": "m.power_mw",
    "water_m3_day": "m.water_m3_day",
    "gas": "m.gas",
    "rail_siding": "m.rail_siding",
    "motorway_km": "m.motorway_km",
    "freight_station_km": "m.freight_station_km",
    "port_km": "m.port_km",
    "months_to_permits": "m.months_none",  # replaced per ICPE regime (fact_sql)
    "available_from": "m.available_from",
    "price_m2": "m.price_m2",
    "kind": "m.kind",
    "sobriety_score": "m.sobriety_score",
    **{f"labour_{r}km": f"m.labour_{r}km" for r in c.LABOUR_POOL_RADII_KM},
}
assert set(FACT_SQL) == set(c.FACTS), "every fact needs its SQL"

#: Column of the typical months to permits per ICPE regime (Seveso counts as autorisation,
#: as in ``permits.Project.regime``).
MONTHS_COLUMN = {
    None: "m.months_none",
    "declaration": "m.months_declaration",
    "enregistrement": "m.months_enregistrement",
    "autorisation": "m.months_autorisation",
    "seveso_low": "m.months_autorisation",
    "seveso_high": "m.months_autorisation",
}

FROM_SQL = "site_match m"
#: Sites offered to investors (published, not deleted).
LIVE_SQL = "m.live"


def fact_sql(name: str, icpe: str | None) -> str:
    """Return the SQL of a fact for a project of ICPE regime ``icpe``."""
    return MONTHS_COLUMN[icpe] if name == "months_to_permits" else FACT_SQL[name]


@dataclass
class Compiled:
    """A statement's text and its bound parameters."""

    sql: str
    params: dict[str, Any]


class _Params:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any, cast: str | None = "float8") -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"CAST(:{name} AS {cast})" if cast else f":{name}"


def _term_sql(req: c.Requirement, p: _Params, icpe: str | None) -> str:
    """Return the SQL of ``weight × score`` of a requirement (0 when the value is unknown).

    ``criteria.total`` adds ``weight × score`` with score 1.0 when met and 0.0 when unknown:
    ``w × 1.0`` is exactly ``w`` and ``w × 0.0`` adds nothing, so the branches below return
    ``w`` and ``0`` directly, sparing a multiplication and a COALESCE per row and criterion,
    and the partial branches multiply in the same order as Python (score first, then weight).
    """
    v = fact_sql(req.fact_key(), icpe)
    w = p.add(float(req.weight))
    zero = "0::float8"
    if isinstance(req, c.AtLeast):
        lo = p.add(float(req.min))
        return (
            f"CASE WHEN {v} >= {lo} THEN {w} WHEN {v} IS NULL THEN {zero} "
            f"ELSE {w} * (GREATEST({v}, 0::float8) / {lo}) END"
        )
    if isinstance(req, c.AtMost):
        hi = p.add(float(req.max))
        return (
            f"CASE WHEN {v} <= {hi} THEN {w} WHEN {v} IS NULL THEN {zero} "
            f"ELSE {w} * ({hi} / {v}) END"
        )
    if isinstance(req, c.Between):
        body = f"CASE WHEN {v} IS NULL THEN {zero} "
        if req.min is not None:
            lo = p.add(float(req.min))
            body += f"WHEN {v} < {lo} THEN {w} * (GREATEST({v}, 0::float8) / {lo}) "
        if req.max is not None:
            hi = p.add(float(req.max))
            body += f"WHEN {v} > {hi} THEN {w} * ({hi} / {v}) "
        return body + f"ELSE {w} END"
    if isinstance(req, c.Flag):
        return f"CASE WHEN {v} THEN {w} ELSE {zero} END"
    if isinstance(req, c.AvailableBy):
        d = p.add(req.date, "date")
        return (
            f"CASE WHEN {v} - {d} <= 0 THEN {w} WHEN {v} IS NULL THEN {zero} ELSE {w} * "
            f"GREATEST(1::float8 - ({v} - {d})::float8 / {c.DAYS_PER_YEAR}::float8, 0::float8) END"
        )
    if isinstance(req, c.Kinds):
        vals = p.add(list(req.values), "text[]")
        return f"CASE WHEN {v} = ANY({vals}) THEN {w} ELSE {zero} END"
    if isinstance(req, c.FrichePreference):
        return (
            f"COALESCE({w} * (LEAST(GREATEST({v}, 0::float8), 100::float8) / 100::float8), {zero})"
        )
    raise TypeError(f"no SQL for {type(req).__name__}")  # pragma: no cover - closed registry


def _met_sql(req: c.Requirement, p: _Params, icpe: str | None) -> str:
    """Return a plain predicate true exactly when the requirement is met (score = 1)."""
    v = fact_sql(req.fact_key(), icpe)
    if isinstance(req, c.AtLeast):
        return f"{v} >= {p.add(float(req.min))}"
    if isinstance(req, c.AtMost):
        return f"{v} <= {p.add(float(req.max))}"
    if isinstance(req, c.Between):
        parts = []
        if req.min is not None:
            parts.append(f"{v} >= {p.add(float(req.min))}")
        if req.max is not None:
            parts.append(f"{v} <= {p.add(float(req.max))}")
        return " AND ".join(parts)
    if isinstance(req, c.Flag):
        return f"{v} IS TRUE"
    if isinstance(req, c.AvailableBy):
        return f"{v} <= {p.add(req.date, 'date')}"
    if isinstance(req, c.Kinds):
        return f"{v} = ANY({p.add(list(req.values), 'text[]')})"
    raise TypeError(f"{type(req).__name__} cannot be a hard constraint")


def location_sql(loc: c.Location, p: _Params) -> str | None:
    """Return the location predicate (any listed area, or the circle), or None for France."""
    if loc.empty:
        return None
    parts = []
    if loc.regions:
        parts.append(
            "m.departement_code IN (SELECT code FROM departement "
            f"WHERE region_code = ANY({p.add(list(loc.regions), 'text[]')}))"
        )
    if loc.departements:
        parts.append(f"m.departement_code = ANY({p.add(list(loc.departements), 'text[]')})")
    if loc.epcis:
        parts.append(f"m.epci_siren = ANY({p.add(list(loc.epcis), 'text[]')})")
    if loc.territoires_industrie:
        ids = p.add(list(loc.territoires_industrie), "text[]")
        parts.append(
            "m.epci_siren IN (SELECT epci_siren FROM territoire_industrie_epci "
            f"WHERE territoire_id = ANY({ids}))"
        )
    if loc.point is not None and loc.radius_km is not None:
        lon, lat = p.add(loc.point[0]), p.add(loc.point[1])
        metres = p.add(loc.radius_km * 1000.0)
        # Geodesic distance on the spheroid, served by the GiST index on point::geography.
        parts.append(
            f"ST_DWithin(m.point::geography, "
            f"ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326)::geography, {metres})"
        )
    return "(" + " OR ".join(parts) + ")"


def _where(req: c.Requirements, p: _Params, *, hard: bool) -> list[str]:
    where = [LIVE_SQL]
    loc = location_sql(req.location, p)
    if loc:
        where.append(loc)
    if hard:
        where.extend(f"({_met_sql(r, p, req.icpe)})" for r in req.criteria if r.must)
    return where


def _total_sql(req: c.Requirements, p: _Params) -> str:
    """Return the SQL of the total, summed in the same order as ``criteria.total``."""
    weight = req.total_weight
    if weight == 0.0:
        return "100::float8"
    acc = "0::float8"
    for r in req.criteria:
        acc = f"({acc} + {_term_sql(r, p, req.icpe)})"
    return f"({acc} / {p.add(weight)} * 100::float8)"


def ranking(req: c.Requirements, *, limit: int, offset: int, include_excluded: bool) -> Compiled:
    """Compile the ranking: one row per site of the page with its total and eligibility.

    Columns: ``pk``, ``site_id``, ``score``, ``eligible``, ``n_eligible``, ``n_total`` (the two
    counts over the whole result, before paging). The counts need no score: they are a second,
    cheap scan; the page is a top-N sort over a scan that scores every candidate, which
    PostgreSQL can run in parallel (a window count would sort every row instead).
    """
    p = _Params()
    total = _total_sql(req, p)
    musts = [_met_sql(r, p, req.icpe) for r in req.criteria if r.must]
    eligible = " AND ".join(f"COALESCE({m}, false)" for m in musts) if musts else "true"
    where = _where(req, p, hard=not include_excluded)
    lim, off = p.add(limit, "int"), p.add(offset, "int")
    sql = (
        # The page: a top-N sort over a (parallel) scan that scores every candidate.
        f"SELECT r.pk, r.site_id, r.score, r.eligible, c.n_eligible, c.n_total FROM ("
        f"SELECT count(*) FILTER (WHERE {eligible}) AS n_eligible, count(*) AS n_total "
        f"FROM {FROM_SQL} WHERE {' AND '.join(where)}) c LEFT JOIN ("
        f"SELECT m.site_pk AS pk, m.site_id, {total} AS score, ({eligible}) AS eligible "
        f"FROM {FROM_SQL} WHERE {' AND '.join(where)} "
        f"ORDER BY eligible DESC, score DESC, site_id LIMIT {lim} OFFSET {off}) r ON true "
        "ORDER BY r.eligible DESC, r.score DESC, r.site_id"
    )
    return Compiled(sql, p.values)


def facts(req: c.Requirements, *, pks: list[int] | None = None) -> Compiled:
    """Compile a query of every fact of the sites in the requirements' location (or ``pks``).

    Columns: ``pk``, ``site_id`` and one per fact of ``FACT_SQL`` (months for the project's
    regime). The brute-force reference and the explanation of a page read the facts with it.
    """
    p = _Params()
    cols = ", ".join(f"{fact_sql(name, req.icpe)} AS {name}" for name in FACT_SQL)
    where = _where(req, p, hard=False)
    if pks is not None:
        where.append(f"m.site_pk = ANY({p.add(pks, 'bigint[]')})")
    sql = f"SELECT m.site_pk AS pk, m.site_id, {cols} FROM {FROM_SQL} WHERE {' AND '.join(where)}"
    return Compiled(sql, p.values)
