"""Time to permits: a pure critical-path estimator over the procedures of DOMAIN.md §5.

Inputs are the procedures catalogue (durations min / typical / max in months, loaded from
``app/data/procedures.csv``), the dependency graph (``app/data/procedure_dependencies.csv``), a
site's dossier (status per procedure) and the project's needs (ICPE regime, grid connection time).
No DB, no HTTP (STYLE.md §2): the service fetches the dossier and calls :func:`estimate`.

Rules (DOMAIN.md §5 and issue 4):

* A procedure is *active* when the project needs it and the dossier does not say done or
  not_needed. Only active procedures cost time; everything else ends at month 0.
* An edge ``prerequisite → dependant`` delays the dependant only while the prerequisite is active,
  which is how DOMAIN's conditional edges ("P1 → P2 → P3 when an evaluation is required",
  "P3 → P9 when an evaluation is required") are expressed: without an evaluation P2/P3 are not
  active and the edges cost nothing.
* Each active procedure starts when all its active prerequisites end (critical-path method, run
  separately on the min, typical and max durations). Permits are final at the latest end of the
  active procedures that delay permits: max(P10, P11) in DOMAIN's words, plus the ICPE
  enregistrement / déclaration and the water-law déclaration (P7a, P7b, P7c), which replace P6 and
  so join "permits final" directly, like P11 does.
* Procedures whose catalogue column ``delays`` is ``works`` (P5 excavation, P12 grid connection)
  are scheduled on the same graph but reported in ``works_delays``, never in the permit months.
* ``in_progress`` costs ``duration − elapsed`` (never below 0) when both ``today`` and the entry's
  ``started_on`` are known, elapsed in calendar months; otherwise its full duration.
"""

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import cache
from pathlib import Path

from app.sites import procedures as sites_procedures
from app.sites.procedures import ProcedureSpec

DEPENDENCIES_PATH = Path(__file__).resolve().parent.parent / "data" / "procedure_dependencies.csv"

#: Same values as ``app.models.procedure.PROCEDURE_STATUSES`` (not imported: that module is ORM).
STATUSES = ("done", "in_progress", "todo", "not_needed")
ICPE_REGIMES = ("declaration", "enregistrement", "autorisation", "seveso_low", "seveso_high")
GRID_CONNECTION = "P12"
#: A purge cannot be done while its permit is still to get: unknown purge + active permit = to do.
PURGES = {"P10": "P9", "P11": "P6"}
_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Span:
    """Three values in months: min, typical and max."""

    min: float
    typical: float
    max: float

    def __post_init__(self) -> None:
        if not 0 <= self.min <= self.typical <= self.max:
            raise ValueError(f"durations must satisfy 0 <= min <= typical <= max, got {self}")

    def __getitem__(self, i: int) -> float:
        return (self.min, self.typical, self.max)[i]


@dataclass(frozen=True)
class DossierEntry:
    """One procedure of a site's dossier: its status and, optionally, when it started."""

    status: str
    started_on: date | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown procedure status {self.status!r} (allowed: {STATUSES})")


@dataclass(frozen=True)
class Project:
    """The project's needs: ICPE regime (Seveso counts as autorisation) and grid connection time."""

    icpe: str | None = None
    #: P12 has no generic duration (DOMAIN.md §5): months from today, as the grid operator says.
    grid_connection_months: Span | None = None

    def __post_init__(self) -> None:
        if self.icpe is not None and self.icpe not in ICPE_REGIMES:
            raise ValueError(f"unknown ICPE regime {self.icpe!r} (allowed: {ICPE_REGIMES})")

    @property
    def regime(self) -> str | None:
        """Return the ICPE regime, with both Seveso thresholds mapped to autorisation."""
        return "autorisation" if self.icpe in ("seveso_low", "seveso_high") else self.icpe


class Need(Enum):
    """Whether the project needs a procedure, and what a missing dossier entry means."""

    ALWAYS = "always"  # needed; no dossier entry counts as to do
    DOSSIER = "dossier"  # needed only if the dossier says todo / in_progress
    NEVER = "never"  # not needed for this regime, whatever the dossier says


#: Needs of every project (DOMAIN.md §5). P4: the permit needs the diagnostic, so an unknown P4
#: is conservatively to do. P8: only if the dossier asks for a PLU change. P1/P2/P3/P6/P7c/P11 can
#: be needed for reasons the project does not state (size screening, water law, protected species):
#: the dossier decides. P5 and P12 delay works and are handled apart.
BASE_NEEDS: dict[str, Need] = {
    **dict.fromkeys(("P1", "P2", "P3", "P6", "P7c", "P8", "P11"), Need.DOSSIER),
    **dict.fromkeys(("P4", "P9", "P10"), Need.ALWAYS),
    **dict.fromkeys(("P7a", "P7b"), Need.NEVER),
}
#: What each ICPE regime changes (issue 4): autorisation needs the environmental authorisation and
#: its impact study (P2, P3, P6, P11), which replace the screening P1 and absorb the water law P7c.
REGIME_NEEDS: dict[str | None, dict[str, Need]] = {
    None: {},
    "declaration": {"P7b": Need.ALWAYS},
    "enregistrement": {"P1": Need.ALWAYS, "P7a": Need.ALWAYS},
    "autorisation": {
        **dict.fromkeys(("P2", "P3", "P6", "P11"), Need.ALWAYS),
        **dict.fromkeys(("P1", "P7c"), Need.NEVER),
    },
}


@dataclass(frozen=True)
class ScheduledProcedure:
    """A remaining procedure with its start and end, in months from today."""

    code: str
    name: str
    status: str | None  # the dossier's status; None when the dossier has no entry
    start: Span
    end: Span


@dataclass(frozen=True)
class PermitEstimate:
    """Months until permits are final, and why (DOMAIN.md §5)."""

    months: Span
    critical_path: tuple[str, ...]  # on typical durations, first procedure first
    remaining: tuple[ScheduledProcedure, ...]
    works_delays: tuple[ScheduledProcedure, ...]
    assumptions: tuple[str, ...] = field(default=())


@cache
def dependencies() -> tuple[tuple[str, str], ...]:
    """Return the (prerequisite, dependant) edges of DOMAIN.md §5, from the data file."""
    with DEPENDENCIES_PATH.open(encoding="utf-8") as fh:
        return tuple((row["prerequisite"], row["dependant"]) for row in csv.DictReader(fh))


def _months_between(start: date, end: date) -> float:
    # Calendar months, so that 15 Feb → 15 May is exactly 3; leftover days count 1/30.44 month.
    whole = (end.year - start.year) * 12 + end.month - start.month
    return max(whole + (end.day - start.day) / _DAYS_PER_MONTH, 0.0)


def estimate(
    dossier: Mapping[str, DossierEntry | str],
    project: Project,
    catalogue: Mapping[str, ProcedureSpec] | None = None,
    *,
    today: date | None = None,
    edges: Iterable[tuple[str, str]] | None = None,
) -> PermitEstimate:
    """Estimate min / typical / max months until permits are final (DOMAIN.md §5).

    ``dossier`` maps procedure codes to an entry or a bare status; a code missing from it is
    unknown (see ``Need``). ``catalogue`` and ``edges`` default to the data files. ``today``
    is only used to net the elapsed time off ``in_progress`` entries that have ``started_on``.
    Raises ``ValueError`` naming any unknown status, regime, code, missing duration or cycle.
    """
    specs = sites_procedures.catalogue() if catalogue is None else catalogue
    entries = {c: DossierEntry(e) if isinstance(e, str) else e for c, e in dossier.items()}
    graph = dependencies() if edges is None else tuple(edges)
    for code in [*entries, *(c for edge in graph for c in edge)]:
        if code not in specs:
            raise ValueError(f"unknown procedure {code!r} (catalogue: {list(specs)})")
    order = {code: i for i, code in enumerate(specs)}
    durations, notes = _active(specs, entries, project, today)

    preds: dict[str, list[str]] = {code: [] for code in specs}
    for before, after in graph:
        preds[after].append(before)
    for codes in preds.values():
        codes.sort(key=order.__getitem__)  # so that critical-path ties follow the catalogue
    start: list[dict[str, float]] = [{}, {}, {}]
    end: list[dict[str, float]] = [{}, {}, {}]

    def visit(code: str, i: int, path: tuple[str, ...]) -> float:
        if code in path:
            raise ValueError(f"dependency cycle: {' → '.join((*path, code))}")
        if code not in end[i]:
            if code not in durations:
                end[i][code] = 0.0
            else:
                begin = max((visit(p, i, (*path, code)) for p in preds[code]), default=0.0)
                start[i][code], end[i][code] = begin, begin + durations[code][i]
        return end[i][code]

    for i in range(3):
        for code in specs:
            visit(code, i, ())
    permits = [c for c in durations if specs[c].delays != "works"]
    months = Span(*(max((end[i][c] for c in permits), default=0.0) for i in range(3)))

    def scheduled(code: str) -> ScheduledProcedure:
        spans = (Span(*(s[code] for s in start)), Span(*(e[code] for e in end)))
        entry = entries.get(code)
        status = entry.status if entry else None
        return ScheduledProcedure(code, specs[code].name, status, *spans)

    def chrono(codes: Iterable[str]) -> tuple[ScheduledProcedure, ...]:
        return tuple(scheduled(c) for c in sorted(codes, key=lambda c: (start[1][c], order[c])))

    works = [c for c in durations if specs[c].delays == "works"]
    return PermitEstimate(
        months=months,
        critical_path=_critical_path(permits, preds, durations, start[1], end[1], months.typical),
        remaining=chrono(permits),
        works_delays=chrono(works),
        assumptions=tuple(notes),
    )


def _active(
    specs: Mapping[str, ProcedureSpec],
    entries: Mapping[str, DossierEntry],
    project: Project,
    today: date | None,
) -> tuple[dict[str, Span], list[str]]:
    """Return the remaining durations of the active procedures, and the assumptions made."""
    notes: list[str] = []
    durations: dict[str, Span] = {}  # in catalogue order, net of elapsed time
    regime = project.regime
    needs = {**BASE_NEEDS, **REGIME_NEEDS[regime]}
    for code, spec in specs.items():
        entry = entries.get(code)
        status = entry.status if entry else None
        if status in ("done", "not_needed"):
            if status == "not_needed" and REGIME_NEEDS[regime].get(code) is Need.ALWAYS:
                notes.append(f"{code} is not_needed in the dossier though ICPE {regime} needs it")
            continue
        if spec.delays == "works":
            if code == GRID_CONNECTION and project.grid_connection_months is None:
                notes.append(f"{code}: the project gives no grid connection time, not estimated")
                continue
            if status is None and code != GRID_CONNECTION:
                notes.append(f"{code} ({spec.name}) has no dossier entry: not counted")
                continue
            if status is None:
                notes.append(f"{code} has no dossier entry: counted as to do")
        else:
            need = needs.get(code, Need.DOSSIER)
            if need is Need.DOSSIER and status is None and PURGES.get(code) in durations:
                need = Need.ALWAYS  # the permit is still to get, so its purge is too
            if need is Need.NEVER:
                if status is not None:
                    notes.append(f"{code} is {status} in the dossier but not needed: not counted")
                continue
            if status is None:
                if need is Need.DOSSIER:
                    notes.append(
                        f"{code} ({spec.name}) has no dossier entry: counted as not needed"
                    )
                    continue
                notes.append(f"{code} has no dossier entry: counted as to do")
        durations[code] = _remaining(code, spec, entry, project, today, notes)
    return durations, notes


def _remaining(
    code: str,
    spec: ProcedureSpec,
    entry: DossierEntry | None,
    project: Project,
    today: date | None,
    notes: list[str],
) -> Span:
    """Return what is left of an active procedure's duration (DOMAIN.md §5, issue 4 rules)."""
    if code == GRID_CONNECTION and project.grid_connection_months is not None:
        full = project.grid_connection_months
    elif spec.min_months is None or spec.typical_months is None or spec.max_months is None:
        raise ValueError(f"procedure {code!r} has no duration in the catalogue")
    else:
        full = Span(spec.min_months, spec.typical_months, spec.max_months)
    if entry is None or entry.status != "in_progress":
        return full
    if today is None or entry.started_on is None:
        notes.append(f"{code} is in progress with no start date or no today: full duration")
        return full
    elapsed = _months_between(entry.started_on, today)
    if elapsed >= full.max:
        notes.append(f"{code} started {elapsed:.1f} months ago, beyond its max: ends now")
    return Span(*(max(full[i] - elapsed, 0.0) for i in range(3)))


def _critical_path(
    permits: list[str],
    preds: Mapping[str, list[str]],
    durations: Mapping[str, Span],
    start: Mapping[str, float],
    end: Mapping[str, float],
    final: float,
) -> tuple[str, ...]:
    """Walk back from the procedure that ends last; ties go to the first in catalogue order."""
    if final <= 0:
        return ()
    path = [next(c for c in permits if math.isclose(end[c], final))]
    while (begin := start[path[0]]) > 0:
        path.insert(0, next(p for p in preds[path[0]] if p in durations and end[p] == begin))
    return tuple(path)
