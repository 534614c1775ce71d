"""Queries of the friches importer, in bulk: one statement per step, not per row."""

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from geoalchemy2.elements import WKBElement
from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from app.db.copy import copy_into_temp
from app.geo.crs import STORAGE_SRID, departement_of
from app.models import ImportBatch, QuarantineRow, Site, SiteChange, SiteParcel
from app.sites.repository import GRID

#: Rows per statement when a list of keys is sent as one array parameter.
CHUNK = 10_000


@dataclass(frozen=True)
class CommuneRef:
    """What the importer needs of a reference commune."""

    insee: str
    nom: str
    epci_siren: str | None
    has_geom: bool


@dataclass(frozen=True)
class Placement:
    """Distances (m, on the sphere) from a row's geometries to its commune, as read and swapped."""

    surface: float | None
    surface_flipped: float | None
    point: float | None
    point_flipped: float | None


@dataclass(frozen=True)
class GeometryFacts:
    """A row's final geometry, as PostGIS made it (same rules as sites_repository)."""

    geom: WKBElement | None
    point: WKBElement | None
    surface_point: WKBElement | None
    area_m2: float | None
    valid: bool
    reason: str | None
    still_valid: bool
    #: Distance (m) between the given point and the surface; 0 when inside.
    point_gap_m: float | None
    #: Largest distance (m) of the geometry's vertices outside the principal's EPCI.
    outside_epci_m: float | None


def _wkb(value: Any) -> WKBElement | None:
    return None if value is None else WKBElement(bytes(value), srid=STORAGE_SRID, extended=True)


def communes(session: Session, codes: Iterable[str]) -> dict[str, CommuneRef]:
    """Return the reference communes of the given INSEE codes, in one statement."""
    rows = session.execute(
        text(
            "SELECT insee, nom, epci_siren, geom IS NOT NULL AS has_geom FROM commune "
            "WHERE insee = ANY(CAST(:codes AS text[]))"
        ),
        {"codes": sorted(set(codes))},
    )
    return {r.insee: CommuneRef(r.insee, r.nom, r.epci_siren, r.has_geom) for r in rows}


def communes_at(
    session: Session, rows: Sequence[tuple[int, str, str, str | None]]
) -> dict[int, tuple[CommuneRef, bool]]:
    """Return, per row, the commune of département ``dep`` where its geometry lies (as read,
    else with swapped axes: the boolean tells). Rows are (n, dep, EWKB hex, swapped EWKB hex).
    """
    if not rows:
        return {}
    sql = text(
        """
        WITH s AS (
          SELECT n, dep, ST_PointOnSurface(ST_Transform(ST_GeomFromEWKB(decode(g, 'hex')), 4326))
                 AS g,
                 ST_PointOnSurface(ST_GeomFromEWKB(decode(f, 'hex'))) AS f
          FROM unnest(CAST(:ns AS int[]), CAST(:deps AS text[]), CAST(:gs AS text[]),
                      CAST(:fs AS text[])) AS s(n, dep, g, f))
        SELECT DISTINCT ON (s.n) s.n, c.insee, c.nom, c.epci_siren,
               NOT ST_Intersects(c.geom, s.g) AS flipped
        FROM s JOIN commune c
          ON (ST_Intersects(c.geom, s.g) OR ST_Intersects(c.geom, s.f))
         AND left(c.insee, length(s.dep)) = s.dep
        ORDER BY s.n, ST_Intersects(c.geom, s.g) DESC, c.insee
        """
    )
    params = {
        "ns": [r[0] for r in rows],
        "deps": [r[1] for r in rows],
        "gs": [r[2] for r in rows],
        "fs": [r[3] for r in rows],
    }
    return {
        r.n: (CommuneRef(r.insee, r.nom, r.epci_siren, True), bool(r.flipped))
        for r in session.execute(sql, params)
    }


def parcel_unions(
    session: Session, wanted: dict[int, list[str]]
) -> dict[int, tuple[list[bytes], list[str]]]:
    """Return, per row number, the unions (EWKB, one per département) of its loaded parcels.

    One statement per département, so that PostgreSQL prunes the partitioned ``parcel`` table
    to one partition (an IDU lookup joined across all partitions would scan them all).
    """
    by_dep: dict[str, tuple[list[int], list[str]]] = defaultdict(lambda: ([], []))
    for n, idus in wanted.items():
        for idu in idus:
            ns, codes = by_dep[departement_of(idu)]
            ns.append(n)
            codes.append(idu)
    out: dict[int, tuple[list[bytes], list[str]]] = {}
    sql = text(
        """
        SELECT s.n, ST_AsEWKB(ST_Multi(ST_Union(p.geom))) AS g, array_agg(p.idu) AS found
        FROM unnest(CAST(:ns AS int[]), CAST(:idus AS text[])) AS s(n, idu)
        JOIN parcel p ON p.departement = :dep AND p.idu = s.idu
        GROUP BY s.n
        """
    )
    for dep, (ns, codes) in sorted(by_dep.items()):
        for r in session.execute(sql, {"ns": ns, "idus": codes, "dep": dep}):
            geoms, found = out.setdefault(r.n, ([], []))
            geoms.append(bytes(r.g))
            found.extend(r.found)
    return out


_PLACEMENT_SQL = """
WITH s AS (
  SELECT n::int AS n, insee,
         ST_GeomFromEWKB(decode(surf, 'hex')) AS sg, ST_GeomFromEWKB(decode(surf_f, 'hex')) AS sf,
         ST_GeomFromEWKB(decode(pt, 'hex')) AS pg, ST_GeomFromEWKB(decode(pt_f, 'hex')) AS pf
  FROM stage_friche_place),
w AS (
  SELECT n, insee,
         CASE WHEN ST_SRID(sg) = 4326 THEN sg ELSE ST_Transform(sg, 4326) END AS sg, sf,
         CASE WHEN ST_SRID(pg) = 4326 THEN pg ELSE ST_Transform(pg, 4326) END AS pg, pf
  FROM s)
SELECT n,
       CASE WHEN d_surface > :tol THEN ST_Distance(cg::geography, sf::geography, false)
       END AS d_surface_f,
       d_surface,
       CASE WHEN d_point > :tol THEN ST_Distance(cg::geography, pf::geography, false)
       END AS d_point_f,
       d_point
FROM (
  SELECT w.*, c.geom AS cg,
         CASE WHEN ST_Intersects(c.geom, w.sg) THEN 0
              ELSE ST_Distance(c.geom::geography, w.sg::geography, false) END AS d_surface,
         CASE WHEN ST_Intersects(c.geom, w.pg) THEN 0
              ELSE ST_Distance(c.geom::geography, w.pg::geography, false) END AS d_point
  FROM w JOIN commune c ON c.insee = w.insee AND c.geom IS NOT NULL) q
"""


def placements(
    session: Session,
    rows: Sequence[tuple[int, str, str | None, str | None, str | None, str | None]],
    *,
    tolerance_m: float,
) -> dict[int, Placement]:
    """Measure, in one statement, how far each row's geometries (as read and swapped) lie from
    its commune; rows are (n, insee, surface, surface swapped, point, point swapped) as EWKB hex.
    The swapped distance is measured only when the geometry as read is beyond ``tolerance_m``.
    """
    copy_into_temp(
        session,
        "stage_friche_place",
        ("n", "insee", "surf", "surf_f", "pt", "pt_f"),
        ((str(n), insee, s, sf, p, pf) for n, insee, s, sf, p, pf in rows),
    )
    out = {}
    for r in session.execute(text(_PLACEMENT_SQL), {"tol": tolerance_m}):
        out[r.n] = Placement(r.d_surface, r.d_surface_f, r.d_point, r.d_point_f)
    return out


_FACTS_SQL = """
WITH s AS (
  SELECT n::int AS n, lsrid::int AS lsrid,
         ST_GeomFromEWKB(decode(surf, 'hex')) AS g0, ST_GeomFromEWKB(decode(pt, 'hex')) AS p0
  FROM stage_friche_geom),
w AS (
  SELECT n, lsrid,
         CASE WHEN ST_SRID(g0) = 4326 THEN g0 ELSE ST_Transform(g0, 4326) END AS g,
         CASE WHEN ST_SRID(p0) = 4326 THEN p0 ELSE ST_Transform(p0, 4326) END AS p
  FROM s),
v AS (SELECT *, ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason FROM w),
m AS (
  SELECT *,
         ST_Multi(ST_ReducePrecision(
           CASE WHEN valid THEN g ELSE ST_CollectionExtract(ST_MakeValid(g), 3) END, :grid)) AS mg,
         ST_ReducePrecision(p, :grid) AS mp
  FROM v),
e AS (SELECT ST_Transform(geom, 2154) AS g2154 FROM epci WHERE siren = :siren AND geom IS NOT NULL)
SELECT m.n, m.valid, m.reason,
       CASE WHEN NOT ST_IsEmpty(m.mg) THEN ST_AsEWKB(m.mg) END AS geom,
       coalesce(ST_IsValid(m.mg) AND NOT ST_IsEmpty(m.mg), true) AS still_valid,
       CASE WHEN NOT ST_IsEmpty(m.mg) THEN ST_Area(ST_Transform(m.mg, m.lsrid)) END AS area_m2,
       CASE WHEN NOT ST_IsEmpty(m.mg) THEN ST_AsEWKB(ST_PointOnSurface(m.mg)) END AS surface_point,
       ST_AsEWKB(m.mp) AS point,
       ST_Distance(m.mp::geography, m.mg::geography, false) AS point_gap_m,
       CASE WHEN e.g2154 IS NOT NULL THEN
         (SELECT max(ST_Distance(e.g2154, ST_Transform((d).geom, 2154)))
            FROM ST_DumpPoints(ST_Simplify(coalesce(m.mg, m.mp), 0.00001)) AS d)
       END AS outside_epci_m
FROM m LEFT JOIN e ON true
"""


def geometry_facts(
    session: Session,
    rows: Sequence[tuple[int, int, str | None, str | None]],
    *,
    epci_siren: str | None,
) -> dict[int, GeometryFacts]:
    """Make every row's final geometry in one statement: WGS84, repaired with ST_MakeValid
    when invalid, snapped to the 1 cm grid, measured in the local projected CRS.

    Rows are (n, local SRID, surface EWKB hex, point EWKB hex). ``epci_siren`` (staff uploads)
    also measures how far each geometry reaches outside that EPCI.
    """
    copy_into_temp(
        session,
        "stage_friche_geom",
        ("n", "lsrid", "surf", "pt"),
        ((str(n), str(lsrid), s, p) for n, lsrid, s, p in rows),
    )
    out = {}
    for r in session.execute(text(_FACTS_SQL), {"grid": GRID, "siren": epci_siren}):
        out[r.n] = GeometryFacts(
            geom=_wkb(r.geom),
            point=_wkb(r.point),
            surface_point=_wkb(r.surface_point),
            area_m2=None if r.area_m2 is None else float(r.area_m2),
            valid=r.valid is not False,
            reason=r.reason,
            still_valid=bool(r.still_valid),
            point_gap_m=r.point_gap_m,
            outside_epci_m=r.outside_epci_m if epci_siren else None,
        )
    return out


def sites_by_site_id(session: Session, site_ids: Sequence[str]) -> dict[str, Site]:
    """Return the existing sites (deleted or not) of the given ids, locked for update."""
    out: dict[str, Site] = {}
    ids = sorted(set(site_ids))
    for i in range(0, len(ids), CHUNK):
        stmt = select(Site).where(Site.site_id.in_(ids[i : i + CHUNK])).with_for_update()
        out.update({s.site_id: s for s in session.scalars(stmt)})
    return out


def _copy_cell(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if isinstance(value, WKBElement):
        data = value.data
        return data if isinstance(data, str) else bytes(data).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def copy_insert(
    session: Session, table: Table, rows: list[dict[str, Any]], *, returning: str | None = None
) -> list[Any]:
    """Insert rows (all with the same keys) through COPY into a staging table, then one
    INSERT … SELECT that casts each column to its type; return the ``returning`` rows.

    Much faster than an executemany for thousands of wide rows with geometries.
    """
    if not rows:
        return []
    # Columns that no row sets keep their default (NULL): leaving them out halves the COPY.
    columns = [c for c in rows[0] if any(r[c] is not None for r in rows)]
    dialect = session.get_bind().dialect
    stage = f"stage_{table.name}"
    copy_into_temp(session, stage, columns, ([_copy_cell(r[c]) for c in columns] for r in rows))
    select_list = []
    for name in columns:
        column_type = table.columns[name].type
        if isinstance(column_type, Geometry):
            select_list.append(f"ST_GeomFromEWKB(decode({name}, 'hex'))")
        else:
            select_list.append(f"CAST({name} AS {column_type.compile(dialect=dialect)})")
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"SELECT {', '.join(select_list)} FROM {stage}"
        + (f" RETURNING {returning}" if returning else "")
    )
    result = session.execute(text(sql))
    return list(result) if returning else []


def insert_sites(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new sites in one statement; return their internal ids by site_id."""
    return {
        r.site_id: r.id for r in copy_insert(session, Site.__table__, rows, returning="id, site_id")
    }


def insert_parcel_links(session: Session, links: list[dict[str, Any]]) -> None:
    """Insert site → parcel links."""
    copy_insert(session, SiteParcel.__table__, links)


def replace_parcel_links(session: Session, *, site_pk: int, idus: list[str]) -> None:
    """Replace the parcel links of one site."""
    session.execute(SiteParcel.__table__.delete().where(SiteParcel.site_pk == site_pk))
    if idus:
        session.execute(insert(SiteParcel), [{"site_pk": site_pk, "idu": i} for i in idus])


def insert_changes(session: Session, changes: list[dict[str, Any]]) -> None:
    """Insert audit entries."""
    copy_insert(session, SiteChange.__table__, changes)


def insert_quarantine(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert quarantined rows."""
    copy_insert(session, QuarantineRow.__table__, rows)


def close_superseded(session: Session, *, batch_id: int, resolved: dict[str, str | None]) -> None:
    """Close the open quarantine rows of earlier batches for site ids this batch saw again.

    ``resolved`` maps site_id → the site written (None when the row is quarantined again: the
    new quarantine row supersedes the old one).
    """
    items = sorted(resolved.items())
    for i in range(0, len(items), CHUNK):
        chunk = items[i : i + CHUNK]
        session.execute(
            text(
                """
                UPDATE quarantine q SET resolved_at = now(), resolved_site_id = r.site
                FROM unnest(CAST(:ids AS text[]), CAST(:sites AS text[])) AS r(site_id, site)
                WHERE q.site_id = r.site_id AND q.resolved_at IS NULL AND q.batch_id <> :batch
                """
            ),
            {"ids": [k for k, _ in chunk], "sites": [v for _, v in chunk], "batch": batch_id},
        )


def add_batch(session: Session, batch: ImportBatch) -> ImportBatch:
    """Stage an import batch and flush it (to get its id)."""
    session.add(batch)
    session.flush()
    return batch


def quarantine_page(
    session: Session,
    *,
    epci_siren: str | None,
    batch_id: int | None,
    site_id: str | None,
    include_resolved: bool,
    limit: int,
    offset: int,
) -> tuple[int, list[QuarantineRow]]:
    """Return (total, page) of quarantined rows; ``epci_siren`` scopes them to one EPCI."""
    stmt = select(QuarantineRow)
    if epci_siren is not None:
        stmt = stmt.where(QuarantineRow.epci_siren == epci_siren)
    if batch_id is not None:
        stmt = stmt.where(QuarantineRow.batch_id == batch_id)
    if site_id is not None:
        stmt = stmt.where(QuarantineRow.site_id == site_id)
    if not include_resolved:
        stmt = stmt.where(QuarantineRow.resolved_at.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = session.scalars(stmt.order_by(QuarantineRow.id).limit(limit).offset(offset)).all()
    return int(total), list(page)


def quarantine_row(
    session: Session, quarantine_id: int, *, for_update: bool = False
) -> QuarantineRow | None:
    """Return one quarantined row."""
    stmt = select(QuarantineRow).where(QuarantineRow.id == quarantine_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def mark_resolved(session: Session, row: QuarantineRow, *, site_id: str) -> None:
    """Mark a quarantined row as resolved by the site it became."""
    session.execute(
        update(QuarantineRow)
        .where(QuarantineRow.id == row.id)
        .values(resolved_at=func.now(), resolved_site_id=site_id)
    )
    session.refresh(row)
