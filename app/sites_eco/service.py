"""``foncier import sites-eco FILE...``: CNIG Sites économiques v2024-10 (DOMAIN.md §3).

Input: the standard's GeoPackage (layers ``site_eco`` and ``terrain_eco``, EPSG:2154) or its CSV
tables (``;`` or ``,``, geometries as GeoJSON in ``site_geomsurf`` / ``terr_geomsurf``; their CRS
is not stated, so coordinates above 180 are read as Lambert-93 and say so in a warning).

Each TERRAIN-ECO plot becomes a site (id = ``terr_id``): ``terr_cle_en_main = oui`` → kind
``turnkey``, else ``serviced_plot``; the zone it belongs to (SITE-ECO, by ``site_id``) gives its
commune, its networks (``reseau_*``), access distances and qualification. A zone listed without
any plot becomes one ``serviced_plot`` site (id = the zone's ``site_id``). A row that fails
validation is quarantined with its reasons; nothing else of the file is lost.
"""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.service import Principal
from app.derived import service as derived_service
from app.errors import AppError, FieldError
from app.models import ImportBatch, QuarantineRow
from app.sites import repository as sites_repository
from app.sites import service as sites_service
from app.sites.schemas import SiteCreate, SitePatch, SiteProperties
from app.territories.sources import open_text

#: SITE-ECO columns copied to each of its plots (CNIG names; the two that collide with CNIG
#: Friches names are renamed ``eco_*``).
ZONE_FIELDS = (
    "site_vocadomi",
    "site_etat",
    "site_surf_brute",
    "site_surf_utile",
    "site_quali_territoire",
    "site_voca_industrielle",
    "reseau_eau_potable",
    "reseau_assainissement",
    "reseau_gaz",
    "reseau_electrique",
    "reseau_fibre_optique",
    "reseau_fret_ferroviaire",
    "reseau_fluvial",
    "autoroute_nom",
    "autoroute_echang_dist",
    "gare_fret_nom",
    "gare_fret_dist",
    "port_nom",
    "port_dist",
    "aeroport_nom",
    "aeroport_dist",
)
PLOT_FIELDS = (
    "terr_id",
    "terr_maitrise_fonc",
    "terr_stade_amngt",
    "terr_stade_comm",
    "terr_etat_occup",
    "terr_usage",
    "terr_cle_en_main",
    "terr_m2_prix",
)


@dataclass
class Row:
    """One SITE-ECO or TERRAIN-ECO record with its geometry (GeoJSON dict) and its CRS."""

    table: str
    number: int
    values: dict[str, Any]
    geometry: dict[str, Any] | None
    srid: int
    warnings: list[dict[str, str]] = field(default_factory=list)


@dataclass
class SitesEcoReport:
    """What the import did: ``rows`` (plots, and zones without plots) = imported + updated +
    unchanged + quarantined."""

    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    turnkey: int = 0
    #: SITE-ECO zones read; a zone with plots is not a site of its own but their context.
    zones: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-able data."""
        return asdict(self)


def _blank(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str) and value.strip() in ("", "NA", "N/A"):
        return None
    return value


def _srid_of(geometry: dict[str, Any] | None) -> int:
    def first(c: Any) -> Any:
        return first(c[0]) if isinstance(c, list) and c and isinstance(c[0], list) else c

    pos = first((geometry or {}).get("coordinates") or [])
    return 2154 if pos and abs(float(pos[0])) > 180 else 4326


def _read_gpkg(path: Path) -> list[Row]:
    import pyogrio
    import shapely

    rows: list[Row] = []
    for layer, table in (("site_eco", "SITE-ECO"), ("terrain_eco", "TERRAIN-ECO")):
        if layer not in {name for name, _ in pyogrio.list_layers(path)}:
            continue
        frame = pyogrio.read_dataframe(path, layer=layer)
        srid = frame.crs.to_epsg() if frame.crs is not None else 2154
        for n, record in enumerate(frame.to_dict("records"), start=1):
            geom = record.pop("geometry", None)
            rows.append(
                Row(
                    table,
                    n,
                    {k: _blank(v) for k, v in record.items()},
                    None if geom is None else json.loads(shapely.to_geojson(geom)),
                    srid or 2154,
                )
            )
    return rows


def _read_csv(path: Path) -> list[Row]:
    with open_text(path) as fh:
        text = fh.read()
    header = text.splitlines()[0] if text else ""
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    rows: list[Row] = []
    for n, record in enumerate(csv.DictReader(io.StringIO(text), delimiter=delimiter), start=1):
        table = "TERRAIN-ECO" if "terr_id" in record else "SITE-ECO"
        geom_col = "terr_geomsurf" if table == "TERRAIN-ECO" else "site_geomsurf"
        raw = _blank(record.pop(geom_col, None))
        values = {k: _blank(v) for k, v in record.items()}
        try:
            geometry = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            geometry, values["_geometry_error"] = None, f"{geom_col} is not GeoJSON"
        row = Row(table, n, values, geometry, _srid_of(geometry))
        if geometry and row.srid == 2154:
            row.warnings.append(
                {
                    "field": geom_col,
                    "reason": "no CRS in a CSV: coordinates "
                    "read as Lambert-93 (EPSG:2154) by their magnitude",
                }
            )
        rows.append(row)
    return rows


def read_rows(paths: Iterable[Path]) -> list[Row]:
    """Read SITE-ECO and TERRAIN-ECO records from GeoPackages and CSV tables."""
    rows: list[Row] = []
    for path in paths:
        rows.extend(_read_gpkg(path) if path.suffix.lower() == ".gpkg" else _read_csv(path))
    return rows


def _oui_non(value: Any) -> str | None:
    text = str(value).strip().lower() if value is not None else ""
    return {"oui": "oui", "non": "non", "true": "oui", "false": "non", "1": "oui", "0": "non"}.get(
        text
    )


def _properties(zone: dict[str, Any], plot: dict[str, Any] | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "published": True,
        "eco_site_id": zone.get("site_id"),
        "eco_site_type": zone.get("site_type"),
        "comm_insee": zone.get("site_comm_insee"),
        "comm_nom": zone.get("site_comm_nom"),
        "source_producteur": zone.get("source_producteur"),
        "source_nom": "CNIG Sites économiques",
        "urba_zaer": "inconnu",
    }
    for name in ZONE_FIELDS:
        value = zone.get(name)
        props[name] = _oui_non(value) if name.startswith(("reseau_", "site_voca")) else value
    if plot is None:
        props.update(
            kind="serviced_plot",
            site_nom=zone.get("site_nom"),
            site_identif_date=zone.get("site_identif_date"),
            site_actu_date=zone.get("site_actu_date"),
        )
        return props
    for name in PLOT_FIELDS:
        props[name] = plot.get(name)
    props["terr_cle_en_main"] = _oui_non(plot.get("terr_cle_en_main"))
    props.update(
        kind="turnkey" if props["terr_cle_en_main"] == "oui" else "serviced_plot",
        site_nom=f"{zone.get('site_nom') or 'Site économique'} — {plot.get('terr_id')}",
        site_identif_date=plot.get("terr_identif_date"),
        site_actu_date=plot.get("terr_actu_date"),
        unite_fonciere_refcad=plot.get("terr_refcad"),
    )
    return {k: v for k, v in props.items() if v is not None}


def _geometry_with_crs(row: Row) -> tuple[dict[str, Any], dict[str, Any] | None]:
    crs = None if row.srid == 4326 else {"type": "name", "properties": {"name": f"EPSG:{row.srid}"}}
    return row.geometry or {}, crs


def _upsert(
    session: Session, principal: Principal, site_id: str, props: dict[str, Any], row: Row
) -> str:
    model = SiteProperties.model_validate(props)
    geometry, crs = _geometry_with_crs(row)
    existing = sites_repository.by_site_id(session, site_id)
    if existing is None:
        site = sites_service.create_site(
            session,
            principal,
            SiteCreate(type="Feature", id=site_id, geometry=geometry, properties=model, crs=crs),
            repair=True,
        )
        if row.warnings:
            site.warnings = [*(site.warnings or []), *row.warnings]
        return "imported"
    changed = sites_service.changed_properties(existing, model)
    if not changed and existing.deleted_at is None:
        return "unchanged"
    existing.deleted_at = None
    sites_service.patch_site(
        session,
        principal,
        site_id,
        SitePatch(properties=SiteProperties.model_validate(changed)),
        if_match=sites_service.etag(existing),
    )
    return "updated"


def _errors_of(exc: Exception) -> list[dict[str, str]]:
    if isinstance(exc, ValidationError):
        return [
            {"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()
        ]
    if isinstance(exc, AppError):
        return [{"field": e.field, "reason": e.reason} for e in exc.errors] or [
            {"field": "row", "reason": exc.message}
        ]
    raise exc


def import_sites_eco(
    session: Session,
    paths: Iterable[Path],
    *,
    principal: Principal | None = None,
    batch: ImportBatch | None = None,
) -> SitesEcoReport:
    """Import CNIG Sites économiques files in the caller's transaction; return the report.

    ``batch`` is the import_batch row of an upload (the API creates it when it accepts a file).
    """
    paths = list(paths)
    principal = principal or Principal(role="admin", label="import sites-eco")
    if batch is None:
        batch = ImportBatch(
            kind="sites-eco",
            source_name=", ".join(p.name for p in paths),
            status="running",
            started_at=datetime.now(UTC),
            api_key_id=principal.key_id,
            epci_siren=principal.epci_siren,
        )
        session.add(batch)
        session.flush()
    rows = read_rows(paths)
    report = SitesEcoReport()
    zones = {r.values.get("site_id"): r for r in rows if r.table == "SITE-ECO"}
    plots = [r for r in rows if r.table == "TERRAIN-ECO"]
    with_plots = {p.values.get("site_id") for p in plots}
    work = [(p.values.get("terr_id"), zones.get(p.values.get("site_id")), p) for p in plots]
    work += [(zid, z, None) for zid, z in zones.items() if zid not in with_plots]
    report.rows, report.zones = len(work), len(zones)

    for site_id, zone, plot in work:
        row = plot or zone
        assert row is not None
        try:
            if zone is None:
                raise AppError(
                    "unknown zone",
                    errors=[
                        FieldError(
                            "site_id", f"no SITE-ECO {row.values.get('site_id')!r} in the files"
                        )
                    ],
                )
            if row.values.get("_geometry_error"):
                raise AppError(
                    "bad geometry", errors=[FieldError("geometry", row.values["_geometry_error"])]
                )
            with session.begin_nested():
                outcome = _upsert(
                    session,
                    principal,
                    str(site_id),
                    _properties(zone.values, plot and plot.values),
                    row,
                )
        except (ValidationError, AppError) as exc:
            errors = _errors_of(exc)
            report.quarantined += 1
            report.errors.extend({"table": row.table, "row": row.number, **e} for e in errors)
            session.add(
                QuarantineRow(
                    batch_id=batch.id,
                    row_number=row.number,
                    site_id=None if site_id is None else str(site_id),
                    payload={
                        "table": row.table,
                        **{k: sites_service.jsonable(v) for k, v in row.values.items()},
                        "geometry": row.geometry,
                    },
                    errors=errors,
                )
            )
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.turnkey += int(
            plot is not None and _oui_non(plot.values.get("terr_cle_en_main")) == "oui"
        )
        report.warnings.extend({"table": row.table, "row": row.number, **w} for w in row.warnings)
    derived_service.refresh_changed(session)
    batch.status, batch.finished_at = "done", datetime.now(UTC)
    batch.report = report.as_dict()
    session.flush()
    return report
