"""Queries of the polluted-site registers."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def upsert_staged(session: Session) -> list[tuple[str, str]]:
    """Upsert stage_polluted into polluted_site; return the (register, id) rows left out.

    A position is trusted when it lies in (or within 0.1° of) a département of the reference;
    otherwise, or without coordinates, the record is placed on its commune's point on surface
    and flagged ``position_precision = 'commune'``; when its commune has no polygon either, it
    is left out (returned, for the caller to report).
    """
    session.execute(
        text(
            """
        CREATE TEMP TABLE stage_polluted_pos ON COMMIT DROP AS
        WITH pos AS (
          SELECT s.*, ST_Transform(ST_SetSRID(ST_MakePoint(x::float, y::float), srid::int),
                                   4326) AS pt
          FROM stage_polluted s WHERE x IS NOT NULL
          UNION ALL SELECT s.*, NULL FROM stage_polluted s WHERE x IS NULL),
        checked AS (
          SELECT pos.*, pt IS NOT NULL AND EXISTS (
                   SELECT 1 FROM departement d WHERE ST_DWithin(d.geom, pt, 0.1)) AS trusted,
                 (SELECT ST_PointOnSurface(c.geom) FROM commune c
                  WHERE c.insee = pos.insee AND c.geom IS NOT NULL) AS on_commune
          FROM pos)
        SELECT *, CASE WHEN trusted THEN 'exact' ELSE 'commune' END AS precision,
               CASE WHEN trusted THEN pt ELSE on_commune END AS geom
        FROM checked
        """
        )
    )
    session.execute(
        text(
            """
        INSERT INTO polluted_site AS p (register, register_id, nom, comm_insee, commune_nom,
                                        statut, surface_m2, url, properties,
                                        position_precision, geom)
        SELECT register, register_id, nom, insee, commune, statut, surface::float, url,
               props::jsonb, precision, geom
        FROM stage_polluted_pos WHERE geom IS NOT NULL
        ON CONFLICT (register, register_id) DO UPDATE SET nom = EXCLUDED.nom,
          comm_insee = EXCLUDED.comm_insee, commune_nom = EXCLUDED.commune_nom,
          statut = EXCLUDED.statut, surface_m2 = EXCLUDED.surface_m2, url = EXCLUDED.url,
          properties = EXCLUDED.properties, position_precision = EXCLUDED.position_precision,
          geom = EXCLUDED.geom
        """
        )
    )
    left_out = session.execute(
        text(
            "SELECT register, register_id FROM stage_polluted_pos WHERE geom IS NULL "
            "ORDER BY register, register_id"
        )
    )
    return [(r[0], r[1]) for r in left_out]


def near_site(session: Session, *, site_pk: int, radius_m: float) -> list[dict[str, Any]]:
    """Polluted sites within ``radius_m`` of a site, nearest first (metres, local CRS)."""
    rows = session.execute(
        text(
            """
        SELECT p.register, p.register_id, p.nom, p.comm_insee, p.statut, p.url,
               round(ST_Distance(ST_Transform(p.geom, foncier_local_srid(s.departement_code)),
                                 ST_Transform(coalesce(s.geom, s.point),
                                              foncier_local_srid(s.departement_code)))::numeric,
                     1)::float AS distance_m,
               ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat
        FROM site s JOIN polluted_site p
          ON p.geom && ST_Expand(coalesce(s.geom, s.point), :deg)
         AND ST_DWithin(ST_Transform(p.geom, foncier_local_srid(s.departement_code)),
                        ST_Transform(coalesce(s.geom, s.point),
                                     foncier_local_srid(s.departement_code)), :radius)
        WHERE s.id = :pk AND p.position_precision = 'exact'
        ORDER BY distance_m, p.register, p.register_id
        """
        ),
        {"pk": site_pk, "radius": radius_m, "deg": radius_m / 40_000},
    )
    return [dict(r._mapping) for r in rows]
