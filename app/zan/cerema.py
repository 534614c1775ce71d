"""Reader of Cerema's national NAF-consumption file (one row per commune), any millésime.

Layout (``data/zan/SOURCES.md``, Cerema "consommation d'espaces NAF", e.g.
``conso2009-2024-resultats-com.csv``): ``;``-separated (``,`` and tab are accepted too), UTF-8 or
Windows-1252, gzip or not; columns

- ``idcom`` (INSEE code), ``idcomtxt`` (name), ``epci{YY}`` / ``epci{YY}txt`` (the EPCI of the
  millésime's COG), ``surfcom{YYYY}`` (area, m²);
- ``naf{AA}art{BB}`` with BB = AA + 1: the NAF consumption from 1 January 20AA to 1 January 20BB
  (m²), stored as year 20AA; ``art{AA}{act|hab|mix|rou|fer|inc}{BB}`` the same flow by
  destination. Multi-year totals (``naf09art24``, ``art09act24``), ratios and population columns
  are ignored.

Years present vary by millésime (2009–2023 in 2024, 2011–2024 in 2025): the years are read from
the header. Column names are matched case-insensitively. A blank or ``NA`` cell is a year without
a figure (the envelope then says which year is missing); a value that is not a number, a negative
total, a bad INSEE or SIREN code or a repeated commune is an error naming the row and the column.
"""

import csv
import gzip
import hashlib
import io
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import FieldError
from app.progress import Progress, no_progress
from app.zan.errors import ZanFileInvalid

#: Destination suffixes of the Cerema file → Foncier column names (``zan_consumption``).
DESTINATIONS = {
    "act": "activite",
    "hab": "habitat",
    "mix": "mixte",
    "rou": "route",
    "fer": "ferroviaire",
    "inc": "inconnu",
}
_TOTAL = re.compile(r"^naf(\d{2})art(\d{2})$")
_DEST = re.compile(r"^art(\d{2})(act|hab|mix|rou|fer|inc)(\d{2})$")
_EPCI = re.compile(r"^epci(\d{2})$")
_EPCI_NAME = re.compile(r"^epci(\d{2})txt$")
_SURFACE = re.compile(r"^surfcom(\d{4})$")
_INSEE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")
_SIREN = re.compile(r"^\d{9}$")
_BLANK = {"", "na", "n/a", "nr", "nd", "null", "-"}
#: Destinations are a split of the total rounded to the m²: Cerema's files hold a few −1/−2 m².
MIN_DESTINATION_M2 = -10.0


@dataclass(frozen=True)
class Layout:
    """Which column holds what, read from the header."""

    code: str
    name: str | None
    epci: str | None
    epci_name: str | None
    surface: str | None
    #: year → column of the yearly total.
    totals: dict[int, str]
    #: (year, destination) → column.
    destinations: dict[tuple[int, str], str]
    ignored: list[str]

    @property
    def years(self) -> list[int]:
        """Years with a total column, ascending."""
        return sorted(self.totals)

    @property
    def millesime(self) -> int:
        """The file's millésime: the year its last flow ends (2024 for ``naf23art24``)."""
        return max(self.totals) + 1


@dataclass
class CommuneRow:
    """One commune of the file (areas in m²; None = no figure)."""

    row: int
    code: str
    name: str | None
    epci_siren: str | None
    epci_name: str | None
    surface_m2: float | None
    totals: dict[int, float | None]
    destinations: dict[int, dict[str, float | None]]


@dataclass
class CeremaFile:
    """A parsed file: its layout, communes, warnings and checksum."""

    layout: Layout
    communes: list[CommuneRow]
    sha256: str
    warnings: list[FieldError] = field(default_factory=list)


def _year(two_digits: str) -> int:
    return 2000 + int(two_digits)


def read_layout(header: list[str]) -> Layout:
    """Map the header's columns; ZanFileInvalid if the commune code or every year is missing."""
    names = [h.strip().lower() for h in header]
    totals: dict[int, str] = {}
    destinations: dict[tuple[int, str], str] = {}
    epci = epci_name = surface = None
    ignored = []
    for name in names:
        if (m := _TOTAL.match(name)) and int(m[2]) == int(m[1]) + 1:
            totals[_year(m[1])] = name
        elif (m := _DEST.match(name)) and int(m[3]) == int(m[1]) + 1:
            destinations[(_year(m[1]), DESTINATIONS[m[2]])] = name
        elif m := _EPCI.match(name):
            epci = max(epci or name, name)  # the latest millésime if several
        elif m := _EPCI_NAME.match(name):
            epci_name = max(epci_name or name, name)
        elif m := _SURFACE.match(name):
            surface = max(surface or name, name)
        elif name not in ("idcom", "idcomtxt"):
            ignored.append(name)
    problems = []
    if "idcom" not in names:
        problems.append(FieldError("idcom", "missing column: the INSEE code of the commune"))
    if not totals:
        problems.append(
            FieldError(
                "naf{AA}art{BB}",
                "no yearly consumption column (naf09art10, naf10art11 …): not a Cerema "
                "NAF-consumption file",
            )
        )
    if problems:
        raise ZanFileInvalid("the file's header is not that of a Cerema commune file", problems)
    return Layout(
        code="idcom",
        name="idcomtxt" if "idcomtxt" in names else None,
        epci=epci,
        epci_name=epci_name,
        surface=surface,
        totals=totals,
        destinations=destinations,
        ignored=ignored,
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _delimiter(first_line: str) -> str:
    for delimiter in (";", "\t", ","):
        if delimiter in first_line:
            return delimiter
    return ";"


def _number(text: str | None) -> float | None:
    """Parse a cell: None for a blank; ValueError for anything that is not a number."""
    try:
        number = float(text)  # type: ignore[arg-type]  # the common case, fast
    except (TypeError, ValueError):
        value = (text or "").strip().replace("\u00a0", "").replace(" ", "")
        if value.lower() in _BLANK:
            return None
        number = float(value.replace(",", "."))
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _rows(text: str) -> Iterator[list[str]]:
    lines = io.StringIO(text, newline="")
    first = text.split("\n", 1)[0]
    yield from csv.reader(lines, delimiter=_delimiter(first))


_Figures = tuple[dict[int, float | None], dict[int, dict[str, float | None]]]


class _RowReader:
    """Parse one data row against the layout, collecting its errors and warnings."""

    def __init__(self, layout: Layout, header: list[str]) -> None:
        self.layout = layout
        self.width = len(header)
        self.index = {h.strip().lower(): i for i, h in enumerate(header)}
        self.totals = [(y, c, self.index[c]) for y, c in sorted(layout.totals.items())]
        self.destinations = [
            (y, d, c, self.index[c]) for (y, d), c in sorted(layout.destinations.items())
        ]
        self.seen: dict[str, int] = {}
        self.warnings: list[FieldError] = []

    def _fast_figures(self, cells: list[str]) -> _Figures | None:
        """The yearly figures when every cell is a plain, valid number (most rows), else None."""
        try:
            totals = [float(cells[i]) for _, _, i in self.totals]
            dests = [float(cells[i]) for _, _, _, i in self.destinations]
        except ValueError:
            return None
        if not math.isfinite(sum(totals) + sum(dests)) or min(totals) < 0:
            return None
        if dests and min(dests) < MIN_DESTINATION_M2:
            return None
        by_year: dict[int, dict[str, float | None]] = {}
        for (year, destination, _, _), value in zip(self.destinations, dests, strict=True):
            by_year.setdefault(year, {})[destination] = value
        return {y: v for (y, _, _), v in zip(self.totals, totals, strict=True)}, by_year

    def _checked_figures(
        self,
        cells: list[str],
        number_of: Callable[[str, int], float | None],
        errors: list[FieldError],
        where: str,
    ) -> _Figures:
        """The yearly figures cell by cell, with an error for each bad one (blanks are None)."""
        totals: dict[int, float | None] = {}
        for year, column, i in self.totals:
            value = number_of(column, i)
            if value is not None and value < 0:
                reason = f"negative NAF consumption ({value:g} m²)"
                errors.append(FieldError(column, reason, where=where))
            totals[year] = value
        destinations: dict[int, dict[str, float | None]] = {}
        for year, destination, column, i in self.destinations:
            value = number_of(column, i)
            if value is not None and value < MIN_DESTINATION_M2:
                reason = (
                    f"negative consumption for {destination} ({value:g} m²; rounding gives at "
                    f"most {MIN_DESTINATION_M2:g})"
                )
                errors.append(FieldError(column, reason, where=where))
            destinations.setdefault(year, {})[destination] = value
        return totals, destinations

    def parse(self, number: int, cells: list[str]) -> tuple[CommuneRow | None, list[FieldError]]:
        """Return the commune of row ``number`` (None if malformed) and the row's errors."""
        layout = self.layout
        errors: list[FieldError] = []

        def cell(column: str | None) -> str | None:
            return None if column is None else cells[self.index[column]].strip()

        code = cells[self.index["idcom"]].strip() if len(cells) > self.index["idcom"] else ""
        where = f"row {number} (line {number + 1}, idcom {code or '?'})"
        if len(cells) != self.width:
            reason = f"{len(cells)} values for {self.width} columns (a separator inside a value?)"
            return None, [FieldError("row", reason, where=where)]

        def number_of(column: str, i: int | None = None) -> float | None:
            try:
                return _number(cells[self.index[column] if i is None else i])
            except ValueError:
                errors.append(
                    FieldError(column, f"{cell(column)!r} is not a number (m²)", where=where)
                )
                return None

        if re.fullmatch(r"\d{4}", code):
            reason = f"{code!r} read as {code.zfill(5)!r} (leading 0 lost)"
            self.warnings.append(FieldError("idcom", reason, where=where))
            code = code.zfill(5)
        if not _INSEE.match(code):
            reason = f"{code!r} is not an INSEE commune code (5 characters)"
            errors.append(FieldError("idcom", reason, where=where))
        elif code in self.seen:
            reason = f"commune {code} already given in row {self.seen[code]}"
            errors.append(FieldError("idcom", reason, where=where))
        else:
            self.seen[code] = number
        epci = cell(layout.epci) or None
        if epci is not None and epci.lower() in _BLANK:
            epci = None
        if epci is not None and not _SIREN.match(epci):
            reason = f"{epci!r} is not an EPCI SIREN (9 digits)"
            errors.append(FieldError(layout.epci or "epci", reason, where=where))
        surface = number_of(layout.surface) if layout.surface else None
        if surface is not None and surface < 0:
            errors.append(FieldError(layout.surface or "", "negative area", where=where))
        figures = self._fast_figures(cells)
        if figures is None:
            figures = self._checked_figures(cells, number_of, errors, where)
        totals, destinations = figures
        if errors:
            return None, errors
        commune = CommuneRow(
            row=number,
            code=code,
            name=cell(layout.name),
            epci_siren=epci,
            epci_name=cell(layout.epci_name) or None,
            surface_m2=surface,
            totals=totals,
            destinations=destinations,
        )
        return commune, []


def read_file(path: Path, *, max_errors: int = 50, progress: Progress = no_progress) -> CeremaFile:
    """Read and check the whole file; ZanFileInvalid listing up to ``max_errors`` problems.

    Nothing is returned unless every row is well formed: the importer then writes all or nothing.
    """
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    rows = _rows(_decode(raw))
    header = next(rows, None)
    if not header:
        raise ZanFileInvalid("the file is empty", [FieldError("file", "no header line")])
    layout = read_layout(header)
    reader = _RowReader(layout, header)
    errors: list[FieldError] = []
    communes: list[CommuneRow] = []
    for number, cells in enumerate(progress(rows, "NAF-consumption rows"), start=1):
        if not any(c.strip() for c in cells):
            continue
        commune, row_errors = reader.parse(number, cells)
        if commune is not None:
            communes.append(commune)
        errors.extend(row_errors)
        if len(errors) >= max_errors:
            break
    if errors:
        shown = errors[:max_errors]
        more = " (the first ones)" if len(errors) >= max_errors else ""
        raise ZanFileInvalid(
            f"{path.name}: {len(shown)} malformed value(s){more}; nothing was imported", shown
        )
    if not communes:
        raise ZanFileInvalid(
            f"{path.name}: no commune row", [FieldError("file", "the file has a header only")]
        )
    return CeremaFile(layout=layout, communes=communes, sha256=sha, warnings=reader.warnings)
