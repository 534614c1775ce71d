"""Services of the matching slice that need the database (the rules themselves are pure)."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.service import Principal
from app.derived import service as derived
from app.errors import FieldError, InvalidInput, NotAuthenticated
from app.matching import criteria as c
from app.matching import permits
from app.matching import sql as match_sql
from app.matching.schemas import MatchRequest
from app.sites import repository as sites_repository
from app.sites import service as sites_service
from app.zan import rules as zan_rules
from app.zan import service as zan_service


def time_to_permits(
    session: Session,
    principal: Principal,
    site_id: str,
    *,
    icpe: str | None,
    grid: tuple[float, float, float] | None = None,
    today: date | None = None,
) -> permits.PermitEstimate:
    """Estimate the months until a site's permits are final for a project (DOMAIN.md §5)."""
    site = sites_service.get_visible(session, principal, site_id)
    dossier = {
        p.code: permits.DossierEntry(p.status, p.started_on)
        for p in sites_repository.procedures(session, site_pk=site.id)
    }
    try:
        span = permits.Span(*grid) if grid else None
    except ValueError as exc:
        raise InvalidInput(
            "invalid grid connection durations", errors=[FieldError("grid_min", str(exc))]
        ) from None
    return permits.estimate(
        dossier,
        permits.Project(icpe=icpe, grid_connection_months=span),
        today=today or date.today(),
    )


# --- Ranking ---------------------------------------------------------------------------------

#: Tables holding the codes a location may name (code constants, never user input).
_LOCATION_TABLES = {
    "regions": ("region", "code"),
    "departements": ("departement", "code"),
    "epcis": ("epci", "siren"),
    "territoires_industrie": ("territoire_industrie", "id"),
}


def build_requirements(body: MatchRequest) -> c.Requirements:
    """Turn a validated request into typed requirements (no database; raises RequirementError)."""
    loc_in = body.criteria.location
    location = c.Location()
    if loc_in is not None:
        location = c.Location(
            regions=tuple(loc_in.regions),
            departements=tuple(loc_in.departements),
            epcis=tuple(loc_in.epcis),
            territoires_industrie=tuple(loc_in.territoires_industrie),
            point=(loc_in.point.lon, loc_in.point.lat) if loc_in.point else None,
            radius_km=loc_in.radius_km,
        )
    raw = body.criteria.model_dump(exclude_none=True, exclude={"location"})
    return c.Requirements(criteria=c.parse(raw), location=location, icpe=body.icpe)


def requirements(session: Session, principal: Principal, body: MatchRequest) -> c.Requirements:
    """Turn the request into typed requirements, or raise 422/401 naming the field."""
    if body.criteria.price_m2 is not None and not principal.is_authenticated:
        # Prices are confidential (sites slice): ranking by price would reveal them.
        raise NotAuthenticated("criteria.price_m2 needs an API key: prices are confidential")
    try:
        reqs = build_requirements(body)
    except c.RequirementError as exc:
        raise InvalidInput(
            "invalid requirements", errors=[FieldError(exc.field, exc.reason, allowed=exc.allowed)]
        ) from None
    _check_location_codes(session, reqs.location)
    return reqs


def _check_location_codes(session: Session, location: c.Location) -> None:
    errors = []
    for name, (table, column) in _LOCATION_TABLES.items():
        codes = list(getattr(location, name))
        if not codes:
            continue
        known = set(
            session.scalars(
                text(f"SELECT {column} FROM {table} WHERE {column} = ANY(:codes)"),
                {"codes": codes},
            ).all()
        )
        errors.extend(
            FieldError(f"criteria.location.{name}", f"unknown code {code!r}")
            for code in codes
            if code not in known
        )
    if errors:
        raise InvalidInput("unknown location codes", errors=errors)


def _facts(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in match_sql.FACT_SQL}


def rank(
    session: Session,
    req: c.Requirements,
    *,
    limit: int,
    offset: int,
    include_excluded: bool,
) -> tuple[list[Any], int, int]:
    """Return the page of ranked rows (pk, site_id, score, eligible) and the two counts."""
    derived.refresh_stale_permits(session)
    compiled = match_sql.ranking(req, limit=limit, offset=offset, include_excluded=include_excluded)
    rows = session.execute(text(compiled.sql), compiled.params).all()
    # One row at least: the counts, with an empty page past the last site.
    n_eligible, n_total = (rows[0].n_eligible, rows[0].n_total) if rows else (0, 0)
    return [r for r in rows if r.pk is not None], n_eligible, n_total


_DETAILS_SQL = text(
    "SELECT s.id, s.site_nom, s.kind, s.comm_nom, s.comm_insee, s.epci_siren, "
    "CASE WHEN d.mutability IS NOT NULL THEN jsonb_build_object("
    "'version', d.mutability->'version', 'usages', "
    "jsonb_path_query_array(d.mutability, '$.usages[*] ? (@.usage == \"industrie\")'), "
    "'fiabilite', (d.mutability->'fiabilite') - 'detailCriteres'::text) END AS mutability, "
    "d.mutability_index, d.zan, "
    "ST_AsGeoJSON(COALESCE(s.geom, s.point), 7) AS geometry "
    "FROM site s LEFT JOIN site_derived d ON d.site_pk = s.id WHERE s.id = ANY(:pks)"
)


def explain(
    session: Session,
    req: c.Requirements,
    rows: list[Any],
    *,
    offset: int,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """Explain ranked sites: criteria, failed constraints, permits, ZAN, mutability."""
    if not rows:
        return []
    pks = [r.pk for r in rows]
    compiled = match_sql.facts(c.Requirements(icpe=req.icpe), pks=pks)
    facts = {f.pk: _facts(f) for f in session.execute(text(compiled.sql), compiled.params)}
    details = {d.id: d for d in session.execute(_DETAILS_SQL, {"pks": pks})}
    dossiers = derived.dossiers(session, pks)
    envelopes = zan_service.territory_envelopes(
        session,
        communes=[d.comm_insee for d in details.values()],
        epcis=[d.epci_siren for d in details.values() if d.epci_siren],
    )
    project = permits.Project(icpe=req.icpe)
    day = today or date.today()
    weight = req.total_weight
    # Most sites share a dossier (often an empty one): estimate each distinct dossier once.
    estimates: dict[derived.Dossier, dict[str, Any]] = {}

    def time_to_permits(pk: int) -> dict[str, Any]:
        dossier = dossiers.get(pk, ())
        if dossier not in estimates:
            estimate = permits.estimate(derived.dossier_entries(dossier), project, today=day)
            estimates[dossier] = permits_dict(estimate)
        return estimates[dossier]

    out = []
    for i, row in enumerate(rows):
        ranked = c.evaluate(req.criteria, facts[row.pk])
        detail = details[row.pk]
        out.append(
            {
                "rank": offset + i + 1,
                "site_id": row.site_id,
                "name": detail.site_nom,
                "kind": detail.kind,
                "commune": detail.comm_nom,
                "comm_insee": detail.comm_insee,
                "epci_siren": detail.epci_siren,
                "score": round(row.score, 2),
                "eligible": row.eligible,
                "criteria": [
                    _criterion(r, e, weight)
                    for r, e in zip(req.criteria, ranked.evaluations, strict=True)
                ],
                "failed": [
                    {"criterion": e.criterion, "reason": e.reason or e.status}
                    for e in ranked.failed
                ],
                "time_to_permits": time_to_permits(row.pk),
                "zan": zan_summary(detail, envelopes),
                "mutability": mutability_summary(detail.mutability, detail.mutability_index),
                "geometry": detail.geometry,
            }
        )
    return out


def _envelope(code: str | None, env: zan_rules.Envelope | None, take: float | None) -> Any:
    if code is None:
        return None
    if env is None:
        return {"code": code, "data_available": False}
    share = zan_rules.share_of_remaining(take, env)
    return {
        "code": code,
        "data_available": True,
        "allowed_m2": env.allowed_m2,
        "consumed_since_m2": env.consumed_since_m2,
        "remaining_m2": env.remaining_m2,
        "used_share": env.used_share,
        "latest_year": env.latest_year,
        "target_rate": env.target.rate,
        "site_share_of_remaining": share.share,
        "exceeds_remaining": share.exceeds_remaining,
    }


def zan_summary(
    detail: Any, envelopes: dict[tuple[str, str], zan_rules.Envelope]
) -> dict[str, Any] | None:
    """Return the site's ZAN take and its host territories' headroom (docs/zan.md).

    The host commune's and EPCI's envelopes (allowed 2021–2030, consumed, remaining) come from
    the NAF-consumption data loaded (``foncier import zan-consumption``); without it they say
    ``data_available: false``.
    """
    take = detail.zan
    if take is None:
        return None
    naf = take.get("naf_new_m2")
    return {
        "naf_new_m2": naf,
        "artificialised_new_m2": take.get("artificialised_new_m2"),
        "sobriety_score": take.get("sobriety_score"),
        "rule": take.get("rule"),
        "reason": take.get("reason"),
        "host": {
            "commune": _envelope(
                detail.comm_insee, envelopes.get(("commune", detail.comm_insee)), naf
            ),
            "epci": _envelope(
                detail.epci_siren, envelopes.get(("epci", detail.epci_siren or "")), naf
            ),
        },
    }


def mutability_summary(doc: dict[str, Any] | None, index: float | None) -> dict[str, Any] | None:
    """Return the industry usage of a stored Mutafriches answer, with the reliability note.

    The whole answer (seven usages, criteria detail) stays on ``GET /api/v1/sites/{id}`` and
    ``POST /api/v1/mutability``; a ranking shows ADEME's index for industry. ``index`` is the
    stored one: None when industry is excluded or nothing could be scored.
    """
    if not doc:
        return None
    usage = next((u for u in doc["usages"] if u["usage"] == "industrie"), None)
    reliability = doc.get("fiabilite", {})
    return {
        "version": doc["version"],
        "usage": "industrie",
        "indice": index,
        "potentiel": usage and usage.get("potentiel"),
        "rang": usage and usage.get("rang"),
        "exclu": usage and usage.get("exclu"),
        "fiabilite": {
            k: reliability[k]
            for k in ("note", "text", "criteresRenseignes", "criteresTotal")
            if k in reliability
        },
        "criteres_non_renseignes": reliability.get("criteresNonRenseignes"),
    }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _criterion(req: c.Requirement, ev: c.Evaluation, weight: float) -> dict[str, Any]:
    score = ev.score
    contribution = 0.0 if weight == 0 or score is None else 100.0 * req.weight * score / weight
    return {
        "criterion": req.key,
        "label": req.label,
        "unit": req.unit,
        "value": _jsonable(ev.value),
        "requirement": req.requirement(),
        "must": req.must,
        "weight": req.weight,
        "status": ev.status,
        "score": None if score is None else round(score, 4),
        "contribution": round(contribution, 2),
        "reason": ev.reason,
    }


def _span(span: permits.Span) -> dict[str, float]:
    return {"min": span.min, "typical": span.typical, "max": span.max}


def _scheduled(p: permits.ScheduledProcedure) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "status": p.status,
        "start": _span(p.start),
        "end": _span(p.end),
    }


def permits_dict(estimate: permits.PermitEstimate) -> dict[str, Any]:
    """Return a permit estimate as plain JSON-ready data (as TimeToPermitsRead)."""
    return {
        "months": _span(estimate.months),
        "critical_path": list(estimate.critical_path),
        "remaining": [_scheduled(p) for p in estimate.remaining],
        "works_delays": [_scheduled(p) for p in estimate.works_delays],
        "assumptions": list(estimate.assumptions),
    }


def geojson(answer: dict[str, Any]) -> bytes:
    """Return the answer as a GeoJSON FeatureCollection (geometry = the site's footprint)."""
    features = []
    for result in answer["results"]:
        props = {k: v for k, v in result.items() if k != "geometry"}
        features.append(
            {
                "type": "Feature",
                "id": result["site_id"],
                "geometry": orjson.Fragment(result["geometry"]) if result["geometry"] else None,
                "properties": props,
            }
        )
    body = {k: v for k, v in answer.items() if k != "results"}
    return orjson.dumps({"type": "FeatureCollection", **body, "features": features})
