"""Services of the matching slice that need the database (the rules themselves are pure)."""

from datetime import date

from sqlalchemy.orm import Session

from app.auth.service import Principal
from app.errors import FieldError, InvalidInput
from app.matching import permits
from app.sites import repository as sites_repository
from app.sites import service as sites_service


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
