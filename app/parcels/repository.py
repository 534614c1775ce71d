"""Parcel and building storage: staged comparison, set-based upserts, GeoJSON reads."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

#: Département of an IDU or INSEE code, in SQL (overseas codes have 3 digits).
_DEP = "left({c}, CASE WHEN {c} LIKE '97%' THEN 3 ELSE 2 END)"


def changed_ids(session: Session) -> list[str]:
    """Return the staged ids whose content differs from what is stored (or that are new)."""
    rows = session.execute(
        text(
            "SELECT s.idu FROM stage_hash s LEFT JOIN parcel p "
            "ON p.departement = s.departement AND p.idu = s.idu "
            "WHERE p.source_hash IS DISTINCT FROM s.hash::uuid"
        )
    )
    return [r[0] for r in rows]


def delete_gone(session: Session) -> int:
    """Delete stored parcels of the staged communes that the file no longer lists."""
    result = session.execute(
        text(
            "DELETE FROM parcel p USING (SELECT DISTINCT departement, commune FROM stage_hash) c "
            "WHERE p.departement = c.departement AND p.commune = c.commune "
            "AND NOT EXISTS (SELECT 1 FROM stage_hash s WHERE s.departement = p.departement "
            "AND s.idu = p.idu)"
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_UPSERT = """
    WITH src AS (
      SELECT s.idu, s.departement, s.commune, s.prefixe, s.section, s.numero,
             nullif(s.contenance, '')::int AS contenance, nullif(s.arpente, '')::boolean AS arpente,
             nullif(s.created, '')::date AS created, nullif(s.updated, '')::date AS updated,
             s.hash::uuid AS hash, {parse} AS raw
      FROM stage_parcel s),
    fixed AS (
      SELECT src.*, NOT ST_IsValid(raw) AS repaired,
             ST_Multi(CASE WHEN ST_IsValid(raw) THEN raw
                           ELSE ST_CollectionExtract(ST_MakeValid(raw), 3) END) AS geom
      FROM src WHERE GeometryType(raw) IN ('POLYGON', 'MULTIPOLYGON')),
    up AS (
      INSERT INTO parcel AS p (departement, idu, commune, prefixe, section, numero, contenance,
                               arpente, source_created, source_updated, source_hash,
                               geom_repaired, geom)
      SELECT departement, idu, commune, prefixe, section, numero, contenance, arpente, created,
             updated, hash, repaired, geom FROM fixed WHERE NOT ST_IsEmpty(geom)
      ON CONFLICT (departement, idu) DO UPDATE SET
        commune = EXCLUDED.commune, prefixe = EXCLUDED.prefixe, section = EXCLUDED.section,
        numero = EXCLUDED.numero, contenance = EXCLUDED.contenance, arpente = EXCLUDED.arpente,
        source_created = EXCLUDED.source_created, source_updated = EXCLUDED.source_updated,
        source_hash = EXCLUDED.source_hash, geom_repaired = EXCLUDED.geom_repaired,
        geom = EXCLUDED.geom, imported_at = now()
      RETURNING p.idu, p.geom_repaired)
    SELECT idu, geom_repaired FROM up
"""


def count_existing_staged(session: Session) -> int:
    """Count staged parcels that already exist (they will be updated, not imported)."""
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM stage_parcel s JOIN parcel p "
                "ON p.departement = s.departement AND p.idu = s.idu"
            )
        ).scalar_one()
    )


def upsert_staged(session: Session) -> list[tuple[str, bool]]:
    """Upsert stage_parcel into parcel; return (idu, repaired) of every row written.

    Rows whose geometry is unreadable or not polygonal are not written (the caller reports
    them). The fast statement parses GeoJSON directly; if one row makes PostGIS raise, the
    statement is retried with a parser that turns such a row into NULL instead.
    """
    try:
        with session.begin_nested():
            rows = session.execute(
                text(_UPSERT.format(parse="ST_SetSRID(ST_GeomFromGeoJSON(s.g), 4326)"))
            ).all()
    except DBAPIError:
        rows = session.execute(text(_UPSERT.format(parse="foncier_try_geojson(s.g)"))).all()
    return [(r[0], bool(r[1])) for r in rows]


def replace_buildings(session: Session) -> tuple[int, int]:
    """Replace the buildings of the staged communes whose content changed.

    Returns (unchanged rows, inserted rows). A commune is unchanged when the sorted hashes of
    its staged features equal those it has stored.
    """
    unchanged = session.execute(
        text(
            "DELETE FROM stage_building s USING ("
            " SELECT n.commune FROM (SELECT commune, array_agg(hash::uuid ORDER BY hash::uuid) AS h"
            "   FROM stage_building GROUP BY commune) n"
            " JOIN (SELECT commune, array_agg(source_hash ORDER BY source_hash) AS h"
            "   FROM building WHERE commune IN (SELECT commune FROM stage_building)"
            "   GROUP BY commune) o USING (commune) WHERE o.h = n.h) same "
            "WHERE s.commune = same.commune"
        )
    ).rowcount
    session.execute(
        text(
            "DELETE FROM building b USING "
            "(SELECT DISTINCT departement, commune FROM stage_building) c "
            "WHERE b.departement = c.departement AND b.commune = c.commune"
        )
    )
    inserted = session.execute(
        text(
            "INSERT INTO building (departement, commune, type, nom, source_updated, source_hash, "
            "geom) SELECT departement, commune, nullif(type, ''), nullif(nom, ''), "
            "nullif(updated, '')::date, hash::uuid, ST_Multi(ST_CollectionExtract(ST_MakeValid("
            "foncier_try_geojson(g)), 3)) FROM stage_building "
            "WHERE GeometryType(foncier_try_geojson(g)) IN ('POLYGON', 'MULTIPOLYGON')"
        )
    ).rowcount
    return int(unchanged or 0), int(inserted or 0)


def parcel_feature_page(
    session: Session, *, where: list[str], params: dict[str, Any], limit: int, offset: int
) -> tuple[int, int, str]:
    """Return (numberMatched, numberReturned, Features JSON text) of parcels."""
    cond = " AND ".join(where) or "TRUE"
    all_params = {**params, "limit": limit, "offset": offset}
    matched = session.execute(
        text(f"SELECT count(*) FROM parcel p WHERE {cond}"), all_params
    ).scalar_one()
    returned, features = session.execute(
        text(
            f"SELECT count(*), coalesce(json_agg({_PARCEL_FEATURE} ORDER BY p.idu), '[]')::text "
            f"FROM (SELECT * FROM parcel p WHERE {cond} ORDER BY p.idu LIMIT :limit OFFSET :offset)"
            " p"
        ),
        all_params,
    ).one()
    return int(matched), int(returned), str(features)


_PARCEL_FEATURE = (
    "json_build_object('type', 'Feature', 'id', p.idu, 'geometry', ST_AsGeoJSON(p.geom, 7)::json,"
    " 'properties', json_build_object('idu', p.idu, 'commune', p.commune, 'prefixe', p.prefixe,"
    " 'section', p.section, 'numero', p.numero, 'contenance', p.contenance, 'arpente', p.arpente,"
    " 'source_updated', p.source_updated, 'geom_repaired', p.geom_repaired,"
    " 'area_m2', round(ST_Area(ST_Transform(p.geom, CASE WHEN p.departement LIKE '97%' THEN"
    " (CASE p.departement WHEN '973' THEN 2972 WHEN '974' THEN 2975 WHEN '976' THEN 4471"
    " ELSE 5490 END) ELSE 2154 END))::numeric, 1)))"
)


def parcel_feature(session: Session, idu: str) -> str | None:
    """Return one parcel as GeoJSON Feature text (partition-pruned by département)."""
    value = session.execute(
        text(
            f"SELECT {_PARCEL_FEATURE}::text FROM parcel p "
            f"WHERE p.departement = {_DEP.format(c=':idu')} AND p.idu = :idu"
        ),
        {"idu": idu},
    ).scalar()
    return None if value is None else str(value)
