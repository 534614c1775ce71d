"""Routes of the polluted-site registers."""

from typing import Any

from fastapi import APIRouter

from app.auth.dependencies import PrincipalDep
from app.db import SessionDep
from app.errors import ERROR_RESPONSES
from app.pollution import repository
from app.pollution.service import NEARBY_RADIUS_M
from app.sites import service as sites_service

router = APIRouter(prefix="/api/v1", tags=["pollution"], responses=ERROR_RESPONSES)


@router.get("/sites/{site_id}/polluted-sites")
def polluted_sites_near(
    site_id: str, session: SessionDep, principal: PrincipalDep
) -> list[dict[str, Any]]:
    """BASOL and ADEME polluted sites within 500 m of the site, nearest first."""
    site = sites_service.get_visible(session, principal, site_id)
    return repository.near_site(session, site_pk=site.id, radius_m=NEARBY_RADIUS_M)
