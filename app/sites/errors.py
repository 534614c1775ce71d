"""Errors of the site catalogue."""

from app.errors import NotFound


class SiteNotFound(NotFound):
    """No visible site with this id."""

    code = "site_not_found"

    def __init__(self, site_id: str) -> None:
        super().__init__(f"no site {site_id!r}")


class ProcedureNotFound(NotFound):
    """No entry for this procedure in the site's dossier."""

    code = "procedure_not_found"
