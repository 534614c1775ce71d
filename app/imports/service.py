"""Import CNIG Friches files (and Cartofriches' and the Ardennes observatory's) into the catalogue.

One import is one transaction (the caller commits, STYLE.md §3.3): rows are read and checked
field by field in Python (app.imports.normalise), then communes, parcels, placement and geometry
are settled in bulk in PostGIS, then new sites are inserted in batches and changed ones updated.
A row with a blocking error goes to the ``quarantine`` table with its reasons and nothing of it is
written; non-blocking deviations become the site's ``warnings``. Re-importing a file changes
nothing ("unchanged"); the upsert key is the CNIG ``site_id``.

Staff may upload only their own territory: rows whose commune (or existing site) belongs to
another EPCI, or whose geometry reaches outside their EPCI, are quarantined as "outside your
territory" and never written. Staff list, fix and re-submit their EPCI's quarantined rows.
"""

import json
import math
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.auth.service import Principal
from app.derived import service as derived_service
from app.errors import Conflict, FieldError
from app.geo import validate
from app.geo.crs import STORAGE_SRID, departement_of, local_srid
from app.imports import normalise, readers
from app.imports import repository as repo
from app.imports.errors import QuarantineNotFound
from app.imports.normalise import Issue, Layout, PreparedRow, Shape
from app.imports.readers import GEOMETRY_KEY, RawRow, UnreadableFile
from app.models import ImportBatch, QuarantineRow, Site
from app.progress import Progress, no_progress
from app.sites import service as sites_service
from app.sites.schemas import SiteProperties

KIND = "friches"
#: Files with fewer rows get no progress bar.
PROGRESS_MIN_ROWS = 1000
#: A given geompoint farther than this (m) from the site's surface is replaced by a point on it.
POINT_TOLERANCE_M = 100.0
#: Overseas départements → their box in app.geo.validate.FRANCE_BOXES.
OVERSEAS_BOX = {
    "971": "guadeloupe",
    "972": "martinique",
    "973": "guyane",
    "974": "reunion",
    "976": "mayotte",
}
#: Site columns an import may set from the file (the writable properties but kind/published).
PROPERTY_COLUMNS = tuple(
    name
    for name in SiteProperties.model_fields
    if name in Site.__table__.columns and name not in ("kind", "published")
)


def importer(source_name: str) -> Principal:
    """Return the principal of a command-line import: an admin named after the file."""
    return Principal(role="admin", label=f"import friches {source_name}")


@dataclass
class RowOutcome:
    """What happened to one row."""

    number: int
    status: str  # imported, updated, unchanged, quarantined
    site_id: str | None
    epci_siren: str | None
    payload: dict[str, Any]
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


@dataclass
class ImportReport:
    """The report of one import (``--report`` writes it as JSON; kept in ``import_batch``)."""

    file: str
    format: str = ""
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    #: Warnings kept with the written sites (quarantined rows keep their errors only).
    warnings: int = 0
    #: The blocking errors of the quarantined rows: {row, site_id, field, reason}.
    errors: list[dict[str, Any]] = field(default_factory=list)
    #: Warnings and errors counted by field and kind, most frequent first (with one example).
    deviations: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    batch_id: int | None = None
    seconds: float = 0.0
    container: str = "csv"
    srid: int = STORAGE_SRID

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-able data."""
        return asdict(self)

    def summary(self) -> str:
        """Return the one-line summary printed by the command line."""
        return (
            f"{self.file}: {self.rows} rows, {self.imported} imported, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.quarantined} quarantined, {self.warnings} "
            f"warnings ({self.format}, {self.seconds:.1f} s)"
        )


@dataclass
class ResubmitResult:
    """The outcome of re-submitting a fixed quarantined row."""

    status: str  # imported, updated, unchanged or quarantined (still invalid)
    site_id: str | None
    errors: list[dict[str, str]]
    warnings: list[dict[str, str]]


# --- the pipeline --------------------------------------------------------------------------


@dataclass
class _Work:
    """A row on its way through the pipeline."""

    row: PreparedRow
    commune: repo.CommuneRef | None = None
    surface_source: str | None = None  # "file" or "parcels"
    partial_parcels: bool = False
    facts: repo.GeometryFacts | None = None

    @property
    def alive(self) -> bool:
        return not self.row.errors


def _prepare_all(
    raws: list[RawRow],
    layout: Layout,
    *,
    source_name: str,
    max_vertices: int,
    progress: Progress,
) -> list[_Work]:
    works = []
    seen: dict[str, int] = {}
    for raw in progress(raws, source_name) if len(raws) >= PROGRESS_MIN_ROWS else raws:
        row = normalise.prepare(raw, layout, source_name=source_name, max_vertices=max_vertices)
        if row.site_id:
            first = seen.setdefault(row.site_id, row.number)
            if first != row.number:
                row.fail(
                    "site_id",
                    f"duplicate: row {first} of this file has the same site_id",
                    "duplicate",
                )
        works.append(_Work(row))
    return works


def _check_communes(session: Session, principal: Principal, works: list[_Work]) -> None:
    refs = repo.communes(session, (w.row.insee for w in works if w.row.insee))
    _relocate_unknown(session, [w for w in works if w.row.insee and w.row.insee not in refs])
    staff = principal.role == "territory_staff"
    for w in works:
        if w.row.insee is None:
            continue
        w.commune = w.commune or refs.get(w.row.insee)
        if w.commune is None:
            w.row.fail(
                "comm_insee",
                f"{w.row.insee!r} is not a commune INSEE code of the reference (COG 2024), "
                "and the site's coordinates do not tell which commune replaced it",
                "commune",
            )
        elif staff and w.commune.epci_siren != principal.epci_siren:
            w.row.fail(
                "comm_insee",
                f"outside your territory: commune {w.commune.nom} ({w.commune.insee}) belongs "
                f"to EPCI {w.commune.epci_siren or 'none'}, your key may only write land of "
                f"EPCI {principal.epci_siren}",
                "territory",
            )


def _check_epci_column(works: list[_Work], column: str) -> None:
    """A file's own EPCI column is not trusted (EPCI change): the commune's EPCI is used."""
    for w in works:
        given = str(w.row.payload.get(column) or "").strip()
        if w.commune and given and given != w.commune.epci_siren:
            w.row.warn(
                "epci_siren",
                f"{given!r} in the file, but commune {w.commune.nom} ({w.commune.insee}) "
                f"belongs to EPCI {w.commune.epci_siren} (DGCL 2025): the latter is used",
                "epci",
            )


def _relocate_unknown(session: Session, works: list[_Work]) -> None:
    """An INSEE code missing from the reference is most often a commune merged since (a
    commune nouvelle): take the commune of the same département where the site lies."""
    rows = []
    for w in works:
        shape = w.row.surface or w.row.point
        if shape is not None and w.row.insee:
            rows.append((w.row.number, departement_of(w.row.insee), shape.ewkb, shape.flipped))
    found = repo.communes_at(session, rows)
    for w in works:
        hit = found.get(w.row.number)
        if hit is None:
            continue
        commune, _ = hit
        w.row.warn(
            "comm_insee",
            f"{w.row.insee!r} is not a commune of the reference (COG 2024): the site lies in "
            f"{commune.nom} ({commune.insee}), which replaced it (merged commune?)",
            "commune-merged",
        )
        w.commune = commune
        w.row.insee = commune.insee
        w.row.values["comm_insee"] = commune.insee


def _parcel_surfaces(session: Session, works: list[_Work]) -> None:
    """Rows without geomsurf take the union of their cadastre parcels, when loaded here."""
    wanted = {
        w.row.number: w.row.refcad
        for w in works
        if w.alive and w.row.surface is None and w.row.refcad
    }
    if not wanted:
        return
    unions = repo.parcel_unions(session, wanted)
    by_number = {w.row.number: w for w in works}
    for number, (geoms, found) in unions.items():
        w = by_number[number]
        parts = [shapely.from_wkb(g) for g in geoms]
        geom = parts[0] if len(parts) == 1 else shapely.union_all(parts)
        geom = shapely.set_srid(geom, STORAGE_SRID)
        bbox = tuple(shapely.bounds(geom).tolist())
        w.row.surface = Shape(
            shapely.to_wkb(geom, hex=True, include_srid=True), None, bbox, STORAGE_SRID, False
        )
        w.surface_source = "parcels"
        missing = sorted(set(w.row.refcad) - set(found))
        if missing:
            w.partial_parcels = True
            w.row.warn(
                "geometry",
                f"{len(found)} of {len(w.row.refcad)} parcels of "
                f"unite_fonciere_refcad are loaded here (missing: {', '.join(missing[:5])}"
                f"{'…' if len(missing) > 5 else ''}): the footprint is their union, "
                "approximate",
                "parcels-partial",
            )
        else:
            w.row.warn(
                "geometry",
                "no geomsurf: the footprint is the union of the "
                f"{len(found)} cadastre parcels of unite_fonciere_refcad",
                "parcels",
            )


def _in_box(bbox: tuple[float, float, float, float], box: tuple[float, ...]) -> bool:
    return box[0] <= bbox[0] and box[1] <= bbox[1] and bbox[2] <= box[2] and bbox[3] <= box[3]


def _flip(shape: Shape) -> Shape:
    x0, y0, x1, y1 = shape.bbox
    assert shape.flipped is not None
    return Shape(shape.flipped, shape.ewkb, (y0, x0, y1, x1), shape.srid, shape.is_point)


def _settle(
    w: _Work, name: str, shape: Shape, distance: float | None, flipped: float | None
) -> Shape | None:
    """Keep a geometry as read, swap its axes, or refuse it, from where the commune is."""
    commune = w.commune
    assert commune is not None
    tolerance = sites_service.COMMUNE_TOLERANCE_M
    label = "geompoint" if shape.is_point else name
    swapped_reason = (
        f"coordinates given as (latitude, longitude): read as (longitude, latitude), which "
        f"lies in commune {commune.nom} ({commune.insee})"
    )
    if commune.has_geom and distance is not None:
        if distance <= tolerance:
            return shape
        if flipped is not None and flipped <= tolerance:
            w.row.warn(label, swapped_reason, "swapped")
            return _flip(shape)
        w.row.fail(
            label,
            f"lies {distance / 1000:.1f} km from commune {commune.nom} "
            f"({commune.insee}); check comm_insee or the coordinates",
            "place",
        )
        return None
    if shape.srid != STORAGE_SRID:
        return shape  # Lambert-93: mainland by construction, checked by the commune above
    dep = departement_of(commune.insee)
    boxes = [validate.FRANCE_BOXES[OVERSEAS_BOX.get(dep, "metropole")]]
    if any(_in_box(shape.bbox, b) for b in boxes):
        return shape
    if shape.flipped is not None:
        swapped = _flip(shape)
        if any(_in_box(swapped.bbox, b) for b in boxes):
            w.row.warn(label, swapped_reason.replace("lies in", "lies in the area of"), "swapped")
            return swapped
    w.row.fail(
        label,
        f"coordinates {', '.join(f'{v:.5f}' for v in shape.bbox)} are not in the "
        f"area of commune {commune.nom} ({commune.insee})",
        "place",
    )
    return None


def _place(session: Session, works: list[_Work]) -> None:
    """Detect swapped axes and refuse geometries far from their commune (one statement)."""
    # Rows already in error are placed too, so that their quarantine lists every problem.
    live = [w for w in works if w.commune and (w.row.surface or w.row.point)]
    rows = []
    for w in live:
        s, p = w.row.surface, w.row.point
        rows.append(
            (
                w.row.number,
                w.row.insee or "",
                s.ewkb if s else None,
                s.flipped if s else None,
                p.ewkb if p else None,
                p.flipped if p else None,
            )
        )
    tolerance = sites_service.COMMUNE_TOLERANCE_M
    distances = repo.placements(session, rows, tolerance_m=tolerance) if rows else {}
    for w in live:
        d = distances.get(w.row.number) or repo.Placement(None, None, None, None)
        if w.row.surface is not None:
            name = "geometry" if w.surface_source != "file" else "geomsurf"
            w.row.surface = _settle(w, name, w.row.surface, d.surface, d.surface_flipped)
        if w.row.point is not None:
            w.row.point = _settle(w, "geompoint", w.row.point, d.point, d.point_flipped)


def _measure(session: Session, principal: Principal, works: list[_Work]) -> None:
    """Make the final geometries in PostGIS and check what depends on them."""
    live = [w for w in works if w.alive and w.commune]
    rows = [
        (
            w.row.number,
            local_srid(w.commune.insee),  # type: ignore[union-attr]
            w.row.surface.ewkb if w.row.surface else None,
            w.row.point.ewkb if w.row.point else None,
        )
        for w in live
    ]
    staff_epci = principal.epci_siren if principal.role == "territory_staff" else None
    facts = repo.geometry_facts(session, rows, epci_siren=staff_epci) if rows else {}
    for w in live:
        f = facts[w.row.number]
        w.facts = f
        if w.row.surface is not None:
            name = "geomsurf" if w.surface_source == "file" else "geometry"
            if f.geom is None or not f.still_valid:
                w.row.fail(
                    name,
                    "the surface collapses at 1 cm precision (empty or degenerate)",
                    "geometry",
                )
                continue
            if not f.valid:
                w.row.warn(
                    "geometry",
                    f"invalid geometry ({f.reason}) repaired with ST_MakeValid",
                    "repaired",
                )
            if w.row.point is not None and (f.point_gap_m or 0) > POINT_TOLERANCE_M:
                w.row.warn(
                    "geompoint",
                    f"lies {f.point_gap_m:.0f} m from the surface: a point "
                    "on the surface is used instead",
                    "point-off-surface",
                )
        if staff_epci and f.outside_epci_m is not None:
            if f.outside_epci_m > sites_service.EPCI_TOLERANCE_M:
                w.row.fail(
                    "geometry",
                    f"outside your territory: the geometry reaches "
                    f"{f.outside_epci_m / 1000:.1f} km outside your EPCI {staff_epci}",
                    "territory",
                )


def _geometry_values(w: _Work) -> dict[str, Any]:
    f = w.facts
    assert f is not None
    if w.row.surface is not None and f.geom is not None:
        keep_point = w.row.point is not None and (f.point_gap_m or 0) <= POINT_TOLERANCE_M
        return {
            "geom": f.geom,
            "point": f.point if keep_point else f.surface_point,
            "area_m2": f.area_m2,
            "geom_approximate": w.partial_parcels,
        }
    return {"geom": None, "point": f.point, "area_m2": None, "geom_approximate": True}


def _wkb_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    data = value.data
    return bytes.fromhex(data) if isinstance(data, str) else bytes(data)


def _same_geometry(a: Any, b: Any) -> bool:
    """Equal geometries, to float noise: the stored ones are snapped to the 1e-7° grid, whose
    doubles print back as e.g. 49.522821799999996, and a ring may start at another vertex."""
    wa, wb = _wkb_bytes(a), _wkb_bytes(b)
    if wa is None or wb is None:
        return wa is wb
    if wa == wb:
        return True
    ga, gb = shapely.from_wkb(wa), shapely.from_wkb(wb)
    return bool(shapely.equals_exact(shapely.normalize(ga), shapely.normalize(gb), 1e-9))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):  # areas recomputed: float noise only
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b or bool(sites_service.jsonable(a) == sites_service.jsonable(b))


def _new_site_row(w: _Work) -> dict[str, Any]:
    commune = w.commune
    assert commune is not None
    assert w.row.site_id is not None
    props = {**w.row.defaults, **w.row.values}
    values: dict[str, Any] = {name: props.get(name) for name in PROPERTY_COLUMNS}
    values.update(
        site_id=w.row.site_id,
        kind="friche",
        published=True,
        version=1,
        comm_nom=props.get("comm_nom") or commune.nom,
        comm_insee=commune.insee,
        epci_siren=commune.epci_siren,
        departement_code=departement_of(commune.insee),
        warnings=[i.as_dict() for i in w.row.warnings] or None,
        **_geometry_values(w),
    )
    return values


def _update_values(w: _Work, site: Site) -> dict[str, Any]:
    """Return the columns of an existing site that the row would change."""
    commune = w.commune
    assert commune is not None
    wanted: dict[str, Any] = dict(w.row.values)
    wanted.update(
        comm_insee=commune.insee,
        epci_siren=commune.epci_siren,
        departement_code=departement_of(commune.insee),
    )
    if "comm_nom" not in wanted and commune.insee != site.comm_insee:
        wanted["comm_nom"] = commune.nom
    geometry = _geometry_values(w)
    if geometry["geom_approximate"] and site.geom is not None and not site.geom_approximate:
        w.row.warn(
            "geometry", "the file gives no surface: the stored footprint is kept", "kept-footprint"
        )
        geometry = {}
    wanted["warnings"] = [i.as_dict() for i in w.row.warnings] or None
    changed = {k: v for k, v in wanted.items() if not _same(getattr(site, k), v)}
    for key, value in geometry.items():
        if key in ("geom", "point"):
            if not _same_geometry(getattr(site, key), value):
                changed[key] = value
        elif not _same(getattr(site, key), value):
            changed[key] = value
    if set(changed) == {"warnings"}:
        # The warnings describe the source file of the last import; a cleaner file bringing
        # the same data is not a change of the site (no new version, no history entry).
        return {}
    return changed


@cache
def _audited_columns() -> tuple[str, ...]:
    """The columns of a site's audit snapshot (those of sites_service.snapshot)."""
    return tuple(sites_service.snapshot(Site()))


def _geojson(value: Any) -> dict[str, Any] | None:
    data = _wkb_bytes(value)
    if data is None:
        return None
    return json.loads(shapely.to_geojson(shapely.from_wkb(data)))  # type: ignore[no-any-return]


def _change_row(
    principal: Principal,
    site_pk: int,
    version: int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "site_pk": site_pk,
        "action": action,
        "api_key_id": principal.key_id,
        "actor": principal.describe(),
        "version": version,
        "before": before,
        "after": after,
    }


def _write(session: Session, principal: Principal, works: list[_Work]) -> dict[int, str]:
    """Insert new sites, update changed ones; return each written row's status."""
    live = [w for w in works if w.alive]
    existing = repo.sites_by_site_id(session, [w.row.site_id for w in live if w.row.site_id])
    staff = principal.role == "territory_staff"
    creates: list[_Work] = []
    updates: list[tuple[_Work, Site, dict[str, Any]]] = []
    status: dict[int, str] = {}
    for w in live:
        site = existing.get(w.row.site_id or "")
        if site is None:
            creates.append(w)
            continue
        if site.deleted_at is not None:
            w.row.fail(
                "site_id",
                f"site {site.site_id} was deleted here on "
                f"{site.deleted_at:%Y-%m-%d}: an import does not bring it back",
                "deleted",
            )
            continue
        if staff and site.epci_siren != principal.epci_siren:
            w.row.fail(
                "site_id",
                f"outside your territory: site {site.site_id} belongs to EPCI "
                f"{site.epci_siren or 'none'}",
                "territory",
            )
            continue
        changed = _update_values(w, site)
        if changed:
            updates.append((w, site, changed))
        else:
            status[w.row.number] = "unchanged"

    new_rows = [_new_site_row(w) for w in creates]
    audited = set(_audited_columns())
    ids = repo.insert_sites(session, new_rows)
    links: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for w, values in zip(creates, new_rows, strict=True):
        pk = ids[values["site_id"]]
        links.extend({"site_pk": pk, "idu": idu} for idu in w.row.refcad)
        # The values set (create_site records every column; nulls are left out here, as an
        # import creates thousands of sites).
        after = {
            k: sites_service.jsonable(v)
            for k, v in values.items()
            if v is not None and k in audited
        }
        changes.append(_change_row(principal, pk, 1, "create", None, after))
        status[w.row.number] = "imported"
    repo.insert_parcel_links(session, links)

    now = datetime.now(UTC)
    for w, site, changed in updates:
        before = sites_service.snapshot(site)
        before_geometry = {k: _geojson(getattr(site, k)) for k in ("geom", "point") if k in changed}
        for key, value in changed.items():
            setattr(site, key, value)
        site.version = (site.version or 0) + 1
        site.updated_at = now
        after = sites_service.snapshot(site)
        keys = [k for k in after if before.get(k) != after.get(k)]
        old, new = {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
        # As patch_site does: the geometry as GeoJSON when it changed (and the point, here).
        for key, label in (("geom", "geometry"), ("point", "geompoint")):
            if key in changed:
                old[label] = before_geometry[key]
                new[label] = _geojson(changed[key])
        changes.append(_change_row(principal, site.id, site.version, "update", old, new))
        if "unite_fonciere_refcad" in changed:
            repo.replace_parcel_links(session, site_pk=site.id, idus=w.row.refcad)
        status[w.row.number] = "updated"
    session.flush()
    repo.insert_changes(session, changes)
    return status


def process(
    session: Session,
    principal: Principal,
    raws: list[RawRow],
    layout: Layout,
    *,
    source_name: str,
    max_vertices: int = 100_000,
    progress: Progress = no_progress,
) -> list[RowOutcome]:
    """Run rows through validation and write the valid ones; quarantined rows write nothing."""
    works = _prepare_all(
        raws, layout, source_name=source_name, max_vertices=max_vertices, progress=progress
    )
    _check_communes(session, principal, works)
    if layout.epci_column:
        _check_epci_column(works, layout.epci_column)
    _parcel_surfaces(session, works)
    for w in works:
        if w.row.surface is not None and w.surface_source is None:
            w.surface_source = "file"
        if w.alive and w.row.surface is None and w.row.point is None:
            w.row.fail(
                "geompoint",
                "required: no point, no surface, and the parcels of "
                "unite_fonciere_refcad are not loaded here",
                "missing",
            )
    _place(session, works)
    _measure(session, principal, works)
    status = _write(session, principal, works)
    outcomes = []
    for w in works:
        epci = w.commune.epci_siren if w.commune else None
        outcomes.append(
            RowOutcome(
                number=w.row.number,
                status="quarantined" if w.row.errors else status[w.row.number],
                site_id=w.row.site_id,
                epci_siren=epci,
                payload=w.row.payload,
                errors=w.row.errors,
                warnings=w.row.warnings,
            )
        )
    return outcomes


# --- imports -------------------------------------------------------------------------------


def _deviations(outcomes: list[RowOutcome]) -> list[dict[str, Any]]:
    counts: dict[tuple[str, str, str], list[Any]] = {}
    for o in outcomes:
        for level, issues in (("error", o.errors), ("warning", o.warnings)):
            for i in issues:
                entry = counts.setdefault((level, i.field, i.kind), [0, i.reason])
                entry[0] += 1
    return [
        {"level": level, "field": name, "kind": kind, "rows": n, "example": example}
        for (level, name, kind), (n, example) in sorted(
            counts.items(), key=lambda kv: (-kv[1][0], kv[0])
        )
    ]


def _check_layout(source: readers.SourceFile, layout: Layout) -> None:
    if "site_id" in layout.source:
        return
    columns = [c.lower() for c in source.columns]
    if columns[:2] == ["name", "exemple"]:
        hint = "it is transposed (one field per line, as the 2022 drafts of the standard)"
    elif {"site_numero", "tup_refcad", "tup_surface"} & set(columns):
        hint = "it follows the 2022 draft (site_numero, tup_refcad…), not CNIG Friches v1.0.1+"
    else:
        hint = "no site_id column"
    raise UnreadableFile(
        f"{source.name} is not a CNIG Friches file: {hint}",
        errors=[FieldError("site_id", "column required (CNIG Friches v1.0.1 to v1.0.6)")],
    )


def import_friches(
    session: Session,
    principal: Principal,
    path: Path,
    *,
    max_vertices: int = 100_000,
    progress: Progress = no_progress,
) -> ImportReport:
    """Import a friches file (CSV or GeoJSON, gzip or not) as one batch; return its report."""
    auth_service.require_writer(principal)
    started = time.monotonic()
    return _import(
        session,
        principal,
        readers.read(path),
        started=started,
        max_vertices=max_vertices,
        progress=progress,
    )


def import_upload(
    session: Session,
    principal: Principal,
    *,
    name: str,
    data: bytes,
    max_vertices: int = 100_000,
    batch: ImportBatch | None = None,
) -> ImportReport:
    """Import the bytes of an uploaded friches file (staff: their own territory only).

    ``batch`` is the import_batch row the upload API created when it accepted the file.
    """
    auth_service.require_writer(principal)
    started = time.monotonic()
    source = readers.parse(name, data)
    return _import(
        session, principal, source, started=started, max_vertices=max_vertices, batch=batch
    )


def _import(
    session: Session,
    principal: Principal,
    source: readers.SourceFile,
    *,
    started: float,
    max_vertices: int,
    progress: Progress = no_progress,
    batch: ImportBatch | None = None,
) -> ImportReport:
    layout = normalise.layout_of(
        source.columns, geojson=source.container == "geojson", srid=source.srid
    )
    _check_layout(source, layout)
    cnig_version = layout.version[:1].isdigit()
    report = ImportReport(
        file=source.name,
        format=f"{source.container}, {'CNIG ' if cnig_version else ''}{layout.version}",
        container=source.container,
        srid=source.srid,
        notes=source.notes + layout.notes,
        ignored_columns=layout.ignored,
    )
    if cnig_version and layout.version != "1.0.6":
        report.notes.append(f"CNIG Friches v{layout.version}: read as v1.0.6")
    if "urba_zaer" not in layout.source:
        report.notes.append("no urba_zaer column (CNIG v1.0.6): new sites get 'inconnu'")
    if batch is None:
        batch = repo.add_batch(
            session,
            ImportBatch(
                kind=KIND,
                source_name=source.name,
                status="running",
                api_key_id=principal.key_id,
                epci_siren=principal.epci_siren if principal.role == "territory_staff" else None,
                started_at=datetime.now(UTC),
            ),
        )
    outcomes = process(
        session,
        principal,
        source.rows,
        layout,
        source_name=source.name,
        max_vertices=max_vertices,
        progress=progress,
    )
    quarantine = []
    for o in outcomes:
        report.rows += 1
        setattr(report, o.status, getattr(report, o.status) + 1)
        if o.status == "quarantined":
            quarantine.append(
                {
                    "batch_id": batch.id,
                    "row_number": o.number,
                    "site_id": o.site_id,
                    "epci_siren": o.epci_siren,
                    "payload": o.payload,
                    "errors": [i.as_dict() for i in o.errors],
                }
            )
            report.errors.extend(
                {"row": o.number, "site_id": o.site_id, **i.as_dict()} for i in o.errors
            )
        else:
            report.warnings += len(o.warnings)
    repo.insert_quarantine(session, quarantine)
    resolved: dict[str, str | None] = {}
    for o in outcomes:
        if o.site_id and o.status != "quarantined":
            resolved[o.site_id] = o.site_id
        elif o.site_id:
            resolved.setdefault(o.site_id, None)
    repo.close_superseded(session, batch_id=batch.id, resolved=resolved)
    report.deviations = _deviations(outcomes)
    derived_service.refresh_changed(session)
    report.batch_id = batch.id
    report.seconds = round(time.monotonic() - started, 2)
    batch.status = "done"
    batch.finished_at = datetime.now(UTC)
    batch.report = report.as_dict()
    session.flush()
    return report


def record_failure(
    session: Session, principal: Principal, *, source_name: str, error: str
) -> ImportBatch:
    """Log an import that failed as a whole (its own transaction rolled back)."""
    return repo.add_batch(
        session,
        ImportBatch(
            kind=KIND,
            source_name=source_name,
            status="failed",
            api_key_id=principal.key_id,
            epci_siren=principal.epci_siren if principal.role == "territory_staff" else None,
            started_at=datetime.now(UTC),
            finished_at=datetime.now(UTC),
            error=error[:4000],
        ),
    )


# --- quarantine ----------------------------------------------------------------------------


def _scope(principal: Principal) -> str | None:
    auth_service.require_writer(principal)
    return None if principal.is_admin else principal.epci_siren


def list_quarantine(
    session: Session,
    principal: Principal,
    *,
    batch_id: int | None = None,
    site_id: str | None = None,
    include_resolved: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[QuarantineRow]]:
    """Return (total, page) of quarantined rows: staff see their EPCI's, admins all."""
    return repo.quarantine_page(
        session,
        epci_siren=_scope(principal),
        batch_id=batch_id,
        site_id=site_id,
        include_resolved=include_resolved,
        limit=limit,
        offset=offset,
    )


def get_quarantine(
    session: Session, principal: Principal, quarantine_id: int, *, for_update: bool = False
) -> QuarantineRow:
    """Return one quarantined row the caller may see, or raise QuarantineNotFound."""
    scope = _scope(principal)
    row = repo.quarantine_row(session, quarantine_id, for_update=for_update)
    if row is None or (scope is not None and row.epci_siren != scope):
        raise QuarantineNotFound(quarantine_id)
    return row


def resubmit(
    session: Session,
    principal: Principal,
    quarantine_id: int,
    fixed_payload: dict[str, Any],
    *,
    max_vertices: int = 100_000,
) -> ResubmitResult:
    """Run a fixed row through the import's checks: write the site and resolve the quarantined
    row, or return the new errors (and write nothing)."""
    row = get_quarantine(session, principal, quarantine_id, for_update=True)
    if row.resolved_at is not None:
        raise Conflict(
            f"quarantined row {quarantine_id} is already resolved"
            + (f" (site {row.resolved_site_id})" if row.resolved_site_id else " (superseded)")
        )
    # Cells not sent keep their quarantined value: a fix may name only what it changes.
    payload = {**row.payload, **fixed_payload}
    batch = session.get(ImportBatch, row.batch_id)
    report = (batch.report if batch else None) or {}
    geojson = report.get("container") == "geojson" or GEOMETRY_KEY in payload
    columns = [k for k in payload if k != GEOMETRY_KEY]
    layout = normalise.layout_of(columns, geojson=geojson, srid=report.get("srid", STORAGE_SRID))
    source_name = batch.source_name if batch else "resubmission"
    (outcome,) = process(
        session,
        principal,
        [RawRow(row.row_number, payload)],
        layout,
        source_name=source_name,
        max_vertices=max_vertices,
    )
    if outcome.status != "quarantined":
        assert outcome.site_id is not None
        repo.mark_resolved(session, row, site_id=outcome.site_id)
    return ResubmitResult(
        status=outcome.status,
        site_id=outcome.site_id,
        errors=[i.as_dict() for i in outcome.errors],
        warnings=[i.as_dict() for i in outcome.warnings],
    )
