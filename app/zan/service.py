"""ZAN service: import Cerema's NAF-consumption file; a territory's envelope (DOMAIN.md §4).

``import_consumption`` reads and checks the whole file first (``app.zan.cerema``): a malformed
row stops the import before anything is written. Then, in the caller's transaction, it upserts
the communes and their years, and recomputes the EPCI sums in SQL. Re-importing the same file
changes nothing; a newer millésime replaces the figures of the communes it covers (years it no
longer has are deleted); a commune already loaded from a newer millésime is left alone and
reported. Services flush, never commit (STYLE.md §3.3).
"""

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import FieldError, InvalidInput
from app.models.zan import ZAN_DESTINATIONS, ZanConsumption, ZanTerritory
from app.progress import Progress, no_progress
from app.zan import cerema, repository, rules
from app.zan.errors import TerritoryNotFound
from app.zan.repository import TerritoryRef

COMMUNE_CODE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")
EPCI_CODE = re.compile(r"^\d{9}$")
CODE_RULE = "a commune INSEE code (5 characters, e.g. 69123) or an EPCI SIREN (9 digits)"


@dataclass
class ZanImportReport:
    """What ``foncier import zan-consumption`` did."""

    file: str
    millesime: int
    years: list[int]
    rows: int = 0
    communes_inserted: int = 0
    communes_updated: int = 0
    communes_unchanged: int = 0
    #: Communes left as loaded because a newer millésime is stored.
    communes_skipped_newer: list[str] = field(default_factory=list)
    consumption_inserted: int = 0
    consumption_updated: int = 0
    consumption_deleted: int = 0
    epcis: int = 0
    epci_rows_changed: int = 0
    #: Communes of the file that the COG commune table does not know (kept, reported).
    unknown_communes: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the import wrote anything."""
        return bool(
            self.communes_inserted
            or self.communes_updated
            or self.consumption_inserted
            or self.consumption_updated
            or self.consumption_deleted
            or self.epci_rows_changed
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-able data."""
        return {**asdict(self), "changed": self.changed}

    def summary(self) -> str:
        """One line for the CLI."""
        return (
            f"{self.file}: millésime {self.millesime}, years {self.years[0]}–{self.years[-1]}, "
            f"{self.rows} communes ({self.communes_inserted} new, {self.communes_updated} "
            f"updated, {self.communes_unchanged} unchanged, {len(self.communes_skipped_newer)} "
            f"kept from a newer millésime); yearly figures: {self.consumption_inserted} new, "
            f"{self.consumption_updated} updated, {self.consumption_deleted} deleted; "
            f"{self.epcis} EPCI summed ({self.epci_rows_changed} rows changed)"
        )


def _fmt(value: float | None) -> str | None:
    return None if value is None else repr(float(value))


def import_consumption(
    session: Session,
    path: Path,
    *,
    source_name: str | None = None,
    progress: Progress = no_progress,
) -> ZanImportReport:
    """Import a Cerema NAF-consumption commune file (any millésime); return the report.

    Raises ``ZanFileInvalid`` (422) naming the row, the column and the reason of each malformed
    value; nothing is written then.
    """
    parsed = cerema.read_file(path, progress=progress)
    layout = parsed.layout
    name = source_name or path.name
    source = f"Cerema, consommation d'espaces NAF, millésime {layout.millesime} ({name})"
    report = ZanImportReport(
        file=path.name,
        millesime=layout.millesime,
        years=layout.years,
        rows=len(parsed.communes),
        ignored_columns=layout.ignored,
        warnings=[asdict(w) for w in parsed.warnings],
    )
    commune_rows = []
    consumption_rows = []
    for c in parsed.communes:
        years = [y for y, v in c.totals.items() if v is not None]
        commune_rows.append(
            (
                c.code,
                c.name,
                c.epci_siren,
                c.epci_name,
                _fmt(c.surface_m2),
                str(min(years)) if years else str(layout.years[0]),
                str(max(years)) if years else str(layout.years[-1]),
            )
        )
        for year, total in c.totals.items():
            dest = c.destinations.get(year, {})
            consumption_rows.append(
                (
                    c.code,
                    str(year),
                    _fmt(total),
                    *(_fmt(dest.get(d)) for d in ZAN_DESTINATIONS),
                )
            )
    repository.stage(session, commune_rows, consumption_rows)
    report.communes_skipped_newer = repository.drop_newer(session, millesime=layout.millesime)
    epcis = repository.epcis_of_staged_communes(session)
    report.unknown_communes = repository.unknown_communes(session)
    communes = repository.upsert_communes(
        session, source=source, millesime=layout.millesime, sha256=parsed.sha256
    )
    report.communes_inserted, report.communes_updated = communes.inserted, communes.updated
    report.communes_unchanged = (
        report.rows - len(report.communes_skipped_newer) - communes.inserted - communes.updated
    )
    consumption = repository.upsert_commune_consumption(
        session, source=source, millesime=layout.millesime
    )
    report.consumption_inserted = consumption.inserted
    report.consumption_updated = consumption.updated
    report.consumption_deleted = consumption.deleted
    epci = repository.refresh_epcis(session, sorted(epcis), sha256=parsed.sha256)
    report.epcis = len(epcis)
    report.epci_rows_changed = epci.inserted + epci.updated + epci.deleted
    session.flush()
    return report


# --- Reading ------------------------------------------------------------------------------------


def parse_code(code: str) -> str:
    """Return ``commune`` or ``epci`` for a territory code; InvalidInput naming ``code`` if not."""
    if COMMUNE_CODE.match(code):
        return "commune"
    if EPCI_CODE.match(code):
        return "epci"
    raise InvalidInput(
        "invalid territory code",
        errors=[FieldError("code", f"{code!r} is not {CODE_RULE}")],
    )


def territory_ref(session: Session, code: str) -> TerritoryRef:
    """The commune or EPCI ``code``: InvalidInput if malformed, TerritoryNotFound if unknown."""
    kind = parse_code(code)
    ref = (
        repository.commune_ref(session, code)
        if kind == "commune"
        else repository.epci_ref(session, code)
    )
    if ref is None:
        raise TerritoryNotFound(code)
    return ref


def target_for(ref: TerritoryRef, *, data_dir: Path | None = None) -> rules.Target:
    """The reduction target of a territory (territorialised where published, else default)."""
    params = rules.load_parameters()
    path = (data_dir or get_settings().data_dir) / params.territorialised_file
    targets = rules.load_territorial_targets(path) if path.exists() else {}
    return rules.resolve_target(
        territory_type=ref.territory_type,
        code=ref.code,
        epci_siren=ref.epci_siren,
        region_code=ref.region_code,
        targets=targets,
        params=params,
    )


@dataclass
class TerritoryZan:
    """Everything ``GET /territories/{code}/zan`` shows (see schemas.TerritoryZanRead)."""

    territory: TerritoryRef
    target: rules.Target
    #: The loaded file's header for this territory (source, millésime); None: no data.
    data: ZanTerritory | None = None
    series: list[ZanConsumption] = field(default_factory=list)
    envelope: rules.Envelope | None = None
    #: Why there is no envelope (no data, missing years).
    message: str | None = None
    missing_years: list[int] = field(default_factory=list)
    #: For an EPCI: how many communes its figures sum.
    coverage: str | None = None
    take: rules.EnvelopeShare | None = None


def load_zan(session: Session, ref: TerritoryRef, *, data_dir: Path | None = None) -> TerritoryZan:
    """The stored series of a territory and its envelope, or the reason there is none."""
    answer = TerritoryZan(territory=ref, target=target_for(ref, data_dir=data_dir))
    answer.data = repository.zan_territory(session, ref.territory_type, ref.code)
    if answer.data is None:
        answer.message = (
            f"no NAF-consumption data is loaded for {ref.territory_type} {ref.code} "
            f"({ref.nom}): import Cerema's file with `foncier import zan-consumption`"
        )
        return answer
    answer.series = repository.consumption_series(session, ref.territory_type, ref.code)
    try:
        answer.envelope = rules.territory_envelope(
            {row.year: row.total_m2 for row in answer.series},
            territory_type=ref.territory_type,
            target=answer.target,
        )
    except rules.IncompleteConsumption as exc:
        answer.message = str(exc)
        answer.missing_years = exc.missing_years
    return answer


def territory_envelope(
    session: Session, *, territory_type: str, code: str, data_dir: Path | None = None
) -> rules.Envelope | None:
    """The envelope of commune or EPCI ``code``; None if unknown or without (complete) data.

    For the match answer: the host territory's headroom (``remaining_m2``, ``used_share``).
    """
    if territory_type == "commune":
        ref = repository.commune_ref(session, code)
    elif territory_type == "epci":
        ref = repository.epci_ref(session, code)
    else:
        raise ValueError(f"territory_type must be 'commune' or 'epci', got {territory_type!r}")
    return None if ref is None else load_zan(session, ref, data_dir=data_dir).envelope


def territory_envelopes(
    session: Session,
    *,
    communes: Iterable[str] = (),
    epcis: Iterable[str] = (),
    data_dir: Path | None = None,
) -> dict[tuple[str, str], rules.Envelope]:
    """Envelopes of many communes and EPCI in two queries, by ("commune"|"epci", code).

    For bulk refreshes of site figures: a territory without (complete) data is absent.
    """
    refs = repository.territory_refs(
        session, communes=sorted(set(communes)), epcis=sorted(set(epcis))
    )
    series = repository.yearly_totals(session, refs)
    out: dict[tuple[str, str], rules.Envelope] = {}
    for ref in refs:
        key = (ref.territory_type, ref.code)
        try:
            out[key] = rules.territory_envelope(
                series[key],
                territory_type=ref.territory_type,
                target=target_for(ref, data_dir=data_dir),
            )
        except rules.IncompleteConsumption:
            continue
    return out


def territory_zan(session: Session, code: str, *, naf_take_m2: float | None = None) -> TerritoryZan:
    """The ZAN figures of commune or EPCI ``code`` (DOMAIN.md §4)."""
    ref = territory_ref(session, code)
    answer = load_zan(session, ref)
    if ref.territory_type == "epci" and answer.data is not None:
        loaded, listed = repository.epci_member_counts(session, ref.code)
        answer.coverage = f"sum of its {loaded} communes in the NAF-consumption file" + (
            f"; the commune table lists {listed}" if listed != loaded else ""
        )
    if naf_take_m2 is not None:
        answer.take = rules.share_of_remaining(naf_take_m2, answer.envelope)
    return answer
