"""Business rules of the site catalogue: validation, territory scoping, versions, audit.

Services flush and never commit: the request (or CLI command) owns the transaction, so an error
anywhere leaves nothing written (STYLE.md §3.3).
"""

import csv
import io
import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.auth.service import Principal
from app.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidGeometry,
    InvalidInput,
    PreconditionFailed,
    PreconditionRequired,
)
from app.geo import validate
from app.geo.crs import ACCEPTED_INPUT_SRIDS, STORAGE_SRID, departement_of, local_srid, parse_crs
from app.models import Commune, Procedure, Site, SiteChange
from app.sites import cnig, repository
from app.sites.errors import ProcedureNotFound, SiteNotFound
from app.sites.procedures import catalogue
from app.sites.schemas import (
    ProcedureWrite,
    SiteCreate,
    SiteFromParcels,
    SitePatch,
    SiteProperties,
)

#: A site's geometry may stray this far (m) from its commune's simplified boundary.
COMMUNE_TOLERANCE_M = 1000.0
#: A staff member's site may stray this far (m) outside their EPCI's simplified boundary.
EPCI_TOLERANCE_M = 500.0
#: Columns kept out of the audit snapshot (bookkeeping that changes on every write).
_UNAUDITED = {"id", "geom", "point", "version", "updated_at", "created_at"}


@dataclass
class SiteFilters:
    """Filters of the site listing; every value is bound as a parameter."""

    bbox: tuple[float, float, float, float] | None = None
    commune: str | None = None
    epci: str | None = None
    departement: str | None = None
    territoire_industrie: str | None = None
    kind: list[str] = field(default_factory=list)
    site_type: list[str] = field(default_factory=list)
    site_statut: list[str] = field(default_factory=list)
    surface_min_ha: float | None = None
    surface_max_ha: float | None = None
    published: bool | None = None

    def to_sql(self) -> tuple[list[str], dict[str, Any]]:
        """Return WHERE fragments (fixed text) and their bound values."""
        where: list[str] = []
        params: dict[str, Any] = {}
        if self.bbox:
            where.append(
                "(s.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) OR (s.geom IS NULL AND "
                "s.point && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)))"
            )
            params.update(zip(("x0", "y0", "x1", "y1"), self.bbox, strict=True))
        simple = {
            "commune": "s.comm_insee",
            "epci": "s.epci_siren",
            "departement": "s.departement_code",
        }
        for name, column in simple.items():
            value = getattr(self, name)
            if value:
                where.append(f"{column} = :{name}")
                params[name] = value
        if self.territoire_industrie:
            where.append(
                "s.epci_siren IN (SELECT epci_siren FROM territoire_industrie_epci "
                "WHERE territoire_id = :ti)"
            )
            params["ti"] = self.territoire_industrie
        for name in ("kind", "site_type", "site_statut"):
            values = getattr(self, name)
            if values:
                where.append(f"s.{name} = ANY(:{name})")
                params[name] = values
        if self.surface_min_ha is not None:
            where.append("s.area_m2 >= :smin")
            params["smin"] = self.surface_min_ha * 10_000
        if self.surface_max_ha is not None:
            where.append("s.area_m2 <= :smax")
            params["smax"] = self.surface_max_ha * 10_000
        if self.published is not None:
            where.append("s.published = :published")
            params["published"] = self.published
        return where, params


def hidden_columns(principal: Principal) -> tuple[str, ...]:
    """Return the columns kept out of a caller's view (confidential ones for anonymous)."""
    if principal.is_authenticated:
        return repository.INTERNAL_COLUMNS
    return repository.INTERNAL_COLUMNS + repository.CONFIDENTIAL_COLUMNS


def etag(site: Site) -> str:
    """Return the entity tag of a site's current version."""
    return f'"{site.version}"'


def list_sites(
    session: Session, principal: Principal, *, filters: SiteFilters, limit: int, offset: int
) -> tuple[int, int, str]:
    """Return (numberMatched, numberReturned, Features JSON text) of the visible sites."""
    where, params = filters.to_sql()
    return repository.feature_page(
        session,
        where=where,
        params=params,
        drafts=auth_service.can_see_drafts_of(principal),
        hidden=hidden_columns(principal),
        limit=limit,
        offset=offset,
    )


def _visible(principal: Principal, site: Site) -> bool:
    if site.deleted_at is not None:
        return False
    drafts = auth_service.can_see_drafts_of(principal)
    return (
        site.published or drafts is True or (isinstance(drafts, str) and site.epci_siren == drafts)
    )


def get_visible(
    session: Session, principal: Principal, site_id: str, *, for_update: bool = False
) -> Site:
    """Return a live site the caller may see, or raise SiteNotFound."""
    site = repository.by_site_id(session, site_id, for_update=for_update)
    if site is None or not _visible(principal, site):
        raise SiteNotFound(site_id)
    return site


def feature_text(session: Session, principal: Principal, site: Site) -> str:
    """Return a site as GeoJSON Feature text, as the caller may see it."""
    return repository.feature(session, site_pk=site.id, hidden=hidden_columns(principal))


# --- geometry ----------------------------------------------------------------------------------


def _declared_srid(crs_member: dict[str, Any] | None, header_crs: str | None) -> int:
    names: list[tuple[str, str]] = []
    if crs_member is not None:
        name = (crs_member.get("properties") or {}).get("name")
        if not isinstance(name, str):
            raise InvalidInput(
                "invalid crs member",
                errors=[
                    FieldError(
                        "crs", 'expected {"type": "name", "properties": {"name": "EPSG:2154"}}'
                    )
                ],
            )
        names.append(("crs", name))
    if header_crs:
        names.append(("Content-Crs", header_crs))
    srids = []
    for where, name in names:
        srid = parse_crs(name)
        if srid not in ACCEPTED_INPUT_SRIDS:
            raise InvalidInput(
                f"unsupported CRS {name!r}",
                errors=[
                    FieldError(
                        where,
                        f"unsupported CRS {name!r}",
                        allowed=["EPSG:4326 / CRS84 (lon, lat)", "EPSG:2154 (Lambert-93)"],
                    )
                ],
            )
        srids.append(srid)
    if len(set(srids)) > 1:
        raise InvalidInput(
            "the crs member and the Content-Crs header disagree",
            errors=[FieldError("crs", "disagrees with the Content-Crs header")],
        )
    return srids[0] if srids else STORAGE_SRID


def _geometry_error(reason: str, where: str | None = None) -> InvalidGeometry:
    return InvalidGeometry(
        f"invalid geometry: {reason}", errors=[FieldError("geometry", reason, where=where or None)]
    )


def prepare_geometry(
    session: Session,
    geometry: dict[str, Any],
    *,
    srid: int,
    insee: str,
    max_vertices: int,
    repair: bool = False,
    allow_point: bool = False,
) -> repository.GeometryFacts:
    """Validate a submitted polygonal geometry and return it in WGS84 with its area.

    With ``repair`` (importers of real files), an invalid polygon is made valid with
    ST_MakeValid instead of refused; ``facts.repaired`` tells, and the caller records a warning.
    With ``allow_point`` (importers of point inventories), a Point is accepted: the site then
    has no footprint and is flagged ``geom_approximate``.
    """
    types = validate.POLYGONAL_TYPES + (("Point",) if allow_point else ())
    try:
        validate.check_structure(geometry, allowed_types=types, max_vertices=max_vertices)
        raw_bbox = validate.bbox_of(geometry)
    except validate.GeometryIssue as issue:
        raise _geometry_error(issue.reason, issue.where) from None
    if srid != STORAGE_SRID and all(abs(v) <= 180 for v in raw_bbox):
        raise _geometry_error(
            f"coordinates look like degrees but EPSG:{srid} was declared", "coordinates"
        )
    if srid == STORAGE_SRID:  # check before PostGIS tries to project out-of-range degrees
        try:
            validate.check_in_france(raw_bbox, declared_srid=srid)
        except validate.GeometryIssue as issue:
            raise _geometry_error(issue.reason, issue.where) from None
    facts = repository.analyse_geometry(
        session,
        geojson=json.dumps(geometry),
        srid=srid,
        local_srid=local_srid(insee),
        repair=repair,
    )
    if isinstance(facts, str):
        raise _geometry_error(f"PostGIS cannot read it: {facts}")
    if not facts.valid:
        # ST_IsValidReason gives "Self-intersection[4.1 49.5]": split the place out.
        reason, _, where = facts.reason.partition("[")
        raise _geometry_error(reason.strip(), f"[{where}" if where else None)
    try:
        validate.check_in_france(facts.bbox, declared_srid=srid)
    except validate.GeometryIssue as issue:
        raise _geometry_error(issue.reason, issue.where) from None
    return facts


def _check_place(
    session: Session, principal: Principal, *, commune: Commune, facts: repository.GeometryFacts
) -> None:
    distance = repository.distance_to_commune_m(session, insee=commune.insee, geom=facts.geom)
    if distance is not None and distance > COMMUNE_TOLERANCE_M:
        raise InvalidInput(
            "the geometry is not in the declared commune",
            errors=[
                FieldError(
                    "properties.comm_insee",
                    f"the geometry lies {distance / 1000:.1f} km from commune {commune.nom} "
                    f"({commune.insee}); check comm_insee or the coordinates",
                )
            ],
        )
    if principal.role == "territory_staff" and principal.epci_siren:
        outside = repository.distance_to_epci_m(
            session, siren=principal.epci_siren, geom=facts.geom
        )
        if outside is not None and outside > EPCI_TOLERANCE_M:
            raise Forbidden(
                f"the geometry reaches {outside / 1000:.1f} km outside your EPCI "
                f"{principal.epci_siren}: staff may only place land in their own territory"
            )


# --- properties --------------------------------------------------------------------------------


def _commune_or_422(session: Session, insee: str) -> Commune:
    commune = repository.commune(session, insee)
    if commune is None:
        raise InvalidInput(
            f"unknown commune {insee!r}",
            errors=[
                FieldError(
                    "properties.comm_insee",
                    f"{insee!r} is not a commune INSEE code of the reference "
                    "(COG 2024, métropole and overseas members of an EPCI)",
                )
            ],
        )
    return commune


def jsonable(value: Any) -> Any:
    """Return a JSON-able form of a column value (ISO dates, floats for decimals)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def snapshot(site: Site) -> dict[str, Any]:
    """Return the audited column values of a site."""
    return {
        c.key: jsonable(getattr(site, c.key))
        for c in Site.__table__.columns
        if c.key not in _UNAUDITED
    }


def changed_properties(site: Site, properties: SiteProperties) -> dict[str, Any]:
    """Return the properties set in ``properties`` whose value differs from the site's."""
    current = snapshot(site)
    return {
        k: v
        for k, v in properties.model_dump(exclude_unset=True).items()
        if jsonable(v) != current.get(k)
    }


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _record(
    session: Session,
    principal: Principal,
    site: Site,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    repository.add_change(
        session,
        SiteChange(
            site_pk=site.id,
            action=action,
            api_key_id=principal.key_id,
            actor=principal.describe() if principal.is_authenticated else "system",
            version=site.version,
            before=before,
            after=after,
        ),
    )


def _refcad_list(value: str | None) -> list[str]:
    return sorted({i for i in (value or "").split("|") if i})


def _apply(site: Site, props: dict[str, Any]) -> None:
    for key, value in props.items():
        setattr(site, key, value)


def _set_commune(site: Site, commune: Commune) -> None:
    site.comm_insee = commune.insee
    site.epci_siren = commune.epci_siren
    site.departement_code = departement_of(commune.insee)


def _set_geometry(site: Site, facts: repository.GeometryFacts) -> None:
    site.geom = None if facts.is_point else facts.geom
    site.point = facts.point
    site.area_m2 = facts.area_m2
    site.geom_approximate = facts.is_point
    others = [w for w in site.warnings or [] if w.get("field") != "geometry"]
    if facts.repaired:
        others.append(
            {
                "field": "geometry",
                "reason": f"invalid geometry ({facts.reason}) repaired with ST_MakeValid",
            }
        )
    site.warnings = others or None


def _bump(site: Site) -> None:
    site.version = (site.version or 0) + 1
    site.updated_at = datetime.now(UTC)


def create_site(
    session: Session,
    principal: Principal,
    body: SiteCreate,
    *,
    header_crs: str | None = None,
    max_vertices: int = 100_000,
    repair: bool = False,
    allow_point: bool = False,
) -> Site:
    """Create a site from a GeoJSON Feature; staff only in their own EPCI.

    ``repair`` and ``allow_point`` are for importers of real files (see prepare_geometry).
    """
    auth_service.require_writer(principal)
    props = body.properties.model_dump(exclude_unset=True)
    missing = [name for name in ("kind", "site_nom", "comm_insee") if props.get(name) is None]
    if props.get("kind") == "friche" and props.get("site_type") is None:
        missing.append("site_type")
    if missing:
        raise InvalidInput(
            "required properties are missing",
            errors=[FieldError(f"properties.{name}", "required") for name in missing],
        )
    commune = _commune_or_422(session, props["comm_insee"])
    auth_service.require_territory(
        principal, commune.epci_siren, what=f"commune {commune.nom} ({commune.insee})"
    )
    site_id = body.id
    if site_id and repository.by_site_id(session, site_id) is not None:
        raise Conflict(
            f"site {site_id!r} already exists", errors=[FieldError("id", "already exists")]
        )
    srid = _declared_srid(body.crs, header_crs)
    facts = prepare_geometry(
        session,
        body.geometry,
        srid=srid,
        insee=commune.insee,
        max_vertices=max_vertices,
        repair=repair,
        allow_point=allow_point,
    )
    _check_place(session, principal, commune=commune, facts=facts)

    today = date.today()
    site = Site(
        site_id=site_id or f"{commune.insee}_FON{repository.next_local_number(session):05d}",
        comm_nom=commune.nom,
        site_identif_date=today,
        site_actu_date=today,
        urba_zaer="inconnu",
        source_nom="Foncier",
        published=False,
        version=1,
    )
    _apply(site, props)
    _set_commune(site, commune)
    _set_geometry(site, facts)
    repository.add(session, site)
    repository.set_parcels(session, site_pk=site.id, idus=_refcad_list(site.unite_fonciere_refcad))
    _record(session, principal, site, "create", None, snapshot(site))
    return site


def create_from_parcels(
    session: Session, principal: Principal, body: SiteFromParcels, *, max_vertices: int = 100_000
) -> Site:
    """Create a site whose geometry is the union of cadastre parcels (IDUs)."""
    auth_service.require_writer(principal)
    idus = sorted(set(body.parcels))
    geojson, found, main_commune = repository.parcels_union(session, idus)
    unknown = [i for i in idus if i not in set(found)]
    if unknown or geojson is None:
        raise InvalidInput(
            "unknown parcels",
            errors=[
                FieldError("parcels", f"parcel {i} is not in the cadastre loaded here")
                for i in unknown
            ],
        )
    props = body.properties.model_copy(
        update={
            "unite_fonciere_refcad": "|".join(idus),
            "comm_insee": body.properties.comm_insee or main_commune,
        }
    )
    feature = SiteCreate(type="Feature", id=body.id, geometry=json.loads(geojson), properties=props)
    # model_copy keeps the fields set on the original: mark the two we added as set.
    feature.properties.model_fields_set.update({"unite_fonciere_refcad", "comm_insee"})
    return create_site(session, principal, feature, max_vertices=max_vertices)


def _check_if_match(site: Site, if_match: str | None, *, required: bool) -> None:
    if if_match is None:
        if required:
            raise PreconditionRequired(
                "send If-Match with the ETag of the version you edit (GET the site first)"
            )
        return
    tags = [t.strip() for t in if_match.split(",")]
    if "*" not in tags and etag(site) not in tags:
        raise PreconditionFailed(
            f"the site changed since you read it: current ETag is {etag(site)}",
            headers={"ETag": etag(site)},
        )


def patch_site(
    session: Session,
    principal: Principal,
    site_id: str,
    body: SitePatch,
    *,
    if_match: str | None,
    header_crs: str | None = None,
    max_vertices: int = 100_000,
) -> Site:
    """Apply a JSON merge patch to a site's properties and/or geometry."""
    auth_service.require_writer(principal)
    site = get_visible(session, principal, site_id, for_update=True)
    auth_service.require_territory(principal, site.epci_siren, what=f"site {site_id}")
    _check_if_match(site, if_match, required=True)
    before = snapshot(site)
    before_geom = repository.geometry_geojson(session, site_pk=site.id)
    props = body.properties.model_dump(exclude_unset=True) if body.properties else {}
    required = {"kind", "site_nom", "comm_insee", "comm_nom", "urba_zaer", "published"}
    nulled = [k for k in required if k in props and props[k] is None]
    if nulled:
        raise InvalidInput(
            "required properties cannot be removed",
            errors=[FieldError(f"properties.{k}", "required: cannot be null") for k in nulled],
        )
    kind = props.get("kind", site.kind)
    if kind == "friche" and props.get("site_type", site.site_type) is None:
        raise InvalidInput(
            "a friche needs a site_type",
            errors=[FieldError("properties.site_type", "required for kind 'friche'")],
        )
    commune = _commune_or_422(session, props.get("comm_insee", site.comm_insee))
    if commune.insee != site.comm_insee:
        auth_service.require_territory(
            principal, commune.epci_siren, what=f"commune {commune.nom} ({commune.insee})"
        )
        props.setdefault("comm_nom", commune.nom)
    _apply(site, props)
    _set_commune(site, commune)
    geometry_changed = body.geometry is not None
    if geometry_changed:
        facts = prepare_geometry(
            session,
            body.geometry or {},
            srid=_declared_srid(body.crs, header_crs),
            insee=commune.insee,
            max_vertices=max_vertices,
        )
        _check_place(session, principal, commune=commune, facts=facts)
        _set_geometry(site, facts)
    elif commune.insee != before["comm_insee"] and site.geom is not None:
        facts = repository.GeometryFacts(
            True, "", (0, 0, 0, 0), site.area_m2 or 0.0, site.geom, site.point
        )
        _check_place(session, principal, commune=commune, facts=facts)
    if "unite_fonciere_refcad" in props:
        repository.set_parcels(
            session, site_pk=site.id, idus=_refcad_list(site.unite_fonciere_refcad)
        )
    if "site_actu_date" not in props:
        site.site_actu_date = date.today()
    _bump(site)
    session.flush()
    old, new = _diff(before, snapshot(site))
    if geometry_changed:
        old["geometry"] = before_geom
        new["geometry"] = repository.geometry_geojson(session, site_pk=site.id)
    _record(session, principal, site, "update", old, new)
    return site


def delete_site(
    session: Session, principal: Principal, site_id: str, *, if_match: str | None
) -> None:
    """Soft-delete a site (it disappears from listings; its history is kept)."""
    auth_service.require_writer(principal)
    site = get_visible(session, principal, site_id, for_update=True)
    auth_service.require_territory(principal, site.epci_siren, what=f"site {site_id}")
    _check_if_match(site, if_match, required=False)
    site.deleted_at = datetime.now(UTC)
    _bump(site)
    session.flush()
    _record(session, principal, site, "delete", None, {"deleted_at": jsonable(site.deleted_at)})


def history(session: Session, principal: Principal, site_id: str) -> list[dict[str, Any]]:
    """Return a site's changes, oldest first; anonymous callers see no actors or secrets."""
    site = get_visible(session, principal, site_id)
    entries = []
    for change in repository.history(session, site_pk=site.id):
        entry = {
            "at": change.at,
            "action": change.action,
            "version": change.version,
            "actor": change.actor if principal.is_authenticated else None,
            "before": change.before,
            "after": change.after,
        }
        if not principal.is_authenticated:
            for side in ("before", "after"):
                if entry[side]:
                    entry[side] = {
                        k: v
                        for k, v in entry[side].items()
                        if k not in repository.CONFIDENTIAL_COLUMNS
                    }
        entries.append(entry)
    return entries


# --- dossier -----------------------------------------------------------------------------------


def _procedure_dict(code: str, row: Procedure | None) -> dict[str, Any]:
    spec = catalogue()[code]
    base: dict[str, Any] = {"code": code, "name": spec.name, "status": None}
    if row is not None:
        base.update(
            {
                k: getattr(row, k)
                for k in (
                    "status",
                    "started_on",
                    "completed_on",
                    "valid_until",
                    "document_ref",
                    "document_url",
                    "notes",
                    "updated_at",
                )
            }
        )
    return base


def _known_code(code: str) -> str:
    if code not in catalogue():
        raise ProcedureNotFound(
            f"unknown procedure {code!r}",
            errors=[FieldError("code", "unknown procedure", allowed=list(catalogue()))],
        )
    return code


def list_procedures(session: Session, principal: Principal, site_id: str) -> list[dict[str, Any]]:
    """Return the whole dossier: every catalogue procedure, ``status`` null when unknown."""
    site = get_visible(session, principal, site_id)
    rows = {p.code: p for p in repository.procedures(session, site_pk=site.id)}
    return [_procedure_dict(code, rows.get(code)) for code in catalogue()]


def get_procedure(
    session: Session, principal: Principal, site_id: str, code: str
) -> dict[str, Any]:
    """Return one procedure of a site's dossier (``status`` null when never recorded)."""
    site = get_visible(session, principal, site_id)
    _known_code(code)
    return _procedure_dict(code, repository.procedure(session, site_pk=site.id, code=code))


def put_procedure(
    session: Session, principal: Principal, site_id: str, code: str, body: ProcedureWrite
) -> tuple[dict[str, Any], bool]:
    """Create or replace one dossier entry; return it and whether it was created."""
    auth_service.require_writer(principal)
    site = get_visible(session, principal, site_id, for_update=True)
    auth_service.require_territory(principal, site.epci_siren, what=f"site {site_id}")
    _known_code(code)
    errors = []
    if body.started_on and body.completed_on and body.completed_on < body.started_on:
        errors.append(FieldError("completed_on", "is before started_on"))
    if body.status == "done" and body.completed_on and body.completed_on > date.today():
        errors.append(FieldError("completed_on", "a done procedure cannot end in the future"))
    if body.status in ("todo", "not_needed") and body.completed_on:
        errors.append(FieldError("completed_on", f"a {body.status} procedure has no end date"))
    if errors:
        raise InvalidInput("inconsistent dossier entry", errors=errors)
    row = repository.procedure(session, site_pk=site.id, code=code)
    created = row is None
    before = None if created else _procedure_dict(code, row)
    if row is None:
        row = Procedure(site_pk=site.id, code=code)
        session.add(row)
    for key, value in body.model_dump().items():
        setattr(row, key, value)
    row.updated_at = func.now()
    _bump(site)
    session.flush()
    session.refresh(row)
    after = _procedure_dict(code, row)
    _record(
        session,
        principal,
        site,
        "procedure",
        {code: {k: jsonable(v) for k, v in before.items() if k != "updated_at"}}
        if before
        else None,
        {code: {k: jsonable(v) for k, v in after.items() if k != "updated_at"}},
    )
    return after, created


# --- exports -----------------------------------------------------------------------------------

EXPORT_FORMATS = ("cnig-csv", "geojson", "gpkg")


def export_cnig_csv(session: Session, principal: Principal, *, filters: SiteFilters) -> bytes:
    """Export the visible sites as a CNIG Friches v1.0.6 CSV (``,``, UTF-8, ISO dates)."""
    columns = cnig.field_names()
    where, params = filters.to_sql()
    rows = repository.cnig_rows(
        session,
        where=where,
        params=params,
        drafts=auth_service.can_see_drafts_of(principal),
        columns=columns,
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8")


def export_geojson(session: Session, principal: Principal, *, filters: SiteFilters) -> bytes:
    """Export the visible sites as one GeoJSON FeatureCollection (RFC 7946)."""
    where, params = filters.to_sql()
    lines = repository.feature_lines(
        session,
        where=where,
        params=params,
        drafts=auth_service.can_see_drafts_of(principal),
        hidden=hidden_columns(principal),
    )
    return ('{"type": "FeatureCollection", "features": [' + ",\n".join(lines) + "]}").encode(
        "utf-8"
    )


def export_gpkg(session: Session, principal: Principal, *, filters: SiteFilters) -> bytes:
    """Export the visible sites as a GeoPackage (layer ``sites``, EPSG:4326)."""
    import pyogrio

    geojson = export_geojson(session, principal, filters=filters)
    frame = pyogrio.read_dataframe(io.BytesIO(geojson))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sites.gpkg"
        pyogrio.write_dataframe(frame, path, layer="sites", driver="GPKG", promote_to_multi=True)
        return path.read_bytes()


def built_footprint(session: Session, principal: Principal, site_id: str) -> dict[str, Any]:
    """The cadastre buildings on a site: count and footprint (m², local projected CRS)."""
    site = get_visible(session, principal, site_id)
    return {"site_id": site.site_id, **repository.buildings(session, site_pk=site.id)}
