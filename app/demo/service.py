"""``foncier demo load``: real data for a demo, loaded idempotently.

- the reference territories of metropolitan France (app.territories);
- the 164 friches of the Ardennes observatory (DDT 08), polygons from friches.geojson and
  attributes from data.csv (data/friches/obs-friches-ardennes/SOURCES.md), published;
- the 2 594 Cartofriches sites in CNIG columns (published; rows the importer cannot place are
  quarantined with their reasons, see ``foncier import friches``);
- the BASOL and ADEME polluted-site registers;
- the Etalab cadastre parcels of data/cadastre/etalab (so that sites can be drawn from parcels).
- the NAF consumption 2009–2023 of the 58 communes of the Métropole de Lyon (ZAN, data/zan).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.service import Principal
from app.derived import service as derived_service
from app.errors import AppError
from app.imports import service as friches_service
from app.parcels import service as parcels_service
from app.pollution import service as pollution_service
from app.progress import Progress, no_progress
from app.sites import repository as sites_repository
from app.sites import service as sites_service
from app.sites.schemas import SiteCreate, SiteProperties
from app.territories import service as territories_service
from app.territories.service import TerritoryCounts
from app.territories.sources import csv_rows, features
from app.zan import service as zan_service

LOADER = Principal(role="admin", label="foncier demo load")
ARDENNES = Path("friches") / "obs-friches-ardennes"
#: The 2 594 Cartofriches sites exported in CNIG columns (data/friches/cartofriches/SOURCES.md).
CARTOFRICHES_CNIG = Path("friches") / "cartofriches" / "friches_standard_test.csv.gz"
#: Publication date of the observatory's files (commit of 2025-12-15, see SOURCES.md).
ARDENNES_ACTU = date(2025, 12, 15)
#: Cerema NAF consumption of the 58 communes of the Métropole de Lyon (data/zan/SOURCES.md).
ZAN_LYON = Path("zan") / "derived_conso_communes_wide_cerema_columns.csv.gz"
ARDENNES_SOURCE = {
    "source_nom": "Observatoire des friches des Ardennes",
    "source_producteur": "DDT des Ardennes",
    "source_url": "https://github.com/friche08/obs_friches",
}


@dataclass
class DemoReport:
    """What the demo load did."""

    territories: TerritoryCounts | None = None
    sites_imported: int = 0
    sites_kept: int = 0
    sites_unchanged: int = 0
    parcels: dict[str, Any] = field(default_factory=dict)
    polluted_sites: int = 0
    cartofriches: dict[str, int] = field(default_factory=dict)
    #: Report of the Lyon NAF-consumption import (``foncier import zan-consumption``).
    zan_consumption: dict[str, Any] = field(default_factory=dict)
    #: Sites whose derived figures (permits, labour pool, scores) were computed.
    derived: int = 0
    #: Sites with their derived figures after the load (imports compute them as they go).
    derived_total: int = 0
    errors: list[str] = field(default_factory=list)


def ardennes_properties(row: dict[str, str]) -> dict[str, Any]:
    """Map one row of the observatory's data.csv to site properties (CNIG names)."""

    def value(name: str) -> str | None:
        text = (row.get(name) or "").strip()
        return text or None

    # The observatory separates some owner categories with spaces ("P3a P5a"): CNIG wants "|".
    proprio_type = value("proprio_type(catpro3)")
    props: dict[str, Any] = {
        "kind": "friche",
        "published": True,
        "site_actu_date": ARDENNES_ACTU,
        **ARDENNES_SOURCE,
        "proprio_type": "|".join(proprio_type.split()) if proprio_type else None,
    }
    for name in (
        "site_nom",
        "site_type",
        "site_adresse",
        "site_statut",
        "comm_nom",
        "comm_insee",
        "proprio_personne",
        "proprio_nom",
        "sol_pollution_existe",
        "unite_fonciere_refcad",
    ):
        props[name] = value(name)
    for name in ("bati_surface", "unite_fonciere_surface"):
        props[name] = int(float(v)) if (v := value(name)) else None
    return props


def _ardennes_features(data_dir: Path) -> Iterable[tuple[str, dict[str, Any], dict[str, Any]]]:
    geometries = {
        f["properties"]["site_id"]: f["geometry"]
        for f in features(data_dir / ARDENNES / "friches.geojson.gz")
    }
    for row in csv_rows(data_dir / ARDENNES / "data.csv.gz"):
        site_id = row["site_id"].strip()
        if site_id in geometries:
            yield site_id, ardennes_properties(row), geometries[site_id]


def upsert_site(
    session: Session, site_id: str, props: dict[str, Any], geometry: dict[str, Any]
) -> str:
    """Create the site unless it exists; return "imported", "unchanged" or "kept".

    An existing site that differs from the file was edited here since it was loaded (or deleted):
    the demo loader never overwrites what users did, it reports the site as "kept".
    """
    model = SiteProperties.model_validate(props)
    existing = sites_repository.by_site_id(session, site_id)
    if existing is None:
        sites_service.create_site(
            session,
            LOADER,
            SiteCreate(type="Feature", id=site_id, geometry=geometry, properties=model),
            repair=True,
        )
        return "imported"
    same = not sites_service.changed_properties(existing, model)
    return "unchanged" if same and existing.deleted_at is None else "kept"


def load_demo(
    session: Session,
    *,
    data_dir: Path,
    progress: Progress = no_progress,
    with_territories: bool = True,
) -> DemoReport:
    """Load the demo data; safe to run again (nothing changes the second time)."""
    report = DemoReport()
    if with_territories:
        report.territories = territories_service.load_territories(
            session, data_dir=data_dir, progress=progress
        )
    for site_id, props, geometry in progress(
        list(_ardennes_features(data_dir)), "Ardennes friches"
    ):
        try:
            with session.begin_nested():
                outcome = upsert_site(session, site_id, props, geometry)
        except (ValidationError, AppError) as exc:
            report.errors.append(f"{site_id}: {exc}")
            continue
        setattr(report, f"sites_{outcome}", getattr(report, f"sites_{outcome}") + 1)
    report.polluted_sites = pollution_service.load_registers(session, data_dir=data_dir).loaded
    cadastre = parcels_service.import_cadastre(session, [data_dir / "cadastre" / "etalab"])
    report.parcels = {k: v for k, v in cadastre.as_dict().items() if k != "errors"}
    cartofriches = data_dir / CARTOFRICHES_CNIG
    friches = friches_service.import_friches(
        session, friches_service.importer(cartofriches.name), cartofriches, progress=progress
    )
    report.cartofriches = {
        k: getattr(friches, k) for k in ("rows", "imported", "updated", "unchanged", "quarantined")
    }
    report.zan_consumption = zan_service.import_consumption(session, data_dir / ZAN_LYON).as_dict()
    report.derived = derived_service.refresh_changed(session, progress=progress)
    report.derived_total = derived_service.count_current(session)
    return report
