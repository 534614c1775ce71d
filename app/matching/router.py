"""Routes of the matching slice: rank sites for a project, and a site's time to permits."""

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request, Response

from app.auth.dependencies import PrincipalDep
from app.db import SessionDep
from app.errors import ERROR_RESPONSES, FieldError, InvalidInput
from app.matching import service
from app.matching.permits import ICPE_REGIMES, PermitEstimate
from app.matching.schemas import MatchAnswer, MatchRequest, TimeToPermitsRead

router = APIRouter(prefix="/api/v1", tags=["matching"], responses=ERROR_RESPONSES)
Icpe = Literal[ICPE_REGIMES]  # type: ignore[valid-type]
GEOJSON = "application/geo+json"
#: Deepest offset served: a ranking is read from the top; deeper pages mean a too-broad search.
MAX_OFFSET = 10_000


@router.post(
    "/matches",
    response_model=MatchAnswer,
    responses={200: {"content": {GEOJSON: {}}, "description": "Ranked sites, best first"}},
)
def matches(
    body: MatchRequest,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Sites per page")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Sites skipped")] = 0,
    include_excluded: Annotated[
        bool, Query(description="Also return the sites a hard constraint excludes (why not)")
    ] = False,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Rank the published sites against a project's requirements, best first, and say why.

    Each criterion is a hard constraint (`must`) or a weighted preference; the total score is
    `100 × Σ weight × score / Σ weight` (docs/scoring.md). Ties are broken by `site_id`.
    Unknown site data is reported as `unknown`, never counted as a match; a `must` on an unknown
    value fails with that reason. With `Accept: application/geo+json` the answer is a
    FeatureCollection. The `next` link is to be POSTed with the same body.
    """
    reqs = service.requirements(session, principal, body)
    rows, n_eligible, n_total = service.rank(
        session, reqs, limit=limit, offset=offset, include_excluded=include_excluded
    )
    results = service.explain(session, reqs, rows, offset=offset)
    links = []
    total = n_total if include_excluded else n_eligible
    base = request.url.remove_query_params(["offset"])
    if offset + limit < total:
        links.append({"rel": "next", "href": str(base.include_query_params(offset=offset + limit))})
    if offset > 0:
        prev = max(offset - limit, 0)
        links.append({"rel": "prev", "href": str(base.include_query_params(offset=prev))})
    answer = {
        "numberMatched": n_eligible,
        "numberExcluded": (n_total - n_eligible) if include_excluded else None,
        "numberReturned": len(results),
        "icpe": reqs.icpe,
        "results": results,
        "links": [{**link, "type": "application/json", "method": "POST"} for link in links],
    }
    if accept and GEOJSON in accept:
        return Response(service.geojson(answer), media_type=GEOJSON)
    for r in results:
        del r["geometry"]
    return Response(orjson.dumps(answer), media_type="application/json")


@router.get("/sites/{site_id}/time-to-permits", response_model=TimeToPermitsRead)
def time_to_permits(
    site_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    icpe: Annotated[Icpe | None, Query(description="ICPE regime of the project")] = None,
    grid_min: Annotated[float | None, Query(ge=0, description="grid connection, months")] = None,
    grid_typical: Annotated[float | None, Query(ge=0)] = None,
    grid_max: Annotated[float | None, Query(ge=0)] = None,
) -> PermitEstimate:
    """Months until the site's permits are final for a project, from its dossier (DOMAIN §5)."""
    grid = (grid_min, grid_typical, grid_max)
    if any(v is not None for v in grid) and any(v is None for v in grid):
        raise InvalidInput(
            "grid connection durations go together",
            errors=[FieldError("grid_min", "give grid_min, grid_typical and grid_max, or none")],
        )
    return service.time_to_permits(
        session,
        principal,
        site_id,
        icpe=icpe,
        grid=None if grid[0] is None else (grid[0], grid[1], grid[2]),  # type: ignore[arg-type]
    )
