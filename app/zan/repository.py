"""Queries of the ZAN slice: staging and upserting NAF consumption, reading a territory's series.

Every statement binds its values; table and column names are code constants. Upserts only touch
rows whose values differ (``IS DISTINCT FROM``), so that importing the same file twice changes
nothing.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.db.copy import copy_into_temp
from app.models.zan import ZAN_DESTINATIONS, ZanConsumption, ZanTerritory

_DEST_COLS = [f"{d}_m2" for d in ZAN_DESTINATIONS]
STAGE_COMMUNE_COLUMNS = ("code", "nom", "epci", "epci_nom", "surface", "first_year", "last_year")
STAGE_CONSUMPTION_COLUMNS = ("code", "year", "total", *_DEST_COLS)


@dataclass
class Counts:
    """Rows inserted, updated (values changed) and deleted by one statement group."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0


def stage(
    session: Session,
    communes: Iterable[Sequence[Any]],
    consumption: Iterable[Sequence[Any]],
) -> None:
    """COPY the file's communes and yearly figures into temporary staging tables."""
    copy_into_temp(session, "stage_zan_commune", STAGE_COMMUNE_COLUMNS, communes)
    copy_into_temp(session, "stage_zan_consumption", STAGE_CONSUMPTION_COLUMNS, consumption)
    # Fresh temp tables have no statistics: without them the anti-joins below may nest-loop.
    session.execute(text("ANALYZE stage_zan_commune"))
    session.execute(text("ANALYZE stage_zan_consumption"))


def drop_newer(session: Session, *, millesime: int) -> list[str]:
    """Unstage the communes already stored from a newer millésime; return their codes."""
    codes = list(
        session.scalars(
            text(
                "DELETE FROM stage_zan_commune s USING zan_territory t "
                "WHERE t.territory_type = 'commune' AND t.code = s.code "
                "AND t.millesime > :millesime RETURNING s.code"
            ),
            {"millesime": millesime},
        )
    )
    if codes:
        session.execute(
            text("DELETE FROM stage_zan_consumption WHERE code = ANY(:codes)"), {"codes": codes}
        )
    return sorted(codes)


def epcis_of_staged_communes(session: Session) -> set[str]:
    """The EPCI of the staged communes, in the file and as stored before this import."""
    return set(
        session.scalars(
            text(
                "SELECT epci FROM stage_zan_commune WHERE epci IS NOT NULL UNION "
                "SELECT t.epci_siren FROM zan_territory t JOIN stage_zan_commune s "
                "ON t.territory_type = 'commune' AND t.code = s.code "
                "WHERE t.epci_siren IS NOT NULL"
            )
        )
    )


def unknown_communes(session: Session) -> list[str]:
    """Staged communes that the ``commune`` table (COG) does not know."""
    return list(
        session.scalars(
            text(
                "SELECT s.code FROM stage_zan_commune s "
                "WHERE NOT EXISTS (SELECT 1 FROM commune c WHERE c.insee = s.code) ORDER BY 1"
            )
        )
    )


def _upsert(session: Session, statement: str, params: dict[str, Any] | None = None) -> Counts:
    """Run an ``INSERT … ON CONFLICT … RETURNING (xmax = 0) AS inserted``; count in SQL."""
    row = session.execute(
        text(
            f"WITH up AS ({statement}) SELECT count(*) FILTER (WHERE inserted), "
            "count(*) FILTER (WHERE NOT inserted) FROM up"
        ),
        params or {},
    ).one()
    return Counts(inserted=int(row[0]), updated=int(row[1]))


_TERRITORY_UPSERT = (
    "ON CONFLICT (territory_type, code) DO UPDATE SET nom = EXCLUDED.nom, "
    "epci_siren = EXCLUDED.epci_siren, surface_m2 = EXCLUDED.surface_m2, "
    "first_year = EXCLUDED.first_year, last_year = EXCLUDED.last_year, source = EXCLUDED.source, "
    "millesime = EXCLUDED.millesime, file_sha256 = EXCLUDED.file_sha256, imported_at = now() "
    "WHERE (zan_territory.nom, zan_territory.epci_siren, zan_territory.surface_m2, "
    "zan_territory.first_year, zan_territory.last_year, zan_territory.source, "
    "zan_territory.millesime, zan_territory.file_sha256) IS DISTINCT FROM (EXCLUDED.nom, "
    "EXCLUDED.epci_siren, EXCLUDED.surface_m2, EXCLUDED.first_year, EXCLUDED.last_year, "
    "EXCLUDED.source, EXCLUDED.millesime, EXCLUDED.file_sha256) "
    "RETURNING (xmax = 0) AS inserted"
)
_CONSUMPTION_UPSERT = (
    "ON CONFLICT (territory_type, code, year) DO UPDATE SET total_m2 = EXCLUDED.total_m2, "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _DEST_COLS)
    + ", source = EXCLUDED.source, millesime = EXCLUDED.millesime "
    "WHERE (zan_consumption.total_m2, "
    + ", ".join(f"zan_consumption.{c}" for c in _DEST_COLS)
    + ", zan_consumption.source, zan_consumption.millesime) IS DISTINCT FROM (EXCLUDED.total_m2, "
    + ", ".join(f"EXCLUDED.{c}" for c in _DEST_COLS)
    + ", EXCLUDED.source, EXCLUDED.millesime) RETURNING (xmax = 0) AS inserted"
)


def upsert_communes(session: Session, *, source: str, millesime: int, sha256: str) -> Counts:
    """Upsert the staged communes into ``zan_territory``."""
    return _upsert(
        session,
        "INSERT INTO zan_territory (territory_type, code, nom, epci_siren, surface_m2, "
        "first_year, last_year, source, millesime, file_sha256) "
        "SELECT 'commune', code, nom, epci, surface::float, first_year::int, last_year::int, "
        f":source, :millesime, :sha FROM stage_zan_commune {_TERRITORY_UPSERT}",
        {"source": source, "millesime": millesime, "sha": sha256},
    )


def upsert_commune_consumption(session: Session, *, source: str, millesime: int) -> Counts:
    """Upsert the staged yearly figures; delete the staged communes' years the file lacks."""
    cols = ", ".join(_DEST_COLS)
    casts = ", ".join(f"{c}::float" for c in _DEST_COLS)
    counts = _upsert(
        session,
        f"INSERT INTO zan_consumption (territory_type, code, year, total_m2, {cols}, "
        f"source, millesime) SELECT 'commune', code, year::int, total::float, {casts}, "
        ":source, :millesime FROM stage_zan_consumption WHERE total IS NOT NULL "
        f"{_CONSUMPTION_UPSERT}",
        {"source": source, "millesime": millesime},
    )
    deleted = session.execute(
        text(
            "DELETE FROM zan_consumption c USING stage_zan_commune s "
            "WHERE c.territory_type = 'commune' AND c.code = s.code AND NOT EXISTS ("
            "SELECT 1 FROM stage_zan_consumption x WHERE x.code = c.code "
            "AND x.year::int = c.year AND x.total IS NOT NULL)"
        )
    )
    counts.deleted = deleted.rowcount or 0
    return counts


def refresh_epcis(session: Session, epcis: Sequence[str], *, sha256: str) -> Counts:
    """Recompute the EPCI rows of ``epcis`` as the sums of their stored communes, in SQL.

    A year is summed only when every member commune has a figure for it (a destination only
    when every member has it); an EPCI without any complete year, or without any commune left,
    is removed.
    """
    if not epcis:
        return Counts()
    params: dict[str, Any] = {"epcis": list(epcis), "sha": sha256}
    dest_sums = ", ".join(
        f"CASE WHEN count(c.{c}) = count(*) THEN sum(c.{c}) END AS {c}" for c in _DEST_COLS
    )
    session.execute(text("DROP TABLE IF EXISTS stage_zan_epci"))
    session.execute(
        text(
            "CREATE TEMP TABLE stage_zan_epci ON COMMIT DROP AS "
            "WITH members AS (SELECT epci_siren, count(*) AS n FROM zan_territory "
            "WHERE territory_type = 'commune' AND epci_siren = ANY(:epcis) GROUP BY epci_siren) "
            f"SELECT t.epci_siren AS code, c.year, sum(c.total_m2) AS total_m2, {dest_sums}, "
            "max(c.source) AS source, max(c.millesime) AS millesime "
            "FROM zan_consumption c JOIN zan_territory t ON t.territory_type = 'commune' "
            "AND c.territory_type = 'commune' AND t.code = c.code "
            "JOIN members m ON m.epci_siren = t.epci_siren "
            "GROUP BY t.epci_siren, c.year, m.n HAVING count(*) = m.n"
        ),
        params,
    )
    counts = _upsert(
        session,
        "INSERT INTO zan_territory (territory_type, code, nom, epci_siren, surface_m2, "
        "first_year, last_year, source, millesime, file_sha256) "
        "SELECT 'epci', y.code, coalesce(e.nom, f.epci_nom), NULL, s.surface, "
        "y.first_year, y.last_year, y.source, y.millesime, :sha "
        "FROM (SELECT code, min(year) AS first_year, max(year) AS last_year, "
        "max(source) AS source, max(millesime) AS millesime FROM stage_zan_epci "
        "GROUP BY code) y "
        "LEFT JOIN epci e ON e.siren = y.code "
        "LEFT JOIN (SELECT epci, max(epci_nom) AS epci_nom FROM stage_zan_commune "
        "GROUP BY epci) f ON f.epci = y.code "
        "LEFT JOIN (SELECT epci_siren, CASE WHEN count(surface_m2) = count(*) "
        "THEN sum(surface_m2) END AS surface FROM zan_territory "
        "WHERE territory_type = 'commune' GROUP BY epci_siren) s "
        f"ON s.epci_siren = y.code {_TERRITORY_UPSERT}",
        params,
    )
    cols = ", ".join(_DEST_COLS)
    consumption = _upsert(
        session,
        f"INSERT INTO zan_consumption (territory_type, code, year, total_m2, {cols}, "
        f"source, millesime) SELECT 'epci', code, year, total_m2, {cols}, source, "
        f"millesime FROM stage_zan_epci {_CONSUMPTION_UPSERT}",
    )
    counts.inserted += consumption.inserted
    counts.updated += consumption.updated
    stale_years = session.execute(
        text(
            "DELETE FROM zan_consumption c WHERE c.territory_type = 'epci' "
            "AND c.code = ANY(:epcis) AND NOT EXISTS (SELECT 1 FROM stage_zan_epci x "
            "WHERE x.code = c.code AND x.year = c.year)"
        ),
        params,
    )
    stale_epcis = session.execute(
        text(
            "DELETE FROM zan_territory t WHERE t.territory_type = 'epci' "
            "AND t.code = ANY(:epcis) AND NOT EXISTS (SELECT 1 FROM stage_zan_epci x "
            "WHERE x.code = t.code)"
        ),
        params,
    )
    counts.deleted = (stale_years.rowcount or 0) + (stale_epcis.rowcount or 0)
    return counts


# --- Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TerritoryRef:
    """A commune or EPCI of the reference tables, with what target resolution needs."""

    territory_type: str
    code: str
    nom: str
    epci_siren: str | None
    region_code: str | None


def commune_ref(session: Session, insee: str) -> TerritoryRef | None:
    """The commune ``insee`` (COG table) with its EPCI and région, or None."""
    row = session.execute(
        text(
            "SELECT c.insee, c.nom, c.epci_siren, d.region_code FROM commune c "
            "LEFT JOIN departement d ON d.code = c.departement_code WHERE c.insee = :code"
        ),
        {"code": insee},
    ).first()
    return TerritoryRef("commune", row[0], row[1], row[2], row[3]) if row else None


def epci_ref(session: Session, siren: str) -> TerritoryRef | None:
    """The EPCI ``siren`` with the région of most of its communes, or None."""
    row = session.execute(
        text(
            "SELECT e.siren, e.nom, (SELECT d.region_code FROM commune c "
            "JOIN departement d ON d.code = c.departement_code WHERE c.epci_siren = e.siren "
            "GROUP BY d.region_code ORDER BY count(*) DESC, d.region_code LIMIT 1) "
            "FROM epci e WHERE e.siren = :code"
        ),
        {"code": siren},
    ).first()
    return TerritoryRef("epci", row[0], row[1], None, row[2]) if row else None


def territory_refs(
    session: Session, *, communes: Sequence[str], epcis: Sequence[str]
) -> list[TerritoryRef]:
    """The refs of those communes and EPCI that have NAF-consumption data loaded."""
    rows = session.execute(
        text(
            "SELECT 'commune', c.insee, c.nom, c.epci_siren, d.region_code FROM commune c "
            "LEFT JOIN departement d ON d.code = c.departement_code "
            "JOIN zan_territory z ON z.territory_type = 'commune' AND z.code = c.insee "
            "WHERE c.insee = ANY(:communes) UNION ALL "
            "SELECT 'epci', e.siren, e.nom, NULL, (SELECT d.region_code FROM commune c "
            "JOIN departement d ON d.code = c.departement_code WHERE c.epci_siren = e.siren "
            "GROUP BY d.region_code ORDER BY count(*) DESC, d.region_code LIMIT 1) FROM epci e "
            "JOIN zan_territory z ON z.territory_type = 'epci' AND z.code = e.siren "
            "WHERE e.siren = ANY(:epcis)"
        ),
        {"communes": list(communes), "epcis": list(epcis)},
    )
    return [TerritoryRef(*row) for row in rows]


def yearly_totals(
    session: Session, refs: Sequence[TerritoryRef]
) -> dict[tuple[str, str], dict[int, float]]:
    """Yearly totals (m²) of several territories in one query, by (type, code)."""
    out: dict[tuple[str, str], dict[int, float]] = {(r.territory_type, r.code): {} for r in refs}
    if not refs:
        return out
    rows = session.execute(
        text(
            "SELECT territory_type, code, year, total_m2 FROM zan_consumption "
            "WHERE (territory_type, code) IN (SELECT * FROM unnest(CAST(:types AS text[]), "
            "CAST(:codes AS text[])))"
        ),
        {"types": [r.territory_type for r in refs], "codes": [r.code for r in refs]},
    )
    for territory_type, code, year, total in rows:
        out[(territory_type, code)][year] = total
    return out


def zan_territory(session: Session, territory_type: str, code: str) -> ZanTerritory | None:
    """The loaded NAF-consumption header of a territory, or None."""
    return session.get(ZanTerritory, (territory_type, code))


def consumption_series(session: Session, territory_type: str, code: str) -> list[ZanConsumption]:
    """The yearly NAF consumption of a territory, oldest first."""
    return list(
        session.scalars(
            select(ZanConsumption)
            .where(ZanConsumption.territory_type == territory_type, ZanConsumption.code == code)
            .order_by(ZanConsumption.year)
        )
    )


def epci_member_counts(session: Session, siren: str) -> tuple[int, int]:
    """(communes of the EPCI in the loaded NAF data, communes of the EPCI in the COG table)."""
    row = session.execute(
        text(
            "SELECT (SELECT count(*) FROM zan_territory WHERE territory_type = 'commune' "
            "AND epci_siren = :s), (SELECT count(*) FROM commune WHERE epci_siren = :s "
            "AND typecom = 'COM')"
        ),
        {"s": siren},
    ).one()
    return int(row[0]), int(row[1])
