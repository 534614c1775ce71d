"""Errors of the ZAN slice."""

from app.errors import FieldError, InvalidInput, NotFound


class ZanFileInvalid(InvalidInput):
    """A NAF-consumption file is not in Cerema's layout, or some of its rows are malformed."""

    code = "invalid_zan_file"

    def __init__(self, message: str, errors: list[FieldError]) -> None:
        super().__init__(message, errors=errors)


class TerritoryNotFound(NotFound):
    """No commune or EPCI with this code."""

    code = "territory_not_found"

    def __init__(self, code: str) -> None:
        kind = "commune" if len(code) == 5 else "EPCI"
        super().__init__(f"no {kind} {code!r}")
