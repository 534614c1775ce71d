"""ADEME's mutability index (Mutafriches), exactly as published, for versions v1.1, v1.11, v1.19.

Pure: no DB, no HTTP (STYLE.md §2). The matrices, weights and unscored enumeration values are
data (``app/data/mutafriches/*.csv``, byte copies of ``../shared/data/mutafriches/``), read once per
version. The rules are those of ``METHOD.md`` there (the engine's code at commit ``cdb3cfe`` and,
for v1.16+, ``0cfa04b`` / ``16da39c``); ``docs/mutability.md`` explains them with their sources.

One usage's index (METHOD §3). For each criterion of the version's weights file:

* skip it when its value is missing or ``"ne-sait-pas"`` (not counted in the reliability either);
* skip it in the score, but count it as answered, when it is ``null`` ("searched, nothing
  found"). From v1.16 on (so in v1.19) a ``null`` motorway, electricity or heating-network
  distance is first replaced by the farthest bucket (50 000 m, 5 000 m, 500 m) and then scored;
* find its row: the bucket containing the value for a numeric criterion (motorway and
  electricity distances are given in metres and bucketed in km, ``m / 1000``), the row whose
  value equals the string for an enum, ``"true"``/``"false"`` for a boolean. A value of the
  enumeration that has no row (``unscored-values-<ver>.csv``) is skipped in the score but counts
  as answered;
* add ``points(code) × weight`` to the advantages A when positive, its absolute value to the
  constraints C when negative, and **to both** when the code is N (+0.5 × weight: the Excel
  logic).

``indice = round_half_up(A / (A + C) × 1000) / 10`` (JavaScript ``Math.round``), 0 when
A + C = 0. ``potentiel``: ≥ 70 Excellent, ≥ 60 Très bon, ≥ 50 Bon, ≥ 40 Moyen, else Faible.
Ranks: by index, highest first, ties in the fixed usage order; in v1.19 the usages hit by an
exclusion rule (METHOD §7) keep their index, are labelled « Exclu » and go after the others.

Reliability (METHOD §6): ``note = round_half_up(2 × 10 × answered weight / total weight) / 2``,
0–10 in steps of 0.5, with the engine's level texts. It never changes an index or a rank.

Derived inputs (METHOD §5.2–5.3):

* ``raccordementEau``: from v1.11 on, always derived from ``surfaceBati`` (> 20 m² → ``oui``,
  otherwise ``non``; unknown → ``ne-sait-pas``), replacing any value given. In **v1.1**, which
  reproduces ADEME's reference spreadsheet, a given value is used as given, and only a missing
  one is derived.
* ``presenceRisquesNaturels`` (v1.1 only): a given value is used as given. Otherwise, when any
  of ``risqueRetraitGonflementArgile``, ``risqueCavitesSouterraines``, ``risqueInondation`` is
  given, it is derived as the current engine does (RGA fort → ``fort``; else flood or cavities
  ``oui`` or RGA ``faible-ou-moyen`` → ``moyen``; else ``aucun``; ``null`` when none of the three
  has a value). When none of the three keys is given at all, the criterion stays unknown: the
  engine's ``null`` in that case (counted as answered) comes from its enrichment always running,
  which is not the spreadsheet's behaviour.

Inputs are validated, which the engine does not do: a key that no version knows, a value
outside the version's enumeration (``ne-sait-pas`` is always accepted), a negative or
non-finite number, or a wrong JSON type raises :class:`MutabilityInputError` naming
``criteria.<key>``. A key that belongs to another version (``siteEnZae`` sent to v1.1) is
accepted, checked against that version's values, and listed in ``criteresIgnores``, as the
engine ignores the fields its version does not use.
"""

import csv
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "mutafriches"

VERSIONS = ("v1.1", "v1.11", "v1.19")
LATEST_VERSION = "v1.19"

#: The seven usages in the engine's fixed order, which is also the tie-break of the ranking.
USAGES = (
    "residentiel",
    "equipements",
    "culture",
    "tertiaire",
    "industrie",
    "renaturation",
    "photovoltaique",
)
INDUSTRY = "industrie"

#: Points of each score code (METHOD §2). N counts +0.5 on both sides (the neutral rule).
POINTS = {"TP": 2.0, "P": 1.0, "N": 0.5, "NEG": -1.0, "TN": -2.0}
NEUTRAL = "N"
NE_SAIT_PAS = "ne-sait-pas"

#: Potential labels read from the rounded index (METHOD §4), first threshold reached.
POTENTIALS = ((70.0, "Excellent"), (60.0, "Très bon"), (50.0, "Bon"), (40.0, "Moyen"))
LOWEST_POTENTIAL = "Faible"
EXCLUDED_POTENTIAL = "Exclu"

#: Reliability levels (METHOD §6): the texts the engine returns, first threshold reached.
RELIABILITY_LEVELS = (
    (9.0, "Très fiable", "Analyse complète avec toutes les données disponibles."),
    (7.0, "Fiable", "Données analysées avec un niveau de confiance élevé."),
    (5.0, "Moyennement fiable", "Analyse partielle, certaines données manquantes."),
    (3.0, "Peu fiable", "Données insuffisantes pour une analyse complète."),
    (0.0, "Très peu fiable", "Données très incomplètes, résultats indicatifs uniquement."),
)

#: v1.16+ engine: a null distance is replaced by its farthest bucket (METHOD §5.1, ADR-0036/0047).
NULL_REPLACEMENTS: dict[str, dict[str, float]] = {
    "v1.19": {
        "distanceAutoroute": 50_000.0,
        "distanceRaccordementElectrique": 5_000.0,
        "distanceReseauChaleur": 500.0,
    },
}

#: Versions taking ``raccordementEau`` and ``presenceRisquesNaturels`` as given (the spreadsheet).
GIVEN_VALUES_VERSIONS = ("v1.1",)
WATER = "raccordementEau"
BUILT_AREA = "surfaceBati"
#: surfaceBati above this many m² means the site is connected to water (ADR-0019).
WATER_THRESHOLD_M2 = 20.0
NATURAL_RISK = "presenceRisquesNaturels"
RISK_INPUTS = ("risqueRetraitGonflementArgile", "risqueCavitesSouterraines", "risqueInondation")

#: Upper bound of the criteria given in %.
PERCENT_CRITERIA = ("tauxLogementsVacants",)


@dataclass(frozen=True)
class ExclusionRule:
    """A v1.16+ rule: when every condition holds (strict equality), the usages are excluded."""

    id: str
    conditions: tuple[tuple[str, str], ...]
    usages: tuple[str, ...]


EXCLUSION_RULES: dict[str, tuple[ExclusionRule, ...]] = {
    "v1.19": (
        ExclusionRule(
            "zone-exclusion-enr", (("zoneAccelerationEnr", "exclusion"),), ("photovoltaique",)
        ),
        ExclusionRule(
            "zone-humide-et-especes-protegees",
            (("presenceZoneHumide", "oui"), ("presenceEspecesProtegees", "oui")),
            ("industrie", "tertiaire"),
        ),
    ),
}


# --- Errors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldProblem:
    """One invalid input: the field (``version``, ``criteria.<key>``), why, and what is allowed."""

    field: str
    reason: str
    allowed: tuple[str, ...] | None = None


class MutabilityInputError(ValueError):
    """The version, a criterion key or a criterion value is not one the method knows."""

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in self.problems))


# --- The matrices as data ------------------------------------------------------------------------

_NUMBER = r"(\d+(?:\.\d+)?)"
_ONE_SIDED = re.compile(rf"^x(<=|<|>=|>){_NUMBER}$")
_TWO_SIDED = re.compile(rf"^{_NUMBER}(<=|<)x(<=|<){_NUMBER}$")


@dataclass(frozen=True)
class Bucket:
    """A numeric bucket of the matrix (``x<1``, ``15000<=x<=50000`` …), in the engine unit."""

    rule: str
    low: float | None = None
    low_inclusive: bool = False
    high: float | None = None
    high_inclusive: bool = False

    @classmethod
    def parse(cls, rule: str) -> "Bucket":
        """Read the small grammar of METHOD §0 (``x<b``, ``a<=x<b`` …)."""
        if m := _ONE_SIDED.match(rule):
            op, bound = m.group(1), float(m.group(2))
            if op.startswith("<"):
                return cls(rule, high=bound, high_inclusive=op == "<=")
            return cls(rule, low=bound, low_inclusive=op == ">=")
        if m := _TWO_SIDED.match(rule):
            return cls(
                rule,
                low=float(m.group(1)),
                low_inclusive=m.group(2) == "<=",
                high=float(m.group(4)),
                high_inclusive=m.group(3) == "<=",
            )
        raise ValueError(f"unreadable bucket rule {rule!r}")

    def contains(self, x: float) -> bool:
        """Whether ``x`` (engine unit) falls in this bucket."""
        if self.low is not None and not (x >= self.low if self.low_inclusive else x > self.low):
            return False
        if self.high is not None and not (x <= self.high if self.high_inclusive else x < self.high):
            return False
        return True


@dataclass(frozen=True)
class Row:
    """One (criterion, value) row: its score code for each usage, in :data:`USAGES` order."""

    value: str
    codes: tuple[str, ...]
    bucket: Bucket | None = None


Kind = Literal["number", "boolean", "enum"]


@dataclass(frozen=True)
class Criterion:
    """A criterion of one version: weight, unit, kind, rows and enumeration values without a row."""

    key: str
    weight: float
    unit: str
    group: str
    description: str
    kind: Kind
    rows: tuple[Row, ...]
    unscored: tuple[str, ...] = ()
    #: Engine unit per input unit: 1/1000 for the distances given in m and bucketed in km.
    scale: float = 1.0

    @property
    def allowed(self) -> tuple[str, ...]:
        """The accepted string values of an enum (scored, unscored, ``ne-sait-pas``)."""
        values = [r.value for r in self.rows] + list(self.unscored)
        if NE_SAIT_PAS not in values:
            values.append(NE_SAIT_PAS)
        return tuple(dict.fromkeys(values))

    def row_for(self, value: Any) -> Row | None:
        """The matrix row for a (non-null, answered) value, or None when it has none."""
        if self.kind == "number":
            x = float(value) * self.scale
            return next((r for r in self.rows if r.bucket and r.bucket.contains(x)), None)
        key = ("true" if value else "false") if self.kind == "boolean" else value
        return next((r for r in self.rows if r.value == key), None)


@dataclass(frozen=True)
class Method:
    """One version of the method: its criteria in the order of its weights file."""

    version: str
    criteria: Mapping[str, Criterion]

    @property
    def total_weight(self) -> float:
        """Sum of the version's weights (26, 30, 34)."""
        return sum(c.weight for c in self.criteria.values())

    @property
    def derivation_inputs(self) -> tuple[str, ...]:
        """Keys that are not criteria of this version but feed one of its derivations."""
        if NATURAL_RISK in self.criteria:
            return tuple(k for k in RISK_INPUTS if k not in self.criteria)
        return ()

    @property
    def accepted_keys(self) -> tuple[str, ...]:
        """Criterion keys this version uses: its criteria, then its derivation inputs."""
        return (*self.criteria, *self.derivation_inputs)


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def load_method(version: str) -> Method:
    """Load one version's matrix, weights and unscored values (cached)."""
    if version not in VERSIONS:
        raise MutabilityInputError(
            [FieldProblem("version", f"unknown Mutafriches version {version!r}", VERSIONS)]
        )
    weights = _read_csv(f"weights-{version}.csv")
    matrix = _read_csv(f"matrix-{version}.csv")
    unscored: dict[str, list[str]] = {}
    for u in _read_csv(f"unscored-values-{version}.csv"):
        unscored.setdefault(u["criterion"], []).append(u["value"])
    rows: dict[str, list[Row]] = {}
    for r in matrix:
        bucket = Bucket.parse(r["value"]) if r["bucket"] else None
        rows.setdefault(r["criterion"], []).append(
            Row(r["value"], tuple(r[u] for u in USAGES), bucket)
        )
    criteria: dict[str, Criterion] = {}
    for w in weights:
        key = w["criterion"]
        weight = float(w["weight"])
        own = rows.get(key, [])
        if not own or any(float(r["weight"]) != weight for r in matrix if r["criterion"] == key):
            raise ValueError(f"{version}: weights and matrix disagree on {key}")
        if any(r.bucket for r in own):
            kind: Kind = "number"
        elif {r.value for r in own} <= {"true", "false"}:
            kind = "boolean"
        else:
            kind = "enum"
        criteria[key] = Criterion(
            key=key,
            weight=weight,
            unit=w["unit"],
            group=w["group"],
            description=w["description"],
            kind=kind,
            rows=tuple(own),
            unscored=tuple(unscored.get(key, ())),
            scale=1 / 1000 if "m/1000" in w["unit"] else 1.0,
        )
    if set(rows) - set(criteria):
        raise ValueError(f"{version}: matrix rows without a weight: {set(rows) - set(criteria)}")
    return Method(version, criteria)


def _definition(method: Method, key: str) -> Criterion | None:
    """The criterion ``key`` as this version defines it, else as the latest version having it."""
    if key in method.criteria:
        return method.criteria[key]
    for version in reversed(VERSIONS):
        other = load_method(version)
        if key in other.criteria:
            return other.criteria[key]
    return None


def all_keys() -> tuple[str, ...]:
    """Every criterion key of every version, latest version's order first."""
    keys: dict[str, None] = {}
    for version in reversed(VERSIONS):
        keys.update(dict.fromkeys(load_method(version).criteria))
    return tuple(keys)


# --- Validation ----------------------------------------------------------------------------------


def _check_value(crit: Criterion, value: Any) -> FieldProblem | None:
    where = f"criteria.{crit.key}"
    if value is None:
        return None  # "searched, nothing found": skipped in the score, counted as answered
    if crit.kind == "number":
        ok = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        if ok and math.isfinite(float(value)) and float(value) >= 0:
            if crit.key in PERCENT_CRITERIA and float(value) > 100:
                return FieldProblem(where, f"{value} is not a percentage (0–100)")
            return None
        return FieldProblem(where, f"expected a number ≥ 0 in {crit.unit}, or null; got {value!r}")
    if crit.kind == "boolean":
        if isinstance(value, bool):
            return None
        return FieldProblem(
            where, f"expected true, false or null; got {value!r}", ("true", "false")
        )
    if isinstance(value, str) and value in crit.allowed:
        return None
    return FieldProblem(where, f"unknown value {value!r}", crit.allowed)


def validate(method: Method, criteria: Mapping[str, Any]) -> tuple[str, ...]:
    """Check keys and values; return the keys this version ignores. Raises MutabilityInputError."""
    problems: list[FieldProblem] = []
    ignored: list[str] = []
    if not isinstance(criteria, Mapping):
        raise MutabilityInputError([FieldProblem("criteria", "expected an object of criteria")])
    for key, value in criteria.items():
        crit = _definition(method, key) if isinstance(key, str) else None
        if crit is None:
            problems.append(
                FieldProblem(
                    f"criteria.{key}", "unknown Mutafriches criterion", method.accepted_keys
                )
            )
            continue
        if (problem := _check_value(crit, value)) is not None:
            problems.append(problem)
        if key not in method.accepted_keys:
            ignored.append(key)
    if problems:
        raise MutabilityInputError(problems)
    return tuple(ignored)


# --- Derivations ---------------------------------------------------------------------------------

_MISSING: Any = object()


def _known(value: Any) -> bool:
    return value is not _MISSING and value is not None and value != NE_SAIT_PAS


def derive_water(built_area: Any = _MISSING) -> str:
    """``raccordementEau`` from ``surfaceBati`` (m²): > 20 → oui, else non; missing → ne-sait-pas.

    ``null`` gives ``non``, as in the engine, where ``null > 20`` is false.
    """
    if built_area is _MISSING:
        return NE_SAIT_PAS
    if built_area is None:
        return "non"
    return "oui" if float(built_area) > WATER_THRESHOLD_M2 else "non"


def derive_natural_risk(
    rga: Any = _MISSING, cavities: Any = _MISSING, flood: Any = _MISSING
) -> str | None:
    """v1.1 ``presenceRisquesNaturels`` from the three separate risks, as the engine does."""
    if not any(_known(v) for v in (rga, cavities, flood)):
        return None
    if rga == "fort":
        return "fort"
    if flood == "oui" or cavities == "oui" or rga == "faible-ou-moyen":
        return "moyen"
    return "aucun"


def _step_a(method: Method, criteria: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The values the engine scores (METHOD §3 step A), and notes on what was derived."""
    values = {k: criteria[k] for k in method.criteria if k in criteria}
    notes: list[str] = []
    given_ok = method.version in GIVEN_VALUES_VERSIONS
    if WATER in method.criteria:
        if given_ok and WATER in criteria:
            notes.append(f"{WATER}: used as given ({method.version}, reference spreadsheet)")
        else:
            derived = derive_water(criteria.get(BUILT_AREA, _MISSING))
            if WATER in criteria and criteria[WATER] != derived:
                notes.append(
                    f"{WATER}: the given {criteria[WATER]!r} is replaced by {derived!r}, derived "
                    f"from {BUILT_AREA} (> {WATER_THRESHOLD_M2:g} m² → oui), as the engine does "
                    f"for {method.version}"
                )
            else:
                notes.append(f"{WATER}: {derived!r}, derived from {BUILT_AREA}")
            values[WATER] = derived
    if NATURAL_RISK in method.criteria:
        if NATURAL_RISK in criteria:
            notes.append(f"{NATURAL_RISK}: used as given ({method.version}, reference spreadsheet)")
        elif any(k in criteria for k in RISK_INPUTS):
            args = [criteria.get(k, _MISSING) for k in RISK_INPUTS]
            values[NATURAL_RISK] = derive_natural_risk(*args)
            notes.append(
                f"{NATURAL_RISK}: {values[NATURAL_RISK]!r}, derived from {', '.join(RISK_INPUTS)}"
            )
    return values, notes


# --- Result --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageResult:
    """One usage: its index (%), label, rank, A and C sums, and exclusion."""

    usage: str
    indice: float
    potentiel: str
    rang: int
    avantages: float
    contraintes: float
    exclu: bool = False
    criteres_excluants: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "usage": self.usage,
            "indice": self.indice,
            "potentiel": self.potentiel,
            "rang": self.rang,
            "avantages": self.avantages,
            "contraintes": self.contraintes,
            "exclu": self.exclu,
            "criteresExcluants": list(self.criteres_excluants),
        }


@dataclass(frozen=True)
class CriterionDetail:
    """One criterion as scored: weight, answered or not, value after derivation, row used."""

    critere: str
    poids: float
    renseigne: bool
    valeur: Any = None
    #: The matrix row applied (bucket or value), None when the criterion was skipped.
    ligne: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "critere": self.critere,
            "poids": self.poids,
            "renseigne": self.renseigne,
            "valeur": self.valeur,
            "ligne": self.ligne,
        }


@dataclass(frozen=True)
class Reliability:
    """The reliability note (0–10), its level, and what it is based on."""

    note: float
    text: str
    description: str
    criteres_renseignes: int
    criteres_total: int
    poids_renseignes: float
    poids_total: float
    criteres_non_renseignes: tuple[str, ...]
    detail: tuple[CriterionDetail, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the engine's field names, plus the unknown criteria)."""
        return {
            "note": self.note,
            "text": self.text,
            "description": self.description,
            "criteresRenseignes": self.criteres_renseignes,
            "criteresTotal": self.criteres_total,
            "poidsRenseignes": self.poids_renseignes,
            "poidsTotal": self.poids_total,
            "criteresNonRenseignes": list(self.criteres_non_renseignes),
            "detailCriteres": [d.to_dict() for d in self.detail],
        }


@dataclass(frozen=True)
class MutabilityResult:
    """The seven usages in rank order, the reliability, and what was derived or ignored."""

    version: str
    usages: tuple[UsageResult, ...]
    fiabilite: Reliability
    criteres_ignores: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def usage(self, name: str) -> UsageResult:
        """The result of one usage."""
        return next(u for u in self.usages if u.usage == name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"version", "usages", "fiabilite", "criteresIgnores", "notes"}``."""
        return {
            "version": self.version,
            "usages": [u.to_dict() for u in self.usages],
            "fiabilite": self.fiabilite.to_dict(),
            "criteresIgnores": list(self.criteres_ignores),
            "notes": list(self.notes),
        }


def _round_half_up(x: float) -> float:
    """JavaScript ``Math.round``: halves go up (Python's ``round`` goes to even)."""
    return float(math.floor(x + 0.5))


def index_of(advantages: float, constraints: float) -> float:
    """``round_half_up(A / (A + C) × 1000) / 10``, 0 when A + C = 0 (METHOD §3 step C)."""
    if advantages + constraints == 0:
        return 0.0
    return _round_half_up(advantages / (advantages + constraints) * 1000) / 10


def potential_of(indice: float) -> str:
    """The label of a rounded index (METHOD §4)."""
    return next((label for bound, label in POTENTIALS if indice >= bound), LOWEST_POTENTIAL)


def reliability_note(answered_weight: float, total_weight: float) -> float:
    """``Math.round(pct / 10 × 2) / 2`` with ``pct = answered / total × 100`` (METHOD §6)."""
    pct = answered_weight / total_weight * 100
    return _round_half_up(pct / 10 * 2) / 2


def evaluate(version: str, criteria: Mapping[str, Any]) -> MutabilityResult:
    """Score the seven usages of one site with one version of the method.

    ``criteria`` uses the Mutafriches keys and values (distances in metres, surfaces in m²,
    vacancy in %, booleans as JSON booleans). Raises :class:`MutabilityInputError`.
    """
    method = load_method(version)
    ignored = validate(method, criteria)
    values, notes = _step_a(method, criteria)
    replacements = NULL_REPLACEMENTS.get(version, {})

    advantages = [0.0] * len(USAGES)
    constraints = [0.0] * len(USAGES)
    detail: list[CriterionDetail] = []
    for key, crit in method.criteria.items():
        value = values.get(key, _MISSING)
        answered = value is not _MISSING and value != NE_SAIT_PAS
        scored = value
        if answered and value is None and key in replacements:
            scored = replacements[key]
            notes.append(f"{key}: null replaced by {scored:g} (farthest bucket, {version} engine)")
        row = crit.row_for(scored) if answered and scored is not None else None
        detail.append(
            CriterionDetail(
                critere=key,
                poids=crit.weight,
                renseigne=answered,
                valeur=None if value is _MISSING else value,
                ligne=row.value if row is not None else None,
            )
        )
        if row is None:
            continue
        for i, code in enumerate(row.codes):
            points = POINTS[code] * crit.weight
            if code == NEUTRAL:
                advantages[i] += points
                constraints[i] += points
            elif points > 0:
                advantages[i] += points
            else:
                constraints[i] -= points

    excluded: dict[str, list[str]] = {}
    for rule in EXCLUSION_RULES.get(version, ()):
        if all(values.get(k, _MISSING) == v for k, v in rule.conditions):
            for usage in rule.usages:
                reasons = excluded.setdefault(usage, [])
                reasons.extend(k for k, _ in rule.conditions if k not in reasons)

    indices = [index_of(a, c) for a, c in zip(advantages, constraints, strict=True)]
    # Stable sort: ties keep the fixed usage order; excluded usages after all the others.
    order = sorted(range(len(USAGES)), key=lambda i: (USAGES[i] in excluded, -indices[i]))
    usages = tuple(
        UsageResult(
            usage=USAGES[i],
            indice=indices[i],
            potentiel=EXCLUDED_POTENTIAL if USAGES[i] in excluded else potential_of(indices[i]),
            rang=rank,
            avantages=advantages[i],
            contraintes=constraints[i],
            exclu=USAGES[i] in excluded,
            criteres_excluants=tuple(excluded.get(USAGES[i], ())),
        )
        for rank, i in enumerate(order, start=1)
    )

    total = method.total_weight
    answered_weight = sum((d.poids for d in detail if d.renseigne), 0.0)
    note = reliability_note(answered_weight, total)
    _, text, description = next(lvl for lvl in RELIABILITY_LEVELS if note >= lvl[0])
    reliability = Reliability(
        note=note,
        text=text,
        description=description,
        criteres_renseignes=sum(d.renseigne for d in detail),
        criteres_total=len(detail),
        poids_renseignes=answered_weight,
        poids_total=total,
        criteres_non_renseignes=tuple(d.critere for d in detail if not d.renseigne),
        detail=tuple(detail),
    )
    return MutabilityResult(version, usages, reliability, ignored, tuple(notes))


def industry(result: MutabilityResult) -> tuple[float | None, float | None]:
    """The ``industrie`` index and the reliability note, for ``site_derived``.

    The index is None when no criterion could be scored (A + C = 0: the engine's 0 then means
    "nothing to score", not "no potential") and when industry is excluded by a v1.16+ rule, which
    must be reported as excluded, not ranked by its index (METHOD §7); the stored JSON says why.
    """
    usage = result.usage(INDUSTRY)
    if usage.exclu or usage.avantages + usage.contraintes == 0:
        return None, result.fiabilite.note
    return usage.indice, result.fiabilite.note


# --- A stored site's attributes → Mutafriches criteria --------------------------------------------

#: CNIG ``bati_etat`` → ``etatBatiInfrastructure``. « inexistante ou faible » is scored like
#: ``degradation-inexistante``, which has the same row as ``degradation-faible`` from v1.9 on
#: (ADR-0025) and, unlike it, a row in v1.1.
_BATI_ETAT = {
    "dégradation inexistante ou faible": "degradation-inexistante",
    "dégradation moyenne": "degradation-moyenne",
    "dégradation très importante": "degradation-tres-importante",
    "dégradation hétérogène": "degradation-heterogene",
    "sans objet": "pas-de-bati",
}
#: CNIG ``bati_patrimoine`` → ``valeurArchitecturaleHistorique``. ADEME's own CNIG export
#: (``friche-cnig.mapping.ts``) writes both ``ordinaire`` and ``sans-interet`` as « aucun »; we read
#: « aucun » back as ``ordinaire``, the two differ only for ``culture`` (N vs NEG).
_BATI_PATRIMOINE = {
    "aucun": "ordinaire",
    "présence d'un bâtiment d'intérêt": "interet-remarquable",
    "présence d'un bâtiment classé": "interet-remarquable",
    "sans objet": "pas-de-bati",
}
_SOL_POLLUTION = {"pollution inexistante": "non", "pollution traitée": "deja-geree"}
#: CNIG ``bati_pollution`` values that say nothing against "no pollution".
_NO_BUILDING_POLLUTION = (None, "inconnu", "sans objet")

#: Cerema's owner categories (``catpro3``, fichiers fonciers) read as public, private, or
#: co-ownership / joint ownership. Codes not listed (social housing bodies, SEM, network operators
#: other than SNCF, hospitals, « personne morale autre » …) can be either: the owner type is then
#: unknown.
_CATPRO3_PUBLIC = frozenset(
    "P1b P2a P3a P4a P4b P4c P4d P5a M2a E1a E2a E2e E2f E2g E2j F2a F5b F7g A1g A2c A3b A3c A3f "
    "A5a R2a R4b R4c S1d S2b S2d S2g L3a Z4a Z4b".split()
)
_CATPRO3_PRIVATE = frozenset(
    "X1a G1a G1b G1c G1d F6a F6b F6c F7b F7d F7e F7f Z1a Z2a Z2b Z2c Z3b Z3c L1a L1b L1d L4a A1a "
    "A1f A1h A2a A3a R1a".split()
)
_CATPRO3_COPRO = frozenset("G2a G2b G2c G2d".split())

#: CNIG Sites économiques SITE-ECO ``site_type`` → ``siteEnZae``.
_ECO_SITE_TYPE = {
    "zone d'activité économique": True,
    "site économique historique hors zae": False,
    "établissement économique isolé": False,
}
_PLU_ZONES = {
    "u": "zone-urbaine-u",
    "auc": "zone-a-urbaniser-au",
    "aus": "zone-a-urbaniser-au",
    "a": "zone-agricole-a",
    "n": "zone-naturelle-n",
}
_OTHER_ZONES = {
    "zc": "secteur-ouvert-a-la-construction",
    "zca": "secteur-ouvert-a-la-construction",
    "znc": "secteur-non-ouvert-a-la-construction",
    "rnu": "secteur-reglement-urbanisme",
}


def _text(value: Any) -> str | None:
    """Lower-case, trimmed, straight apostrophes; None for blanks, CNIG « inconnu », « autre »."""
    if value is None:
        return None
    s = str(value).strip().replace("\u2019", "'").lower()
    return None if s in ("", "na", "inconnu", "autre") else s


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _owner_type(catpro3: Any, personne: Any) -> str | None:
    codes = [c for c in re.split(r"[|\s]+", str(catpro3 or "")) if c]
    if codes:
        kinds = set()
        for code in codes:
            if code in _CATPRO3_PUBLIC:
                kinds.add("public")
            elif code in _CATPRO3_PRIVATE:
                kinds.add("prive")
            elif code in _CATPRO3_COPRO:
                kinds.add("copro")
            else:
                return None
        if "public" in kinds:
            return "public" if kinds == {"public"} else "mixte"
        return "copro-indivision" if "copro" in kinds else "prive"
    people = [_text(p) for p in str(personne or "").split("|") if p.strip()]
    if people and all(p == "personne physique" for p in people):
        return "prive"
    return None


def _zoning(zone_type: Any, dominant: Any, doc_type: Any) -> str | None:
    zone = _text(zone_type)
    if zone in _PLU_ZONES:
        # The engine's rule (zonage-reglementaire.calculator.ts): a PLU zone whose dominant
        # destination is activity (code "02" or a label containing "activit") is an activity zone.
        dest = _text(dominant) or ""
        if dest == "02" or "activit" in dest:
            return "zone-vocation-activites"
        return _PLU_ZONES[zone]
    if zone in _OTHER_ZONES:
        return _OTHER_ZONES[zone]
    if zone is None and _text(doc_type) == "rnu":
        return "secteur-reglement-urbanisme"
    return None


def criteria_from_site(site: Mapping[str, Any]) -> dict[str, Any]:
    """Mutafriches criteria from a stored site's attributes: only what the data supports.

    ``site`` has the column names of ``app.models.site.Site``, plus two extras computed in PostGIS:

    * ``built_footprint_m2`` — m², area of the cadastre buildings (``building``) inside the site's
      footprint (``ST_Area(ST_Intersection)`` in the local projected CRS); **None** (not 0) when the
      commune's buildings layer is not loaded or the site has no polygon;
    * ``polluted_sites_500m`` — number of ``polluted_site`` rows (BASOL, ADEME sites à responsable
      défaillant) with ``position_precision = 'exact'`` within 500 m of the site's footprint (or
      point).

    Every criterion not listed below is left out (unknown), which lowers the reliability note.
    Rules, each the closest reading of the data (the engine's own enrichment where it has one):

    * ``surfaceSite`` (m²) = ``area_m2`` (PostGIS area of the footprint) when > 0, else
      ``unite_fonciere_surface`` (CNIG, cadastral area of the land unit, m²) when > 0.
    * ``surfaceBati`` (m², built footprint) = ``built_footprint_m2``; else 0 when CNIG
      ``bati_nombre`` = 0. CNIG ``bati_surface`` is a floor area, not a footprint: not used.
      (``raccordementEau`` is then derived from it by the method itself.)
    * ``etatBatiInfrastructure`` from CNIG ``bati_etat``: « dégradation inexistante ou faible » →
      ``degradation-inexistante``, « … moyenne / très importante / hétérogène » → the same,
      « sans objet » → ``pas-de-bati``; otherwise ``pas-de-bati`` when ``bati_nombre`` = 0.
    * ``valeurArchitecturaleHistorique`` from CNIG ``bati_patrimoine``: « aucun » → ``ordinaire``,
      « présence d'un bâtiment d'intérêt / classé » → ``interet-remarquable``, « sans objet » →
      ``pas-de-bati``; otherwise ``pas-de-bati`` when ``bati_nombre`` = 0.
    * ``presencePollution``: CNIG ``bati_pollution`` « amiante » → ``oui-amiante``; else, when
      ``bati_pollution`` reports nothing else, ``sol_pollution_existe`` « pollution inexistante »
      → ``non`` and « pollution traitée » → ``deja-geree``. « avérée » and « supposée » do not say
      which kind (volatile or not), and « peu probable » is not an answer: unknown.
    * ``typeProprietaire`` from CNIG ``proprio_type`` (Cerema catpro3 codes, one or more per owner,
      ``|`` or space separated): all public → ``public``; public and others → ``mixte``; a
      co-ownership (G2*) and no public → ``copro-indivision``; all private → ``prive``; any code
      that can be either → unknown. Without codes, ``proprio_personne`` all « personne physique » →
      ``prive``.
    * ``zonageReglementaire`` from CNIG ``urba_zone_type`` and ``urba_zone_formdomi``, following the
      engine's calculator: a PLU zone (U, AUc, AUs, A, N) whose dominant destination is activity →
      ``zone-vocation-activites``; else U → ``zone-urbaine-u``, AUc/AUs → ``zone-a-urbaniser-au``,
      A → ``zone-agricole-a``, N → ``zone-naturelle-n``; carte communale Zc and ZCa →
      ``secteur-ouvert-a-la-construction``, ZnC → ``secteur-non-ouvert-a-la-construction``; RNU
      (zone type, or ``urba_doc_type`` without a zone) → ``secteur-reglement-urbanisme``.
    * ``zoneAccelerationEnr`` from CNIG ``urba_zaer``: « oui » → ``oui``, « non » → ``non``.
    * ``distanceAutoroute`` (m) = Sites économiques ``autoroute_echang_dist`` (km) × 1000.
    * ``distanceRaccordementElectrique`` (m) = 0 when ``reseau_electrique`` = « oui » (the zone is
      equipped: any distance under 1 000 m falls in the same bucket).
    * ``distanceIte`` = ``moins-1km-mauvais-etat`` when ``reseau_fret_ferroviaire`` = « oui » (an
      ITE serves the site; its state is unknown, which the engine reads as « mauvais état »).
    * ``siteEnZae`` from Sites économiques ``eco_site_type``: « zone d'activité économique » → true,
      « site économique historique hors ZAE » and « établissement économique isolé » → false.
    * ``presenceRisquesTechnologiques`` = true when ``polluted_sites_500m`` ≥ 1 (the engine says
      true for a SIS or an ICPE within 500 m; the registers we hold are partial: 0 stays unknown).
    """
    out: dict[str, Any] = {}
    buildings = _number(site.get("bati_nombre"))
    no_building = buildings == 0

    area = _number(site.get("area_m2"))
    unit_area = _number(site.get("unite_fonciere_surface"))
    if area and area > 0:
        out["surfaceSite"] = area
    elif unit_area and unit_area > 0:
        out["surfaceSite"] = unit_area

    footprint = _number(site.get("built_footprint_m2"))
    if footprint is not None and footprint >= 0:
        out["surfaceBati"] = footprint
    elif no_building:
        out["surfaceBati"] = 0

    if (etat := _BATI_ETAT.get(_text(site.get("bati_etat")) or "")) is not None:
        out["etatBatiInfrastructure"] = etat
    elif no_building:
        out["etatBatiInfrastructure"] = "pas-de-bati"

    if (value := _BATI_PATRIMOINE.get(_text(site.get("bati_patrimoine")) or "")) is not None:
        out["valeurArchitecturaleHistorique"] = value
    elif no_building:
        out["valeurArchitecturaleHistorique"] = "pas-de-bati"

    bati_pollution = site.get("bati_pollution")
    bati_pollution = None if bati_pollution is None else str(bati_pollution).strip().lower()
    if bati_pollution == "amiante":
        out["presencePollution"] = "oui-amiante"
    elif bati_pollution in _NO_BUILDING_POLLUTION:
        soil = _SOL_POLLUTION.get(_text(site.get("sol_pollution_existe")) or "")
        if soil is not None:
            out["presencePollution"] = soil

    if (owner := _owner_type(site.get("proprio_type"), site.get("proprio_personne"))) is not None:
        out["typeProprietaire"] = owner

    zoning = _zoning(
        site.get("urba_zone_type"), site.get("urba_zone_formdomi"), site.get("urba_doc_type")
    )
    if zoning is not None:
        out["zonageReglementaire"] = zoning

    zaer = _text(site.get("urba_zaer"))
    if zaer in ("oui", "non"):
        out["zoneAccelerationEnr"] = zaer

    motorway_km = _number(site.get("autoroute_echang_dist"))
    if motorway_km is not None and motorway_km >= 0:
        out["distanceAutoroute"] = motorway_km * 1000

    if _text(site.get("reseau_electrique")) == "oui":
        out["distanceRaccordementElectrique"] = 0
    if _text(site.get("reseau_fret_ferroviaire")) == "oui":
        out["distanceIte"] = "moins-1km-mauvais-etat"

    in_zae = _ECO_SITE_TYPE.get(_text(site.get("eco_site_type")) or "")
    if in_zae is not None:
        out["siteEnZae"] = in_zae

    polluted = _number(site.get("polluted_sites_500m"))
    if polluted is not None and polluted >= 1:
        out["presenceRisquesTechnologiques"] = True
    return out
