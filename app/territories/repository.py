"""Upserts of the reference territories from their staging tables (see service.py)."""

from sqlalchemy import text
from sqlalchemy.orm import Session

#: Make any GeoJSON polygonal input a valid MultiPolygon.
_MULTI = "ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_GeomFromGeoJSON({g})), 3))"


def _count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def upsert_regions(session: Session) -> int:
    """Upsert régions from stage_region."""
    session.execute(
        text(
            f"INSERT INTO region (code, nom, geom) SELECT code, nom, {_MULTI.format(g='g')} "
            "FROM stage_region ON CONFLICT (code) DO UPDATE SET nom = EXCLUDED.nom, "
            "geom = EXCLUDED.geom"
        )
    )
    return _count(session, "region")


def upsert_departements(session: Session) -> int:
    """Upsert départements from stage_departement."""
    session.execute(
        text(
            "INSERT INTO departement (code, nom, region_code, geom) "
            f"SELECT code, nom, region, {_MULTI.format(g='g')} FROM stage_departement "
            "ON CONFLICT (code) DO UPDATE SET nom = EXCLUDED.nom, "
            "region_code = EXCLUDED.region_code, geom = EXCLUDED.geom"
        )
    )
    return _count(session, "departement")


def upsert_epcis(session: Session) -> int:
    """Upsert EPCI from stage_epci (geometry may be missing)."""
    session.execute(
        text(
            "INSERT INTO epci (siren, nom, nature_juridique, geom) "
            f"SELECT siren, nom, nature, CASE WHEN g IS NULL THEN NULL ELSE {_MULTI.format(g='g')} "
            "END FROM stage_epci ON CONFLICT (siren) DO UPDATE SET nom = EXCLUDED.nom, "
            "nature_juridique = coalesce(EXCLUDED.nature_juridique, epci.nature_juridique), "
            "geom = coalesce(EXCLUDED.geom, epci.geom)"
        )
    )
    return _count(session, "epci")


def upsert_communes(session: Session) -> int:
    """Upsert communes from stage_commune (geometry may be missing overseas)."""
    session.execute(
        text(
            "INSERT INTO commune (insee, nom, departement_code, typecom, parent_insee, epci_siren, "
            "pmun, geom) SELECT insee, nom, dep, typecom, parent, epci, pmun::int, "
            f"CASE WHEN g IS NULL THEN NULL ELSE {_MULTI.format(g='g')} END FROM stage_commune "
            "ON CONFLICT (insee) DO UPDATE SET nom = EXCLUDED.nom, "
            "departement_code = EXCLUDED.departement_code, typecom = EXCLUDED.typecom, "
            "parent_insee = EXCLUDED.parent_insee, epci_siren = EXCLUDED.epci_siren, "
            "pmun = EXCLUDED.pmun, geom = coalesce(EXCLUDED.geom, commune.geom)"
        )
    )
    return _count(session, "commune")


def fill_missing_epci_links(session: Session) -> None:
    """Close the gaps between the 2024 polygons and the 2025 membership table, in space."""
    # EPCI without a polygon in the source: the union of their member communes.
    session.execute(
        text(
            "UPDATE epci e SET geom = u.geom FROM (SELECT epci_siren, "
            "ST_Multi(ST_Union(geom)) AS geom FROM commune WHERE geom IS NOT NULL "
            "GROUP BY epci_siren) u "
            "WHERE e.geom IS NULL AND u.epci_siren = e.siren"
        )
    )
    # Communes of 2024 absent from the 2025 table (merged, recoded): the EPCI containing them.
    session.execute(
        text(
            "UPDATE commune c SET epci_siren = (SELECT e.siren FROM epci e "
            "WHERE ST_Contains(e.geom, ST_PointOnSurface(c.geom)) LIMIT 1) "
            "WHERE c.epci_siren IS NULL AND c.geom IS NOT NULL"
        )
    )


def upsert_ti(session: Session) -> tuple[int, int]:
    """Upsert Territoires d'industrie and replace their EPCI membership."""
    session.execute(
        text(
            "INSERT INTO territoire_industrie (id, nom, geom) "
            f"SELECT id, nom, {_MULTI.format(g='g')} FROM stage_ti "
            "ON CONFLICT (id) DO UPDATE SET nom = EXCLUDED.nom, geom = EXCLUDED.geom"
        )
    )
    session.execute(text("DELETE FROM territoire_industrie_epci"))
    session.execute(
        text(
            "INSERT INTO territoire_industrie_epci (territoire_id, epci_siren) "
            "SELECT DISTINCT ti, siren FROM stage_ti_epci"
        )
    )
    return _count(session, "territoire_industrie"), _count(session, "territoire_industrie_epci")
