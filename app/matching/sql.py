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

#: SQL expression of every fact (aliases: s = site, d = site_derived, p = site_permits).
FACT_SQL: dict[str, str] = {
    "area_ha": "(s.area_m2 / 10000::float8)",
    "buildings_m2": "s.bati_surface::float8",
    "power_mw": "s.power_mw",
    "water_m3_day": "s.water_m3_day",
    "gas": "(CASE s.reseau_gaz WHEN 'oui' THEN true WHEN 'non' THEN false END)",
    "rail_siding": (
        "(CASE s.reseau_fret_ferroviaire WHEN 'oui' THEN true WHEN 'non' THEN false END)"
    ),
    "motorway_km": "s.autoroute_echang_dist",
    "freight_station_km": "s.gare_fret_dist",
    "port_km": "s.port_dist",
    "months_to_permits": "p.typical_months",
    "available_from": "s.available_from",
    "price_m2": "s.terr_m2_prix::float8",
    "kind": "s.kind",
    "sobriety_score": "d.sobriety_score",
    **{f"labour_{r}km": f"d.labour_{r}km::float8" for r in c.LABOUR_POOL_RADII_KM},
}
assert set(FACT_SQL) == set(c.FACTS), "every fact needs its SQL"

#: The tables every ranking reads; the permits row is the one of the project's ICPE regime.
FROM_SQL = (
    "site s LEFT JOIN site_derived d ON d.site_pk = s.id "
    "LEFT JOIN site_permits p ON p.site_pk = s.id AND p.icpe = :icpe"
)
#: Sites offered to investors.
LIVE_SQL = "s.published AND s.deleted_at IS NULL"


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


def _score_sql(req: c.Requirement, p: _Params) -> str:
    """Return the SQL of a requirement's score: NULL for unknown, else in [0, 1]."""
    v = FACT_SQL[req.fact_key()]
    if isinstance(req, c.AtLeast):
        lo = p.add(float(req.min))
        body = f"WHEN {v} >= {lo} THEN 1::float8 ELSE GREATEST({v}, 0::float8) / {lo}"
    elif isinstance(req, c.AtMost):
        hi = p.add(float(req.max))
        body = f"WHEN {v} <= {hi} THEN 1::float8 ELSE {hi} / {v}"
    elif isinstance(req, c.Between):
        body = ""
        if req.min is not None:
            lo = p.add(float(req.min))
            body += f"WHEN {v} < {lo} THEN GREATEST({v}, 0::float8) / {lo} "
        if req.max is not None:
            hi = p.add(float(req.max))
            body += f"WHEN {v} > {hi} THEN {hi} / {v} "
        body += "ELSE 1::float8"
    elif isinstance(req, c.Flag):
        body = f"WHEN {v} THEN 1::float8 ELSE 0::float8"
    elif isinstance(req, c.AvailableBy):
        d = p.add(req.date, "date")
        body = (
            f"WHEN {v} - {d} <= 0 THEN 1::float8 ELSE "
            f"GREATEST(1::float8 - ({v} - {d})::float8 / {c.DAYS_PER_YEAR}::float8, 0::float8)"
        )
    elif isinstance(req, c.Kinds):
        vals = p.add(list(req.values), "text[]")
        body = f"WHEN {v} = ANY({vals}) THEN 1::float8 ELSE 0::float8"
    elif isinstance(req, c.FrichePreference):
        body = f"ELSE LEAST(GREATEST({v}, 0::float8), 100::float8) / 100::float8"
    else:  # pragma: no cover - the registry is closed
        raise TypeError(f"no SQL for {type(req).__name__}")
    return f"(CASE WHEN {v} IS NULL THEN NULL::float8 {body} END)"


def _met_sql(req: c.Requirement, p: _Params) -> str:
    """Return a plain predicate true exactly when the requirement is met (score = 1)."""
    v = FACT_SQL[req.fact_key()]
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
            "s.departement_code IN (SELECT code FROM departement "
            f"WHERE region_code = ANY({p.add(list(loc.regions), 'text[]')}))"
        )
    if loc.departements:
        parts.append(f"s.departement_code = ANY({p.add(list(loc.departements), 'text[]')})")
    if loc.epcis:
        parts.append(f"s.epci_siren = ANY({p.add(list(loc.epcis), 'text[]')})")
    if loc.territoires_industrie:
        ids = p.add(list(loc.territoires_industrie), "text[]")
        parts.append(
            "s.epci_siren IN (SELECT epci_siren FROM territoire_industrie_epci "
            f"WHERE territoire_id = ANY({ids}))"
        )
    if loc.point is not None and loc.radius_km is not None:
        lon, lat = p.add(loc.point[0]), p.add(loc.point[1])
        metres = p.add(loc.radius_km * 1000.0)
        # Geodesic distance on the spheroid, served by the GiST index on point::geography.
        parts.append(
            f"ST_DWithin(s.point::geography, "
            f"ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326)::geography, {metres})"
        )
    return "(" + " OR ".join(parts) + ")"


def _where(req: c.Requirements, p: _Params, *, hard: bool) -> list[str]:
    where = [LIVE_SQL]
    loc = location_sql(req.location, p)
    if loc:
        where.append(loc)
    if hard:
        where.extend(f"({_met_sql(r, p)})" for r in req.criteria if r.must)
    return where


def _total_sql(req: c.Requirements, scores: list[str], p: _Params) -> str:
    """Return the SQL of the total, summed in the same order as ``criteria.total``."""
    weight = req.total_weight
    if weight == 0.0:
        return "100::float8"
    acc = "0::float8"
    for r, s in zip(req.criteria, scores, strict=True):
        acc = f"({acc} + {p.add(float(r.weight))} * COALESCE({s}, 0::float8))"
    return f"({acc} / {p.add(weight)} * 100::float8)"


def ranking(req: c.Requirements, *, limit: int, offset: int, include_excluded: bool) -> Compiled:
    """Compile the ranking: one row per site of the page with its total and eligibility.

    Columns: ``pk``, ``site_id``, ``score``, ``eligible``, ``n_eligible``, ``n_total`` (the two
    counts over the whole result, before paging).
    """
    p = _Params()
    icpe = p.add(req.icpe or "none", None)
    scores = [_score_sql(r, p) for r in req.criteria]
    total = _total_sql(req, scores, p)
    musts = [_met_sql(r, p) for r in req.criteria if r.must]
    eligible = " AND ".join(f"COALESCE({m}, false)" for m in musts) if musts else "true"
    where = _where(req, p, hard=not include_excluded)
    lim, off = p.add(limit, "int"), p.add(offset, "int")
    sql = (
        f"WITH ranked AS (SELECT s.id AS pk, s.site_id, {total} AS score, "
        f"({eligible}) AS eligible FROM {FROM_SQL.replace(':icpe', icpe)} "
        f"WHERE {' AND '.join(where)}) "
        "SELECT pk, site_id, score, eligible, "
        "count(*) FILTER (WHERE eligible) OVER () AS n_eligible, count(*) OVER () AS n_total "
        "FROM ranked "
        'ORDER BY eligible DESC, score DESC, site_id COLLATE "C" '
        f"LIMIT {lim} OFFSET {off}"
    )
    return Compiled(sql, p.values)


def facts(req: c.Requirements, *, pks: list[int] | None = None) -> Compiled:
    """Compile a query of every fact of the sites in the requirements' location (or ``pks``).

    Columns: ``pk``, ``site_id`` and one per fact of ``FACT_SQL``. The brute-force reference
    and the explanation of a page read the facts with it.
    """
    p = _Params()
    icpe = p.add(req.icpe or "none", None)
    cols = ", ".join(f"{expr} AS {name}" for name, expr in FACT_SQL.items())
    where = _where(req, p, hard=False)
    if pks is not None:
        where.append(f"s.id = ANY({p.add(pks, 'bigint[]')})")
    sql = (
        f"SELECT s.id AS pk, s.site_id, {cols} FROM {FROM_SQL.replace(':icpe', icpe)} "
        f"WHERE {' AND '.join(where)}"
    )
    return Compiled(sql, p.values)
