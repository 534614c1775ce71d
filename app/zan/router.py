"""Routes of the ZAN slice: a territory's NAF-consumption envelope (thin: parse, call, return)."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.errors import ERROR_RESPONSES
from app.zan import service
from app.zan.schemas import TerritoryZanRead

router = APIRouter(prefix="/api/v1/territories", tags=["zan"], responses=ERROR_RESPONSES)


@router.get("/{code}/zan", response_model=TerritoryZanRead)
def territory_zan(
    code: str,
    session: SessionDep,
    naf_take_m2: Annotated[
        float | None,
        Query(ge=0, description="a NAF take (m²): the share of the remaining envelope it uses"),
    ] = None,
) -> TerritoryZanRead:
    """ZAN envelope of a commune (INSEE code) or an EPCI (SIREN): reference consumption
    2011–2020, allowed 2021–2030, consumed since 2021, remaining, % used, projection to 2030,
    the target and its source, and the yearly series (DOMAIN.md §4, docs/zan.md)."""
    return TerritoryZanRead.of(service.territory_zan(session, code, naf_take_m2=naf_take_m2))
