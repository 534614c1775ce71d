"""Routes of the matching slice: time to permits of a site (the ranking comes next)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.auth.dependencies import PrincipalDep
from app.db import SessionDep
from app.errors import ERROR_RESPONSES, FieldError, InvalidInput
from app.matching import service
from app.matching.permits import ICPE_REGIMES, PermitEstimate
from app.matching.schemas import TimeToPermitsRead

router = APIRouter(prefix="/api/v1", tags=["matching"], responses=ERROR_RESPONSES)
Icpe = Literal[ICPE_REGIMES]  # type: ignore[valid-type]


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
