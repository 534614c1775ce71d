"""Upsert of cadastre parcels from a staging table, and parcel reads (GeoJSON from PostGIS)."""

from sqlalchemy import text
from sqlalchemy.orm import Session

_UPSERT = text(
    """
    WITH src AS (
      SELECT idu, left(idu, CASE WHEN idu LIKE '97%' THEN 3 ELSE 2 END) AS departement,
             commune, prefixe, section, numero, nullif(contenance, '')::int AS contenance,
             nullif(arpente, '')::boolean AS arpente, nullif(created, '')::date AS created,
             nullif(updated, '')::date AS updated, ST_SetSRID(ST_GeomFromGeoJSON(g), 4326) AS raw
      FROM stage_parcel),
    fixed AS (
      SELECT *, NOT ST_IsValid(raw) AS repaired,
             EXISTS (SELECT 1 FROM parcel p WHERE p.departement = src.departement
                     AND p.idu = src.idu) AS existed,
             ST_Multi(CASE WHEN ST_IsValid(raw) THEN raw
                           ELSE ST_CollectionExtract(ST_MakeValid(raw), 3) END) AS geom
      FROM src),
    up AS (
      INSERT INTO parcel AS p (departement, idu, commune, prefixe, section, numero, contenance,
                               arpente, source_created, source_updated, geom_repaired, geom)
      SELECT departement, idu, commune, prefixe, section, numero, contenance, arpente, created,
             updated, repaired, geom FROM fixed
      ON CONFLICT (departement, idu) DO UPDATE SET
        commune = EXCLUDED.commune, prefixe = EXCLUDED.prefixe, section = EXCLUDED.section,
        numero = EXCLUDED.numero, contenance = EXCLUDED.contenance, arpente = EXCLUDED.arpente,
        source_created = EXCLUDED.source_created, source_updated = EXCLUDED.source_updated,
        geom_repaired = EXCLUDED.geom_repaired, geom = EXCLUDED.geom, imported_at = now()
      WHERE (p.contenance, p.arpente, p.source_updated, p.section, p.numero)
            IS DISTINCT FROM (EXCLUDED.contenance, EXCLUDED.arpente, EXCLUDED.source_updated,
                              EXCLUDED.section, EXCLUDED.numero)
         OR NOT ST_Equals(p.geom, EXCLUDED.geom)
      RETURNING p.departement, p.idu, p.geom_repaired)
    -- xmax cannot be read from a partitioned table: the snapshot tells new from existing rows.
    SELECT count(*) FILTER (WHERE NOT f.existed) AS imported,
           count(*) FILTER (WHERE f.existed) AS updated,
           count(*) FILTER (WHERE up.geom_repaired) AS repaired
    FROM up JOIN fixed f USING (departement, idu)
    """
)


def upsert_staged(session: Session) -> tuple[int, int, int]:
    """Upsert stage_parcel into parcel; return (imported, updated, repaired)."""
    row = session.execute(_UPSERT).one()
    return int(row.imported), int(row.updated), int(row.repaired)
