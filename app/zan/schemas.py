"""Response schemas of the ZAN slice (areas in hectares, yearly series in m² as in the source)."""

from typing import Literal

from pydantic import BaseModel, Field

from app.zan import rules
from app.zan.service import TerritoryZan


def _ha(m2: float | None) -> float | None:
    return None if m2 is None else round(m2 / rules.M2_PER_HA, 4)


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


class TerritoryRead(BaseModel):
    """The commune or EPCI asked for."""

    type: Literal["commune", "epci"]
    code: str
    nom: str
    epci_siren: str | None = Field(None, description="the commune's EPCI (COG table)")


class TargetRead(BaseModel):
    """The reduction target applied, as a percentage, and where it comes from."""

    reduction_percent: float
    kind: Literal["default", "sraddet_region", "territorialised"]
    source: str
    land: str | None = Field(None, description="the land the target was published for")


class PeriodRead(BaseModel):
    """Years Y, each the flow 1 January Y → 1 January Y+1."""

    start: int
    end: int


class SourceRead(BaseModel):
    """Where the figures come from."""

    name: str
    millesime: int
    first_year: int
    last_year: int


class ProjectionRead(BaseModel):
    """Consumption over the target period if the rate since its start goes on."""

    method: str
    yearly_rate_ha: float
    consumption_ha: float
    used_percent: float | None
    exceeded_in: int | None = Field(
        None, description="the year the envelope is (or would be) exceeded; null: not by the end"
    )


class TakeRead(BaseModel):
    """Share of the remaining envelope a NAF take would use."""

    naf_take_m2: float
    remaining_ha: float | None
    share_percent: float | None
    exceeds_remaining: bool | None
    reason: str | None = None


class YearRead(BaseModel):
    """NAF consumption of one year (m²), total and by destination."""

    year: int
    total_m2: float
    activite_m2: float | None
    habitat_m2: float | None
    mixte_m2: float | None
    route_m2: float | None
    ferroviaire_m2: float | None
    inconnu_m2: float | None


class TerritoryZanRead(BaseModel):
    """A territory's NAF-consumption envelope (DOMAIN.md §4; docs/zan.md explains each figure)."""

    territory: TerritoryRead
    data_available: bool = Field(description="false: no (complete) figures; see message")
    message: str | None = None
    missing_years: list[int] = []
    source: SourceRead | None = None
    coverage: str | None = None
    target: TargetRead
    reference_period: PeriodRead
    target_period: PeriodRead
    reference_consumption_ha: float | None = None
    allowed_ha: float | None = None
    floor_applied: bool | None = None
    overrun_percent: float | None = None
    consumed_since_ha: float | None = None
    consumed_since_period: PeriodRead | None = None
    remaining_ha: float | None = None
    used_percent: float | None = None
    projection: ProjectionRead | None = None
    naf_take: TakeRead | None = None
    series: list[YearRead] = []

    @classmethod
    def of(cls, answer: TerritoryZan) -> "TerritoryZanRead":
        """Build the response from the service's answer."""
        p = rules.load_parameters()
        ref, env, data = answer.territory, answer.envelope, answer.data
        target = answer.target
        read = cls(
            territory=TerritoryRead(
                type=ref.territory_type,  # type: ignore[arg-type]
                code=ref.code,
                nom=ref.nom,
                epci_siren=ref.epci_siren,
            ),
            data_available=env is not None,
            message=answer.message,
            missing_years=answer.missing_years,
            source=SourceRead(
                name=data.source,
                millesime=data.millesime,
                first_year=data.first_year,
                last_year=data.last_year,
            )
            if data is not None
            else None,
            coverage=answer.coverage,
            target=TargetRead(
                reduction_percent=round(target.rate * 100, 2),
                kind=target.kind,
                source=target.source,
                land=target.land,
            ),
            reference_period=PeriodRead(start=p.reference_start, end=p.reference_end),
            target_period=PeriodRead(start=p.target_start, end=p.target_end),
            series=[YearRead.model_validate(row, from_attributes=True) for row in answer.series],
        )
        if env is not None:
            read.reference_consumption_ha = _ha(env.reference_m2)
            read.allowed_ha = _ha(env.allowed_m2)
            read.floor_applied = env.floor_applied
            read.overrun_percent = _pct(env.overrun)
            read.consumed_since_ha = _ha(env.consumed_since_m2)
            read.consumed_since_period = (
                PeriodRead(start=env.target_start, end=env.latest_year) if env.latest_year else None
            )
            read.remaining_ha = _ha(env.remaining_m2)
            read.used_percent = _pct(env.used_share)
            if env.projection is not None:
                pr = env.projection
                read.projection = ProjectionRead(
                    method=pr.method,
                    yearly_rate_ha=_ha(pr.yearly_rate_m2) or 0.0,
                    consumption_ha=_ha(pr.consumption_m2) or 0.0,
                    used_percent=_pct(pr.used_share),
                    exceeded_in=pr.exceeded_in,
                )
        if answer.take is not None:
            take = answer.take
            read.naf_take = TakeRead(
                naf_take_m2=take.take_m2 or 0.0,
                remaining_ha=_ha(take.remaining_m2),
                share_percent=_pct(take.share),
                exceeds_remaining=take.exceeds_remaining,
                reason=take.reason,
            )
        return read
