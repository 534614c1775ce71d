"""Errors of the imports slice."""

from app.errors import NotFound


class QuarantineNotFound(NotFound):
    """No quarantined row with this id visible to the caller."""

    code = "quarantine_not_found"

    def __init__(self, quarantine_id: int) -> None:
        super().__init__(f"no quarantined row {quarantine_id}")
