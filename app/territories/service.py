"""Load the reference territories (régions, départements, EPCI, communes, Territoires
d'industrie) from data/ into PostGIS. Idempotent: every load is an upsert.

Sources and their quirks are in data/admin/SOURCES.md and data/territoires-industrie/SOURCES.md:
EPCI appear once per département they touch (kept once, by SIREN); five EPCI have no polygon
(their polygon is the union of their communes); some COG 2024 communes are missing from the 2025
membership table (merged or recoded: their EPCI is the one containing them).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.db.copy import copy_into_temp
from app.geo.crs import departement_of
from app.progress import Progress, no_progress
from app.territories import repository
from app.territories.sources import csv_rows, features, strip_com


@dataclass
class TerritoryCounts:
    """How many rows of each kind are now loaded."""

    regions: int = 0
    departements: int = 0
    epcis: int = 0
    communes: int = 0
    territoires_industrie: int = 0
    territoire_industrie_epcis: int = 0


def _geojson(feature: dict[str, Any]) -> str:
    import json

    return json.dumps(feature["geometry"], separators=(",", ":"))


def load_territories(
    session: Session, *, data_dir: Path, progress: Progress = no_progress
) -> TerritoryCounts:
    """Upsert every reference territory from ``data_dir``; return the row counts."""
    admin = data_dir / "admin"
    counts = TerritoryCounts()

    copy_into_temp(
        session,
        "stage_region",
        ("code", "nom", "g"),
        (
            (f["properties"]["insee_reg"], f["properties"]["lib_reg"], _geojson(f))
            for f in features(admin / "departements-regions" / "reg_geom_4326.geojson.gz")
        ),
    )
    counts.regions = repository.upsert_regions(session)

    copy_into_temp(
        session,
        "stage_departement",
        ("code", "nom", "region", "g"),
        (
            (p["insee_dep"], p["lib_dep"], p["insee_reg"], _geojson(f))
            for f in features(admin / "departements-regions" / "dep_geom_4326.geojson.gz")
            for p in [f["properties"]]
        ),
    )
    counts.departements = repository.upsert_departements(session)

    membership = list(csv_rows(admin / "cog" / "derived_commune_epci_2025.csv.gz"))
    epci_rows: dict[str, list[str | None]] = {}
    for row in membership:
        epci_rows.setdefault(
            row["epci_siren"],
            [row["epci_siren"], row["epci_nom"], row["epci_nature_juridique"], None],
        )
    for path in progress(sorted((admin / "epci-2024").glob("dep*.geojson.gz")), "EPCI"):
        for f in features(path):
            siren = strip_com(f["properties"]["code_territoire"])
            entry = epci_rows.setdefault(
                siren, [siren, f["properties"]["libelle_territoire"], None, None]
            )
            if entry[3] is None:  # the same EPCI appears in each département it touches
                entry[3] = _geojson(f)
    copy_into_temp(session, "stage_epci", ("siren", "nom", "nature", "g"), epci_rows.values())
    counts.epcis = repository.upsert_epcis(session)

    by_insee = {r["code_insee"]: r for r in membership}
    seen: set[str] = set()

    def commune_rows() -> Iterable[tuple[str | None, ...]]:
        for path in progress(
            sorted((admin / "communes-cog2024").glob("dep*.geojson.gz")), "communes"
        ):
            for f in features(path):
                insee = strip_com(f["properties"]["code_territoire"])
                seen.add(insee)
                m = by_insee.get(insee, {})
                yield (
                    insee,
                    f["properties"]["libelle_territoire"],
                    departement_of(insee),
                    "COM",
                    None,
                    m.get("epci_siren"),
                    m.get("pmun_commune"),
                    _geojson(f),
                )
        paris = by_insee.get("75056", {})
        for f in features(admin / "paris-arrondissements" / "arrondissements.geojson.gz"):
            insee = str(f["properties"]["c_arinsee"])
            seen.add(insee)
            yield (
                insee,
                f["properties"]["l_aroff"] or f["properties"]["l_ar"],
                "75",
                "ARM",
                "75056",
                paris.get("epci_siren"),
                None,
                _geojson(f),
            )
        for insee, m in by_insee.items():  # members without a polygon (overseas, new codes)
            if insee not in seen:
                yield (
                    insee,
                    m["nom_commune"],
                    departement_of(insee),
                    "COM",
                    None,
                    m["epci_siren"],
                    m["pmun_commune"],
                    None,
                )

    copy_into_temp(
        session,
        "stage_commune",
        ("insee", "nom", "dep", "typecom", "parent", "epci", "pmun", "g"),
        commune_rows(),
    )
    counts.communes = repository.upsert_communes(session)
    repository.fill_missing_epci_links(session)

    ti = data_dir / "territoires-industrie"
    copy_into_temp(
        session,
        "stage_ti",
        ("id", "nom", "g"),
        (
            (f["properties"]["id_territoire"], f["properties"]["lib_territoire"], _geojson(f))
            for f in features(ti / "ti_geom.geojson.gz")
        ),
    )
    copy_into_temp(
        session,
        "stage_ti_epci",
        ("ti", "siren"),
        ((r["id_territoire"], r["epci_siren"]) for r in csv_rows(ti / "derived_ti_epci.csv.gz")),
    )
    counts.territoires_industrie, counts.territoire_industrie_epcis = repository.upsert_ti(session)
    return counts
