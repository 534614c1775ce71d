"""Queries of the site catalogue. Read paths build GeoJSON in PostGIS (STYLE.md §3.9)."""

from dataclasses import dataclass
from typing import Any

from geoalchemy2.elements import WKBElement
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.geo.crs import STORAGE_SRID
from app.models import Commune, Procedure, Site, SiteChange, SiteParcel

#: Columns never shown as properties (internal keys and the geometry columns themselves).
INTERNAL_COLUMNS = ("id", "geom", "point", "deleted_at")
#: Confidential columns, hidden from anonymous callers.
CONFIDENTIAL_COLUMNS = ("terr_m2_prix",)
#: Decimal digits of coordinates in GeoJSON output: 1e-7° ≈ 1 cm, the grid stored geometries
#: are snapped to on write, so output is lossless.
GEOJSON_DIGITS = 7
GRID = 1e-7


@dataclass(frozen=True)
class GeometryFacts:
    """What PostGIS says of a submitted geometry (already in WGS84)."""

    valid: bool
    reason: str
    bbox: tuple[float, float, float, float]
    area_m2: float | None
    geom: WKBElement
    point: WKBElement
    #: The input was invalid and was repaired with ST_MakeValid (importers only).
    repaired: bool = False
    #: The input was a Point (importers only): the site's footprint is unknown.
    is_point: bool = False


def _ewkb(geom: WKBElement) -> bytes:
    data = geom.data
    return bytes.fromhex(data) if isinstance(data, str) else bytes(data)


def commune(session: Session, insee: str) -> Commune | None:
    """Return a reference commune by INSEE code."""
    return session.get(Commune, insee)


def analyse_geometry(
    session: Session, *, geojson: str, srid: int, local_srid: int, repair: bool = False
) -> GeometryFacts | str:
    """Parse, transform to WGS84, snap to the 1 cm grid and measure a geometry in one statement.

    Returns the facts, or PostGIS's own message when it cannot even parse the input.
    """
    sql = text(
        """
        WITH src AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:g), :srid) AS g),
        w AS (SELECT CASE WHEN :srid = 4326 THEN g ELSE ST_Transform(g, 4326) END AS g FROM src),
        v AS (SELECT g, ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason FROM w),
        m AS (SELECT *, CASE WHEN GeometryType(g) = 'POINT' THEN ST_ReducePrecision(g, :grid)
                 ELSE ST_Multi(ST_ReducePrecision(CASE WHEN valid THEN g
                   WHEN :repair THEN ST_CollectionExtract(ST_MakeValid(g), 3) END, :grid))
                 END AS mg
              FROM v)
        SELECT valid, reason, ST_XMin(g) AS x0, ST_YMin(g) AS y0, ST_XMax(g) AS x1,
               ST_YMax(g) AS y1, GeometryType(g) = 'POINT' AS is_point,
               CASE WHEN GeometryType(g) <> 'POINT'
                    THEN ST_Area(ST_Transform(mg, :local_srid)) END AS area_m2,
               ST_AsEWKB(mg) AS geom,
               ST_AsEWKB(ST_ReducePrecision(ST_PointOnSurface(mg), :grid)) AS point,
               ST_IsValid(mg) AS still_valid
        FROM m
        """
    )
    params = {"g": geojson, "srid": srid, "local_srid": local_srid, "grid": GRID, "repair": repair}
    try:
        with session.begin_nested():
            row = session.execute(sql, params).one()
    except DBAPIError as exc:
        return str(exc.orig).splitlines()[0] if exc.orig else str(exc)
    bbox = (row.x0, row.y0, row.x1, row.y1)
    if not row.valid and not repair:
        return GeometryFacts(False, row.reason, bbox, 0.0, None, None)  # type: ignore[arg-type]
    if row.geom is None or not row.still_valid:
        return GeometryFacts(False, "collapses at 1 cm precision", bbox, 0.0, None, None)  # type: ignore[arg-type]
    return GeometryFacts(
        True,
        row.reason,
        bbox,
        None if row.area_m2 is None else float(row.area_m2),
        WKBElement(bytes(row.geom), srid=STORAGE_SRID, extended=True),
        WKBElement(bytes(row.point), srid=STORAGE_SRID, extended=True),
        repaired=not row.valid,
        is_point=bool(row.is_point),
    )


def distance_to_commune_m(session: Session, *, insee: str, geom: WKBElement) -> float | None:
    """Return the distance in metres (Lambert-93) from a geometry to a commune's boundary area."""
    sql = text(
        "SELECT ST_Distance(ST_Transform(c.geom, 2154), "
        "ST_Transform(ST_GeomFromEWKB(:g), 2154)) FROM commune c "
        "WHERE c.insee = :insee AND c.geom IS NOT NULL"
    )
    value = session.execute(sql, {"g": _ewkb(geom), "insee": insee}).scalar()
    return None if value is None else float(value)


def distance_to_epci_m(session: Session, *, siren: str, geom: WKBElement) -> float | None:
    """Return the largest distance in metres from a geometry's vertices to an EPCI's area."""
    sql = text(
        """
        SELECT max(ST_Distance(e2154, (d).geom)) FROM (
          SELECT ST_Transform(e.geom, 2154) AS e2154,
                 ST_DumpPoints(ST_Transform(ST_Simplify(ST_GeomFromEWKB(:g), 0.00001), 2154)) AS d
          FROM epci e WHERE e.siren = :siren AND e.geom IS NOT NULL) q
        """
    )
    value = session.execute(sql, {"g": _ewkb(geom), "siren": siren}).scalar()
    return None if value is None else float(value)


def by_site_id(session: Session, site_id: str, *, for_update: bool = False) -> Site | None:
    """Return a site (deleted or not) by its public id."""
    stmt = select(Site).where(Site.site_id == site_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def next_local_number(session: Session) -> int:
    """Return the next number of the generated local ids."""
    return int(session.execute(text("SELECT nextval('site_local_seq')")).scalar_one())


def add(session: Session, site: Site) -> Site:
    """Stage a new site and flush it."""
    session.add(site)
    session.flush()
    return site


def set_parcels(session: Session, *, site_pk: int, idus: list[str]) -> None:
    """Replace the parcel links of a site."""
    session.execute(SiteParcel.__table__.delete().where(SiteParcel.site_pk == site_pk))
    if idus:
        session.execute(
            SiteParcel.__table__.insert(), [{"site_pk": site_pk, "idu": i} for i in idus]
        )


def add_change(session: Session, change: SiteChange) -> None:
    """Stage an audit entry."""
    session.add(change)


def history(session: Session, *, site_pk: int) -> list[SiteChange]:
    """Return a site's changes, oldest first."""
    stmt = select(SiteChange).where(SiteChange.site_pk == site_pk).order_by(SiteChange.id)
    return list(session.scalars(stmt))


def procedures(session: Session, *, site_pk: int) -> list[Procedure]:
    """Return a site's dossier entries."""
    stmt = select(Procedure).where(Procedure.site_pk == site_pk)
    return list(session.scalars(stmt))


def procedure(session: Session, *, site_pk: int, code: str) -> Procedure | None:
    """Return one dossier entry."""
    return session.get(Procedure, (site_pk, code))


def parcels_union(session: Session, idus: list[str]) -> tuple[str | None, list[str], str | None]:
    """Return (GeoJSON of the union, IDUs found, commune holding most of the area)."""
    sql = text(
        """
        WITH p AS (
          SELECT idu, commune, geom FROM parcel
          WHERE (departement, idu) IN (SELECT CASE WHEN i LIKE '97%' THEN left(i, 3)
                                              ELSE left(i, 2) END, i
                                       FROM unnest(CAST(:idus AS text[])) AS i))
        SELECT (SELECT ST_AsGeoJSON(ST_Multi(ST_Union(geom)), 9) FROM p) AS geojson,
               (SELECT array_agg(idu ORDER BY idu) FROM p) AS found,
               (SELECT commune FROM p GROUP BY commune
                ORDER BY sum(ST_Area(geom::geography)) DESC, commune LIMIT 1) AS main_commune
        """
    )
    row = session.execute(sql, {"idus": idus}).one()
    return row.geojson, list(row.found or []), row.main_commune


def _visibility(
    drafts: str | bool | None, include_deleted: bool = False
) -> tuple[str, dict[str, Any]]:
    clauses = [] if include_deleted else ["s.deleted_at IS NULL"]
    params: dict[str, Any] = {}
    if drafts is True:
        pass
    elif isinstance(drafts, str):
        clauses.append("(s.published OR s.epci_siren = :own_epci)")
        params["own_epci"] = drafts
    else:
        clauses.append("s.published")
    return " AND ".join(clauses) or "TRUE", params


#: Number of polluted sites of the registers (exact positions) within 500 m of site ``s``,
#: measured in the local projected CRS: shown with a site and read by the Mutafriches criteria.
POLLUTED_500M_SQL = (
    "(SELECT count(*) FROM polluted_site p "
    "WHERE p.position_precision = 'exact' "
    "AND p.geom && ST_Expand(coalesce(s.geom, s.point), 0.0125) "
    "AND ST_DWithin(ST_Transform(p.geom, foncier_local_srid(s.departement_code)), "
    "ST_Transform(coalesce(s.geom, s.point), foncier_local_srid(s.departement_code)), 500))"
)

#: One site as a GeoJSON Feature. Properties are the row minus the columns bound as :hidden
#: (dates and numerics rendered by to_jsonb), plus the WKT point, the number of polluted
#: sites of the registers within 500 m (metres in the local projected CRS) and the derived
#: ``scores`` (ADEME mutability for industry, ZAN take, labour pool, months to permits for a
#: non-ICPE project; ``app.derived``).
FEATURE_SQL = (
    "json_build_object('type', 'Feature', 'id', s.site_id, "
    f"'geometry', ST_AsGeoJSON(coalesce(s.geom, s.point), {GEOJSON_DIGITS})::json, "
    "'properties', (to_jsonb(s.*) - CAST(:hidden AS text[])) || jsonb_build_object("
    f"'geompoint', ST_AsText(s.point, {GEOJSON_DIGITS}), "
    f"'polluted_sites_500m', {POLLUTED_500M_SQL}, "
    "'scores', (SELECT jsonb_build_object("
    "'mutability', jsonb_build_object('version', d.mutability_version, "
    "'usage', 'industrie', 'indice', d.mutability_index, 'fiabilite', d.mutability_reliability), "
    "'zan', jsonb_build_object('naf_new_m2', d.naf_new_m2, "
    "'artificialised_new_m2', d.artificialised_new_m2, 'sobriety_score', d.sobriety_score), "
    "'labour_pool', jsonb_build_object('10km', d.labour_10km, '20km', d.labour_20km, "
    "'30km', d.labour_30km, '50km', d.labour_50km), "
    "'months_to_permits', (SELECT jsonb_build_object('min', p.min_months, "
    "'typical', p.typical_months, 'max', p.max_months) FROM site_permits p "
    "WHERE p.site_pk = s.id AND p.icpe = 'none'), "
    "'computed_on', d.computed_on) FROM site_derived d WHERE d.site_pk = s.id)))"
)


def feature_page(
    session: Session,
    *,
    where: list[str],
    params: dict[str, Any],
    drafts: str | bool | None,
    hidden: tuple[str, ...],
    limit: int,
    offset: int,
) -> tuple[int, int, str]:
    """Return (numberMatched, numberReturned, JSON array text of the Features): 2 statements."""
    vis, vis_params = _visibility(drafts)
    cond = " AND ".join([vis, *where])
    all_params = {**params, **vis_params, "hidden": list(hidden), "limit": limit, "offset": offset}
    matched = session.execute(
        text(f"SELECT count(*) FROM site s WHERE {cond}"), all_params
    ).scalar_one()
    returned, features = session.execute(
        text(
            f"SELECT count(*), coalesce(json_agg({FEATURE_SQL} ORDER BY s.site_id), "
            "'[]')::text "
            f"FROM (SELECT * FROM site s WHERE {cond} ORDER BY s.site_id "
            "LIMIT :limit OFFSET :offset) s"
        ),
        all_params,
    ).one()
    return int(matched), int(returned), str(features)


def feature(session: Session, *, site_pk: int, hidden: tuple[str, ...]) -> str:
    """Return one site as GeoJSON Feature text."""
    return str(
        session.execute(
            text(f"SELECT {FEATURE_SQL}::text FROM site s WHERE s.id = :pk"),
            {"pk": site_pk, "hidden": list(hidden)},
        ).scalar_one()
    )


def geometry_geojson(session: Session, *, site_pk: int) -> dict[str, Any] | None:
    """Return a site's stored geometry as a GeoJSON dict (for the audit trail)."""
    value = session.execute(
        select(func.ST_AsGeoJSON(Site.geom, GEOJSON_DIGITS)).where(Site.id == site_pk)
    ).scalar()
    if value is None:
        return None
    import json

    return json.loads(value)  # type: ignore[no-any-return]


#: CNIG Friches v1.0.6 columns as SQL expressions, for the CSV export. Required fields are
#: always filled: a missing identification date is the date the site was registered here,
#: a missing update date the date of its last change, ``urba_zaer`` defaults to "inconnu",
#: ``site_type`` to "sans objet" (a turnkey site or plot is not a friche), ``source_nom`` to
#: "Foncier". Geometries are WKT in CRS84 order (lon lat), as Cartofriches writes them.
CNIG_EXPORT_COLUMNS: dict[str, str] = {
    "site_identif_date": "coalesce(s.site_identif_date, s.created_at::date)::text",
    "site_actu_date": "coalesce(s.site_actu_date, s.updated_at::date)::text",
    "site_type": "coalesce(s.site_type, 'sans objet')",
    "urba_zaer": "coalesce(s.urba_zaer, 'inconnu')",
    "source_nom": "coalesce(s.source_nom, 'Foncier')",
    "geompoint": f"ST_AsText(s.point, {GEOJSON_DIGITS})",
    "geomsurf": f"ST_AsText(s.geom, {GEOJSON_DIGITS})",
}


def cnig_rows(
    session: Session,
    *,
    where: list[str],
    params: dict[str, Any],
    drafts: str | bool | None,
    columns: list[str],
) -> list[tuple[Any, ...]]:
    """Return the CNIG columns of the visible sites, ordered by site_id, as text values."""
    vis, vis_params = _visibility(drafts)
    cond = " AND ".join([vis, *where])
    select = ", ".join(f"{CNIG_EXPORT_COLUMNS.get(c, f's.{c}')}::text AS {c}" for c in columns)
    return [
        tuple(r)
        for r in session.execute(
            text(f"SELECT {select} FROM site s WHERE {cond} ORDER BY s.site_id"),
            {**params, **vis_params},
        )
    ]


def feature_lines(
    session: Session,
    *,
    where: list[str],
    params: dict[str, Any],
    drafts: str | bool | None,
    hidden: tuple[str, ...],
) -> list[str]:
    """Return every visible site as one GeoJSON Feature text each, ordered by site_id."""
    vis, vis_params = _visibility(drafts)
    cond = " AND ".join([vis, *where])
    return list(
        session.execute(
            text(f"SELECT {FEATURE_SQL}::text FROM site s WHERE {cond} ORDER BY s.site_id"),
            {**params, **vis_params, "hidden": list(hidden)},
        ).scalars()
    )


def buildings(session: Session, *, site_pk: int) -> dict[str, Any]:
    """The cadastre buildings on a site, and its built footprint in m² (local projected CRS)."""
    row = session.execute(
        text(
            """
        WITH b AS (
          SELECT b.type, ST_Area(ST_Transform(ST_Intersection(b.geom, s.geom),
                                              foncier_local_srid(s.departement_code))) AS m2
          FROM site s JOIN building b
            ON b.departement = s.departement_code AND b.geom && s.geom
           AND ST_Intersects(b.geom, s.geom)
          WHERE s.id = :pk AND s.geom IS NOT NULL)
        SELECT count(*) AS buildings, coalesce(round(sum(m2)::numeric, 1), 0)::float AS m2,
               coalesce(round(sum(m2) FILTER (WHERE type = '01')::numeric, 1), 0)::float AS hard,
               coalesce(round(sum(m2) FILTER (WHERE type = '02')::numeric, 1), 0)::float AS light
        FROM b
        """
        ),
        {"pk": site_pk},
    ).one()
    return {
        "buildings": row.buildings,
        "built_footprint_m2": row.m2,
        "hard_buildings_m2": row.hard,
        "light_buildings_m2": row.light,
    }
