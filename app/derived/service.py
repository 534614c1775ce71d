"""Recompute the stored figures of sites (``site_derived``, ``site_permits``).

The rules are pure (``app.matching.permits``, ``app.mutability``, ``app.zan``); this service feeds
them each site's data and stores what they return, so that the ranking and the map layers read
plain columns. It runs after every write to a site or its dossier (``refresh``), after imports,
and in bulk from ``foncier derive refresh`` (with a progress bar). Sites with the same dossier
share one estimate, so 100 000 sites with a handful of distinct dossiers cost a handful of runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db.copy import copy_into_temp
from app.matching import permits
from app.models.site_derived import LABOUR_POOL_RADII_KM, PERMIT_REGIMES
from app.mutability import method as mutability
from app.progress import Progress, no_progress
from app.sites import repository as sites_repository
from app.zan import rules as zan_rules

#: Sites handled per batch in a bulk refresh (bounded memory, visible progress).
BATCH = 5000


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def all_site_pks(session: Session) -> list[int]:
    """Return the ids of every site (deleted ones too: their ranking row must say so)."""
    return list(session.scalars(text("SELECT id FROM site ORDER BY id")).all())


def refresh(
    session: Session,
    site_pks: Sequence[int] | None = None,
    *,
    today: date | None = None,
    progress: Progress = no_progress,
) -> int:
    """Recompute the derived figures of ``site_pks`` (all live sites when None); return count."""
    pks = all_site_pks(session) if site_pks is None else list(site_pks)
    if not pks:
        return 0
    day = today or date.today()
    done = 0
    for chunk in progress(list(_chunks(pks, BATCH)), "derived figures"):
        _ensure_rows(session, chunk, day)
        _labour_pool(session, chunk)
        _permits(session, chunk, day)
        _site_rules(session, chunk, day)
        _match_rows(session, chunk)
        done += len(chunk)
    return done


def count_current(session: Session) -> int:
    """Return how many live sites have figures at least as recent as their last change."""
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM site s JOIN site_derived d ON d.site_pk = s.id "
                "WHERE s.deleted_at IS NULL AND s.updated_at <= d.refreshed_at"
            )
        ).scalar_one()
    )


def refresh_site_ids(session: Session, site_ids: Sequence[str]) -> int:
    """Recompute the figures of sites given by their public ``site_id``."""
    pks = list(
        session.scalars(
            text("SELECT id FROM site WHERE site_id = ANY(:ids)"), {"ids": list(site_ids)}
        ).all()
    )
    return refresh(session, pks)


def refresh_changed(session: Session, *, progress: Progress = no_progress) -> int:
    """Recompute the sites without figures or changed since their last refresh; return count.

    Importers and the demo call it at their end, so that whatever path wrote a site, its
    figures follow in the same transaction.
    """
    pks = list(
        session.scalars(
            text(
                "SELECT s.id FROM site s LEFT JOIN site_derived d ON d.site_pk = s.id "
                "WHERE (d.site_pk IS NULL AND s.deleted_at IS NULL) "
                "OR s.updated_at > d.refreshed_at "
                "ORDER BY s.id"
            )
        ).all()
    )
    return refresh(session, pks, progress=progress) if pks else 0


def refresh_stale_permits(session: Session, *, today: date | None = None) -> int:
    """Recompute the time to permits of sites with a procedure in progress computed before today.

    An in-progress procedure shortens the wait as days pass (``permits.estimate`` nets the
    elapsed time off): the ranking calls this first, which costs nothing on most days.
    """
    day = today or date.today()
    pks = list(
        session.scalars(
            text(
                "SELECT DISTINCT pr.site_pk FROM procedure pr JOIN site_permits sp "
                "ON sp.site_pk = pr.site_pk AND sp.icpe = 'none' "
                "WHERE pr.status = 'in_progress' AND pr.started_on IS NOT NULL "
                "AND sp.computed_on < :day"
            ),
            {"day": day},
        ).all()
    )
    for chunk in _chunks(pks, BATCH):
        _permits(session, chunk, day)
        _match_rows(session, chunk)
    return len(pks)


def _ensure_rows(session: Session, pks: Sequence[int], day: date) -> None:
    session.execute(
        text(
            "INSERT INTO site_derived (site_pk, computed_on) "
            "SELECT unnest(CAST(:pks AS bigint[])), :day "
            "ON CONFLICT (site_pk) DO UPDATE SET computed_on = EXCLUDED.computed_on, "
            "refreshed_at = clock_timestamp()"
        ),
        {"pks": list(pks), "day": day},
    )


#: Overseas départements: no Lambert-93 there, distances on the sphere instead.
_OVERSEAS = "('971', '972', '973', '974', '976')"


#: From this many sites on, the commune points are staged in a compact temporary table first.
_STAGE_COMMUNES_FROM = 200
_COMMUNE_POINTS = (
    "SELECT pmun, ST_X(centroid_l93) AS x, ST_Y(centroid_l93) AS y, centroid_l93 AS g "
    f"FROM commune WHERE typecom = 'COM' AND pmun IS NOT NULL "
    f"AND departement_code NOT IN {_OVERSEAS}"
)


def _labour_pool(session: Session, pks: Sequence[int]) -> None:
    """Sum the municipal population of communes whose centroid is within each radius.

    Distances are measured in Lambert-93 (EPSG:2154, the legal projected CRS) in mainland
    France and Corsica, and on the sphere (PostGIS geography) overseas, where there is no single
    projected CRS; a site counts the communes of its own side only. Communes only (typecom
    COM): Paris's arrondissements would count its people twice. With no commune population
    loaded the pool stays unknown (NULL).

    Mainland: the GiST index finds the communes in the widest radius's square; plain float
    arithmetic on their Lambert-93 coordinates then sorts them into the radii (one lateral
    aggregate per site: ~0.4 ms per site instead of 2 ms with a PostGIS call per pair).
    """
    if not session.execute(
        text("SELECT EXISTS (SELECT 1 FROM commune WHERE pmun IS NOT NULL)")
    ).scalar():
        return
    widest = max(LABOUR_POOL_RADII_KM) * 1000.0
    points = f"({_COMMUNE_POINTS})"
    if len(pks) >= _STAGE_COMMUNES_FROM:
        session.execute(text("DROP TABLE IF EXISTS labour_commune"))
        session.execute(
            text(
                f"CREATE TEMP TABLE labour_commune ON COMMIT DROP AS {_COMMUNE_POINTS} "
                "ORDER BY ST_GeoHash(ST_Transform(centroid_l93, 4326))"
            )
        )
        session.execute(text("CREATE INDEX ON labour_commune USING gist (g)"))
        session.execute(text("ANALYZE labour_commune"))
        points = "labour_commune"
    sums = ", ".join(
        f"COALESCE(sum(c.pmun) FILTER (WHERE (c.x - s.x) ^ 2 + (c.y - s.y) ^ 2 "
        f"<= {float(r * 1000) ** 2!r}), 0) AS labour_{r}km"
        for r in LABOUR_POOL_RADII_KM
    )
    sums_sphere = ", ".join(
        f"COALESCE(sum(c.pmun) FILTER (WHERE ST_DWithin(c.centroid, s.g, {r * 1000.0}, false)), "
        f"0) AS labour_{r}km"
        for r in LABOUR_POOL_RADII_KM
    )
    sets = ", ".join(f"labour_{r}km = x.labour_{r}km" for r in LABOUR_POOL_RADII_KM)
    mainland = (
        "SELECT s.id, l.* FROM (SELECT id, g, ST_X(g) AS x, ST_Y(g) AS y FROM ("
        "SELECT id, ST_Transform(point, 2154) AS g FROM site "
        f"WHERE id = ANY(:pks) AND departement_code NOT IN {_OVERSEAS} OFFSET 0) t) s, "
        f"LATERAL (SELECT {sums} FROM {points} c WHERE c.g && ST_Expand(s.g, {widest})) l"
    )
    overseas = (
        f"SELECT s.id, l.* FROM (SELECT id, point::geography AS g FROM site "
        f"WHERE id = ANY(:pks) AND departement_code IN {_OVERSEAS}) s, "
        f"LATERAL (SELECT {sums_sphere} FROM commune c WHERE c.typecom = 'COM' "
        f"AND c.pmun IS NOT NULL AND c.departement_code IN {_OVERSEAS} "
        f"AND ST_DWithin(c.centroid, s.g, {widest}, false)) l"
    )
    session.execute(
        text(
            f"UPDATE site_derived d SET {sets} FROM ({mainland} UNION ALL {overseas}) x "
            "WHERE d.site_pk = x.id"
        ),
        {"pks": list(pks)},
    )


#: A site's dossier: (procedure code, status, started on), sorted by code. Equal tuples are
#: equal dossiers, so estimates can be shared between sites.
Dossier = tuple[tuple[str, str, date | None], ...]


def dossiers(session: Session, pks: Sequence[int]) -> dict[int, Dossier]:
    """Return the dossier of each site of ``pks`` that has one."""
    rows = session.execute(
        text(
            "SELECT site_pk, code, status, started_on FROM procedure "
            "WHERE site_pk = ANY(:pks) ORDER BY site_pk, code"
        ),
        {"pks": list(pks)},
    ).all()
    found: dict[int, list[tuple[str, str, date | None]]] = defaultdict(list)
    for pk, code, status, started in rows:
        found[pk].append((code, status, started))
    return {pk: tuple(entries) for pk, entries in found.items()}


def dossier_entries(dossier: Dossier) -> dict[str, permits.DossierEntry]:
    """Return a dossier as the time-to-permits estimator reads it."""
    return {code: permits.DossierEntry(status, started) for code, status, started in dossier}


def _permits(session: Session, pks: Sequence[int], day: date) -> None:
    """Estimate the months to permits for every ICPE regime from each site's dossier."""
    found = dossiers(session, pks)
    cache: dict[tuple[Any, ...], list[tuple[str, float, float, float]]] = {}
    out: list[tuple[Any, ...]] = []
    for pk in pks:
        key = found.get(pk, ())
        if key not in cache:
            dossier = dossier_entries(key)
            cache[key] = []
            for regime in PERMIT_REGIMES:
                est = permits.estimate(
                    dossier,
                    permits.Project(icpe=None if regime == "none" else regime),
                    today=day,
                )
                cache[key].append((regime, est.months.min, est.months.typical, est.months.max))
        out.extend((pk, *row, day) for row in cache[key])
    session.execute(text("DELETE FROM site_permits WHERE site_pk = ANY(:pks)"), {"pks": list(pks)})
    copy_into_temp(
        session,
        "permits_in",
        ("site_pk", "icpe", "min_months", "typical_months", "max_months", "computed_on"),
        ((pk, regime, repr(lo), repr(mid), repr(hi), d) for pk, regime, lo, mid, hi, d in out),
    )
    session.execute(
        text(
            "INSERT INTO site_permits (site_pk, icpe, min_months, typical_months, max_months, "
            "computed_on) SELECT site_pk::bigint, icpe, min_months::float8, "
            "typical_months::float8, max_months::float8, computed_on::date FROM permits_in"
        )
    )


#: Site columns and PostGIS extras the per-site rules read (Mutafriches ``criteria_from_site``).
_SITE_FACTS_SQL = text(
    f"""
    SELECT to_jsonb(s.*) - 'geom' - 'point' AS site,
      CASE WHEN s.geom IS NULL
             OR NOT EXISTS (SELECT 1 FROM building b0 WHERE b0.commune = s.comm_insee) THEN NULL
           ELSE (SELECT coalesce(sum(ST_Area(ST_Transform(ST_Intersection(b.geom, s.geom),
                                 foncier_local_srid(s.departement_code)))), 0)
                 FROM building b WHERE b.departement = s.departement_code
                  AND b.geom && s.geom AND ST_Intersects(b.geom, s.geom)) END
        AS built_footprint_m2,
      {sites_repository.POLLUTED_500M_SQL} AS polluted_sites_500m
    FROM site s WHERE s.id = ANY(:pks) ORDER BY s.id
    """
)


def _site_rules(session: Session, pks: Sequence[int], day: date) -> None:
    """ADEME mutability index (latest version) and ZAN land take of each site (pure rules)."""
    rows = session.execute(_SITE_FACTS_SQL, {"pks": list(pks)}).all()
    out = []
    for site, built, polluted in rows:
        facts = {**site, "built_footprint_m2": built, "polluted_sites_500m": polluted}
        result = mutability.evaluate(
            mutability.LATEST_VERSION, mutability.criteria_from_site(facts)
        )
        index, reliability = mutability.industry(result)
        take = zan_rules.site_land_take(zan_rules.site_facts(SimpleNamespace(**site)))
        out.append(
            (
                site["id"],
                result.version,
                _num(index),
                _num(reliability),
                orjson.dumps(result.to_dict()).decode(),
                _num(take.naf_new_m2),
                _num(take.artificialised_new_m2),
                _num(take.sobriety_score),
                orjson.dumps(asdict(take)).decode(),
            )
        )
    columns = (
        "site_pk",
        "mutability_version",
        "mutability_index",
        "mutability_reliability",
        "mutability",
        "naf_new_m2",
        "artificialised_new_m2",
        "sobriety_score",
        "zan",
    )
    copy_into_temp(session, "rules_in", columns, out)
    session.execute(
        text(
            "UPDATE site_derived d SET mutability_version = r.mutability_version, "
            "mutability_index = r.mutability_index::float8, "
            "mutability_reliability = r.mutability_reliability::float8, "
            "mutability = r.mutability::jsonb, naf_new_m2 = r.naf_new_m2::float8, "
            "artificialised_new_m2 = r.artificialised_new_m2::float8, "
            "sobriety_score = r.sobriety_score::float8, zan = r.zan::jsonb "
            "FROM rules_in r WHERE d.site_pk = r.site_pk::bigint"
        )
    )


def _num(value: float | None) -> str | None:
    """Return a float as exact text for COPY (``repr`` round-trips), None as NULL."""
    return None if value is None else repr(float(value))


#: One row of ``site_match`` per site: its facts for the ranking (``app.matching.sql``). The area
#: is the PostGIS area of the footprint, or the declared cadastral area of the land unit (CNIG
#: ``unite_fonciere_surface``) for a site known by its point only.
_MATCH_SQL = text(
    """
    INSERT INTO site_match (site_pk, site_id, live, kind, departement_code, epci_siren, point,
      area_ha, buildings_m2, power_mw, water_m3_day, gas, rail_siding, motorway_km,
      freight_station_km, port_km, available_from, price_m2, sobriety_score,
      labour_10km, labour_20km, labour_30km, labour_50km,
      months_none, months_declaration, months_enregistrement, months_autorisation)
    SELECT s.id, s.site_id, s.published AND s.deleted_at IS NULL, s.kind, s.departement_code,
      s.epci_siren, s.point,
      COALESCE(s.area_m2, s.unite_fonciere_surface::float8) / 10000::float8,
      s.bati_surface::float8, s.power_mw, s.water_m3_day,
      CASE s.reseau_gaz WHEN 'oui' THEN true WHEN 'non' THEN false END,
      CASE s.reseau_fret_ferroviaire WHEN 'oui' THEN true WHEN 'non' THEN false END,
      s.autoroute_echang_dist, s.gare_fret_dist, s.port_dist, s.available_from,
      s.terr_m2_prix::float8, d.sobriety_score,
      d.labour_10km, d.labour_20km, d.labour_30km, d.labour_50km,
      p.months_none, p.months_declaration, p.months_enregistrement, p.months_autorisation
    FROM site s LEFT JOIN site_derived d ON d.site_pk = s.id
    LEFT JOIN (
      SELECT site_pk,
        max(typical_months) FILTER (WHERE icpe = 'none') AS months_none,
        max(typical_months) FILTER (WHERE icpe = 'declaration') AS months_declaration,
        max(typical_months) FILTER (WHERE icpe = 'enregistrement') AS months_enregistrement,
        max(typical_months) FILTER (WHERE icpe = 'autorisation') AS months_autorisation
      FROM site_permits WHERE site_pk = ANY(:pks) GROUP BY site_pk) p ON p.site_pk = s.id
    WHERE s.id = ANY(:pks)
    """
)


def rebuild_match_rows(session: Session, site_pks: Sequence[int] | None = None) -> None:
    """Rewrite the ranking rows of ``site_pks`` (all sites when None) from stored figures."""
    pks = all_site_pks(session) if site_pks is None else list(site_pks)
    for chunk in _chunks(pks, BATCH):
        _match_rows(session, chunk)


def _match_rows(session: Session, pks: Sequence[int]) -> None:
    """Rewrite the ranking rows of ``pks`` from the sites and their derived figures."""
    session.execute(text("DELETE FROM site_match WHERE site_pk = ANY(:pks)"), {"pks": list(pks)})
    session.execute(_MATCH_SQL, {"pks": list(pks)})
