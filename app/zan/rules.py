"""ZAN rules: a territory's NAF-consumption envelope and a site's land take (DOMAIN.md §4).

Pure: no database, no HTTP. Parameters (targets, periods, 1 ha floor, exempt projects, overrun,
score weights) come from ``app/data/zan/parameters.toml``; territorialised targets from the file
it names (``data/zan/territorialisation_objectif.json.gz``). Every figure is explained, with its
source, in ``docs/zan.md``. Areas are m² throughout.

Territory envelope (DOMAIN.md §4), year Y being the flow 1 January Y → 1 January Y+1 (Cerema
column ``naf{YY}art{YY+1}``)::

    C_ref     = Σ consumption 2011..2020
    allowed   = max(C_ref × (1 − t) × (1 + overrun), 1 ha)   # the floor for communes only
    C_since   = Σ consumption 2021..latest
    remaining = allowed − C_since
    used      = C_since / allowed

Projection to 2030: the mean yearly consumption since 2021 (``C_since / years``) extended to the
end of the target period.

Site land take (DOMAIN.md §4): ``NAF_new = max(0, S − S_already_urbanised)``; 0 for a friche.
When a site's data cannot tell how much of it is already urbanised the take is unknown (None) with
the reason, never a guess: the matching reports unknowns, it does not count them as a match.
"""

import gzip
import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

PARAMETERS_PATH = Path(__file__).resolve().parent.parent / "data" / "zan" / "parameters.toml"
M2_PER_HA = 10_000.0
TERRITORY_TYPES = ("commune", "epci", "region")
TargetKind = Literal["default", "sraddet_region", "territorialised"]


# --- Parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExemptCategory:
    """A project category whose NAF take is not charged to the local envelope."""

    key: str
    label: str
    active: bool
    source: str
    national_forfait_ha: float | None = None


@dataclass(frozen=True)
class ZanParameters:
    """The parameters of ``parameters.toml`` (rates as fractions, areas in m²)."""

    default_target: float
    default_target_source: str
    sraddet_region_target: float
    sraddet_region_source: str
    territorialised_file: str
    territorialised_source: str
    reference_start: int
    reference_end: int
    target_start: int
    target_end: int
    periods_source: str
    floor_m2: float
    floor_applies_to: tuple[str, ...]
    floor_source: str
    overrun: float
    overrun_proposed: float
    overrun_source: str
    exempt: tuple[ExemptCategory, ...]
    artificialised_share: float
    artificialised_source: str
    score_relative_weight: float
    score_absolute_weight: float
    score_absolute_reference_m2: float
    score_source: str

    @property
    def reference_years(self) -> range:
        """Years of the reference period (2011..2020)."""
        return range(self.reference_start, self.reference_end + 1)

    @property
    def target_years(self) -> range:
        """Years of the target period (2021..2030)."""
        return range(self.target_start, self.target_end + 1)

    def exempt_category(self, key: str) -> ExemptCategory:
        """Return the exempt category ``key``; ValueError naming the allowed keys otherwise."""
        for category in self.exempt:
            if category.key == key:
                return category
        raise ValueError(
            f"unknown project category {key!r} (allowed: {[c.key for c in self.exempt]})"
        )


def _fraction(data: Mapping[str, Any], key: str, where: str, *, upper: float = 1.0) -> float:
    value = data.get(key)
    if not isinstance(value, int | float) or not 0 <= value < upper:
        raise ValueError(f"{where}.{key} must be a number in [0, {upper}), got {value!r}")
    return float(value)


def parse_parameters(data: Mapping[str, Any]) -> ZanParameters:
    """Build the parameters from the TOML document ``data``; ValueError naming a bad key."""
    try:
        target, periods, floor = data["target"], data["periods"], data["floor"]
        overrun, site, score = data["overrun"], data["site"], data["score"]
        params = ZanParameters(
            default_target=_fraction(target, "default", "target"),
            default_target_source=str(target["default_source"]),
            sraddet_region_target=_fraction(target, "sraddet_region", "target"),
            sraddet_region_source=str(target["sraddet_region_source"]),
            territorialised_file=str(target["territorialised_file"]),
            territorialised_source=str(target["territorialised_source"]),
            reference_start=int(periods["reference_start"]),
            reference_end=int(periods["reference_end"]),
            target_start=int(periods["target_start"]),
            target_end=int(periods["target_end"]),
            periods_source=str(periods["source"]),
            floor_m2=float(floor["communal_ha"]) * M2_PER_HA,
            floor_applies_to=tuple(floor["applies_to"]),
            floor_source=str(floor["source"]),
            overrun=_fraction(overrun, "value", "overrun", upper=10.0),
            overrun_proposed=_fraction(overrun, "proposed", "overrun", upper=10.0),
            overrun_source=str(overrun["source"]),
            exempt=tuple(
                ExemptCategory(
                    key=str(e["key"]),
                    label=str(e["label"]),
                    active=bool(e["active"]),
                    source=str(e["source"]),
                    national_forfait_ha=e.get("national_forfait_ha"),
                )
                for e in data.get("exempt", [])
            ),
            artificialised_share=_fraction(
                site, "artificialised_share_of_naf_take", "site", upper=1.000001
            ),
            artificialised_source=str(site["artificialised_source"]),
            score_relative_weight=float(score["relative_weight"]),
            score_absolute_weight=float(score["absolute_weight"]),
            score_absolute_reference_m2=float(score["absolute_reference_ha"]) * M2_PER_HA,
            score_source=str(score["source"]),
        )
    except KeyError as exc:
        raise ValueError(f"ZAN parameters: missing key {exc.args[0]!r}") from None
    if not params.reference_start <= params.reference_end < params.target_start:
        raise ValueError("periods: the reference period must end before the target period starts")
    if params.target_end < params.target_start:
        raise ValueError("periods: target_end must not be before target_start")
    if params.floor_m2 < 0:
        raise ValueError("floor.communal_ha must not be negative")
    if abs(params.score_relative_weight + params.score_absolute_weight - 100) > 1e-9:
        raise ValueError("score: relative_weight + absolute_weight must be 100")
    if params.score_absolute_reference_m2 <= 0:
        raise ValueError("score.absolute_reference_ha must be positive")
    return params


@cache
def load_parameters(path: Path = PARAMETERS_PATH) -> ZanParameters:
    """Read and check ``parameters.toml`` (cached)."""
    with path.open("rb") as fh:
        return parse_parameters(tomllib.load(fh))


# --- Targets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The reduction rate applied to a territory, and where it comes from."""

    rate: float
    kind: TargetKind
    source: str
    #: The land the rate was published for (``EPCI_200067965``, ``REGION_32``), if territorialised.
    land: str | None = None


def parse_territorial_targets(objects: Iterable[Mapping[str, Any]]) -> dict[str, Target]:
    """Targets by land key (``REGION_32``, ``EPCI_<siren>``) from Sparte's fixture objects.

    SCoT and custom perimeters are skipped: Foncier has no table of their members.
    """
    targets: dict[str, Target] = {}
    for obj in objects:
        fields = obj["fields"]
        land = str(fields["land"])
        if not land.startswith(("REGION_", "EPCI_")):
            continue
        rate = float(fields["objectif_de_reduction"]) / 100
        if not 0 <= rate < 1:
            raise ValueError(f"{land}: objectif_de_reduction {rate * 100} is not in [0, 100)")
        document = fields.get("nom_document") or "document"
        status = "adopted" if fields.get("is_in_document") else "proposed, not yet in the document"
        targets[land] = Target(
            rate=rate,
            kind="territorialised",
            source=f"{document} ({status}); Sparte territorialisation, {land}",
            land=land,
        )
    return targets


@cache
def load_territorial_targets(path: Path) -> dict[str, Target]:
    """Read the territorialised targets file (JSON, gzip or not; cached)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return parse_territorial_targets(json.load(fh))


def resolve_target(
    *,
    territory_type: str,
    code: str,
    epci_siren: str | None = None,
    region_code: str | None = None,
    targets: Mapping[str, Target] | None = None,
    params: ZanParameters | None = None,
) -> Target:
    """The target rate of a territory: the most local published one, else the default.

    Order: the territory's own territorialised target (``EPCI_<siren>``); for a commune, its
    EPCI's (a PLUi or SCoT target covers its communes); the territorialised SRADDET target of its
    region (``REGION_<code>``); else the default 50 % (loi Climat et Résilience). A region without
    a published target gets ``target.sraddet_region`` (54.5 %, DOMAIN.md §4).
    """
    p = params or load_parameters()
    t = targets or {}
    if territory_type not in TERRITORY_TYPES:
        raise ValueError(f"unknown territory type {territory_type!r} (allowed: {TERRITORY_TYPES})")
    keys = []
    if territory_type == "epci":
        keys.append(f"EPCI_{code}")
    if territory_type == "commune" and epci_siren:
        keys.append(f"EPCI_{epci_siren}")
    if territory_type == "region":
        keys.append(f"REGION_{code}")
    elif region_code:
        keys.append(f"REGION_{region_code}")
    for key in keys:
        if key in t:
            return t[key]
    if territory_type == "region":
        return Target(p.sraddet_region_target, "sraddet_region", p.sraddet_region_source)
    return Target(p.default_target, "default", p.default_target_source)


# --- Territory envelope -------------------------------------------------------------------------


class IncompleteConsumption(ValueError):
    """The yearly series lacks years the envelope needs: it cannot be computed."""

    def __init__(self, missing_years: list[int]) -> None:
        self.missing_years = missing_years
        years = ", ".join(str(y) for y in missing_years)
        super().__init__(f"no NAF-consumption figure for {years}: the envelope cannot be computed")


@dataclass(frozen=True)
class Projection:
    """Consumption over the whole target period if the rate since its start goes on."""

    method: str
    #: Mean yearly consumption since the start of the target period (m²/year).
    yearly_rate_m2: float
    #: Projected consumption over the whole target period (m²).
    consumption_m2: float
    #: Projected consumption / allowed (None when nothing is allowed).
    used_share: float | None
    #: The year in which the envelope is (or, at this rate, will be) exceeded; None if not by
    #: the end of the target period.
    exceeded_in: int | None


@dataclass(frozen=True)
class Envelope:
    """A territory's NAF-consumption envelope for the target period (m²)."""

    territory_type: str
    target: Target
    reference_start: int
    reference_end: int
    target_start: int
    target_end: int
    #: C_ref: consumption over the reference period.
    reference_m2: float
    #: C_ref × (1 − t) × (1 + overrun), before the floor.
    reduced_m2: float
    #: The envelope: the reduced figure, or the 1 ha communal floor if larger.
    allowed_m2: float
    floor_applied: bool
    overrun: float
    #: C_since: consumption from the start of the target period to the latest year known.
    consumed_since_m2: float
    #: Last year counted in C_since (None: no figure since the target period started).
    latest_year: int | None
    remaining_m2: float
    #: C_since / allowed (None when nothing is allowed).
    used_share: float | None
    projection: Projection | None
    yearly_m2: dict[int, float] = field(default_factory=dict)


def _projection(
    since: Mapping[int, float], allowed: float, latest: int | None, target_end: int, start: int
) -> Projection | None:
    if latest is None:
        return None
    years = latest - start + 1
    consumed = sum(since.values())
    rate = consumed / years
    projected = consumed + rate * (target_end - latest)
    exceeded: int | None = None
    cumulative = 0.0
    for year in range(start, latest + 1):
        cumulative += since[year]
        if cumulative > allowed:
            exceeded = year
            break
    if exceeded is None and rate > 0:
        # Year y (after latest) ends with consumed + rate × (y − latest): first y above allowed.
        years_left = (allowed - consumed) / rate
        year = latest + max(1, math.floor(years_left) + 1)
        exceeded = year if year <= target_end else None
    return Projection(
        method=(
            f"mean yearly consumption {start}–{latest} ({years} year{'s' if years > 1 else ''}) "
            f"extended to {target_end}"
        ),
        yearly_rate_m2=rate,
        consumption_m2=projected,
        used_share=projected / allowed if allowed > 0 else None,
        exceeded_in=exceeded,
    )


def territory_envelope(
    consumption: Mapping[int, float],
    *,
    territory_type: str,
    target: Target | None = None,
    params: ZanParameters | None = None,
) -> Envelope:
    """The envelope of a commune, EPCI or region from its yearly NAF consumption (m² by year).

    ``consumption[Y]`` is the flow 1 January Y → 1 January Y+1. Every reference year must be
    there, and every year from the start of the target period to the latest one given
    (:class:`IncompleteConsumption` otherwise). The 1 ha floor applies to communes only.
    """
    p = params or load_parameters()
    if territory_type not in TERRITORY_TYPES:
        raise ValueError(f"unknown territory type {territory_type!r} (allowed: {TERRITORY_TYPES})")
    tgt = target or resolve_target(territory_type=territory_type, code="", params=p)
    later = [y for y in consumption if p.target_start <= y <= p.target_end]
    latest = max(later) if later else None
    needed = list(p.reference_years) + (list(range(p.target_start, latest + 1)) if latest else [])
    missing = [y for y in needed if consumption.get(y) is None]
    if missing:
        raise IncompleteConsumption(missing)
    reference = sum(consumption[y] for y in p.reference_years)
    reduced = reference * (1 - tgt.rate) * (1 + p.overrun)
    floor = p.floor_m2 if territory_type in p.floor_applies_to else 0.0
    allowed = max(reduced, floor)
    since = {y: consumption[y] for y in range(p.target_start, latest + 1)} if latest else {}
    consumed = sum(since.values())
    return Envelope(
        territory_type=territory_type,
        target=tgt,
        reference_start=p.reference_start,
        reference_end=p.reference_end,
        target_start=p.target_start,
        target_end=p.target_end,
        reference_m2=reference,
        reduced_m2=reduced,
        allowed_m2=allowed,
        floor_applied=floor > reduced,
        overrun=p.overrun,
        consumed_since_m2=consumed,
        latest_year=latest,
        remaining_m2=allowed - consumed,
        used_share=consumed / allowed if allowed > 0 else None,
        projection=_projection(since, allowed, latest, p.target_end, p.target_start),
        yearly_m2=dict(sorted(consumption.items())),
    )


@dataclass(frozen=True)
class EnvelopeShare:
    """How much of a territory's remaining envelope a NAF take would use."""

    take_m2: float | None
    remaining_m2: float | None
    #: take / remaining (0 for no take); None when it cannot be said (see ``reason``).
    share: float | None
    #: The take is larger than what remains (or nothing remains and the take is positive).
    exceeds_remaining: bool | None
    reason: str | None = None


def share_of_remaining(take_m2: float | None, envelope: Envelope | None) -> EnvelopeShare:
    """The share of ``envelope``'s remaining m² that a NAF take of ``take_m2`` would use."""
    if envelope is None:
        return EnvelopeShare(take_m2, None, None, None, "no NAF-consumption data for the territory")
    remaining = envelope.remaining_m2
    if take_m2 is None:
        return EnvelopeShare(None, remaining, None, None, "the site's NAF take is unknown")
    if take_m2 < 0:
        raise ValueError(f"a NAF take cannot be negative, got {take_m2}")
    if take_m2 == 0:
        return EnvelopeShare(0.0, remaining, 0.0, False)
    if remaining <= 0:
        return EnvelopeShare(
            take_m2, remaining, None, True, "the territory's envelope is already used up"
        )
    return EnvelopeShare(take_m2, remaining, take_m2 / remaining, take_m2 > remaining)


@dataclass(frozen=True)
class HostShares:
    """A site's NAF take against the remaining envelopes of its commune and its EPCI."""

    commune: EnvelopeShare
    epci: EnvelopeShare


def host_shares(
    take_m2: float | None, *, commune: Envelope | None, epci: Envelope | None
) -> HostShares:
    """The site's share of the remaining envelope of its host commune and EPCI."""
    return HostShares(
        commune=share_of_remaining(take_m2, commune), epci=share_of_remaining(take_m2, epci)
    )


# --- Site land take -----------------------------------------------------------------------------

#: CNIG Friches ``site_type`` values that say the land is a friche (all but the non-answers).
FRICHE_SITE_TYPES = frozenset(
    {
        "friche industrielle",
        "friche commerciale",
        "friche hospitalière",
        "friche agro-industrielle",
        "friche carrière ou mine",
        "friche militaire",
        "friche d'habitat",
        "friche d'équipement public",
        "friche portuaire",
        "friche aéroportuaire",
        "friche ferroviaire",
        "friche logistique",
        "friche loisir tourisme hôtellerie",
        "friche enseignement",
        "friche cultuelle",
        "mixte - dominante habitat",
        "mixte - autre",
    }
)
#: CNIG Sites économiques ``terr_usage`` values of land already urbanised (built, paved,
#: infrastructure): in Cerema's fichiers fonciers these parcels are no longer NAF.
URBAN_PLOT_USES = frozenset(
    {
        "voirie ou infrastructure",
        "parkings, stationnement",
        "zone de retournement poids-lourds",
        "autres équipements publics",
        "bâti productif",
        "bâti résidentiel",
        "bassin d'orage ou de rétention",
        "zone de service partagée entre entreprises",
        "dépôt, stockage",
    }
)
#: ``terr_usage`` values of NAF land (natural, agricultural, forest).
NAF_PLOT_USES = frozenset({"espace naturel ou forestier", "espace agricole"})
#: ``terr_stade_amngt`` values of a plot whose servicing works have started or are done: its
#: consumption is the zone's, counted when the zone was developed, not the investor's.
SERVICED_STAGES = frozenset(
    {"viabilisation en cours", "viabilisé non aménagé", "viabilisé et aménagé"}
)


@dataclass(frozen=True)
class SiteFacts:
    """What a stored site says about its land (CNIG names; areas in m²)."""

    kind: str
    area_m2: float | None
    #: Built footprint (CNIG Friches ``bati_surface``, m²).
    bati_surface_m2: float | None = None
    #: CNIG Friches ``site_type``.
    site_type: str | None = None
    #: CNIG Sites économiques TERRAIN-ECO fields.
    terr_etat_occup: str | None = None
    terr_usage: str | None = None
    terr_stade_amngt: str | None = None
    #: Already-urbanised area known from elsewhere (OCS GE, the territory's own survey), m².
    urbanised_m2: float | None = None


@dataclass(frozen=True)
class SiteLandTake:
    """A site's ZAN figures: NAF land newly consumed, newly artificialised, sobriety score."""

    #: NAF land newly consumed by building on the whole site (m²); None: unknown.
    naf_new_m2: float | None
    #: Area newly artificialised in the décret 2023-1096 sense (m²); None: unknown.
    artificialised_new_m2: float | None
    #: What the host territory's envelope is charged: 0 for an exempt project (PENE).
    charged_locally_m2: float | None
    #: Land-sobriety score 0–100 (docs/zan.md); None: unknown.
    sobriety_score: float | None
    already_urbanised_m2: float | None
    #: What the take can be at least and at most given what is known (None: area unknown).
    naf_new_bounds_m2: tuple[float, float] | None
    sobriety_score_bounds: tuple[float, float] | None
    #: Machine code of the rule applied (``friche``, ``plot_naf_use``, ``unknown`` …).
    rule: str
    #: Why, in words (for the match answer's "why").
    reason: str
    #: Key of the exempt project category applied, if any.
    exempt: str | None = None


def site_facts(site: Any, *, urbanised_m2: float | None = None) -> SiteFacts:
    """The facts of a stored site (any object with the ``Site`` columns), for site_land_take.

    The area is ``area_m2`` (PostGIS, Lambert-93) unless the footprint is only a point
    (``geom_approximate``): then the declared ``unite_fonciere_surface`` (CNIG, m²), if any.
    """
    area = getattr(site, "area_m2", None)
    if getattr(site, "geom_approximate", False) or not area:
        area = getattr(site, "unite_fonciere_surface", None) or None
    bati = getattr(site, "bati_surface", None)
    return SiteFacts(
        kind=site.kind,
        area_m2=float(area) if area else None,
        bati_surface_m2=float(bati) if bati is not None else None,
        site_type=getattr(site, "site_type", None),
        terr_etat_occup=getattr(site, "terr_etat_occup", None),
        terr_usage=getattr(site, "terr_usage", None),
        terr_stade_amngt=getattr(site, "terr_stade_amngt", None),
        urbanised_m2=urbanised_m2,
    )


def sobriety_score(naf_new_m2: float, area_m2: float, params: ZanParameters | None = None) -> float:
    """Land-sobriety score 0–100 of a take of ``naf_new_m2`` on a site of ``area_m2``.

    ``100 − 60 × NAF_new / S − 40 × min(1, NAF_new / 10 ha)`` with the weights and the 10 ha
    reference of ``parameters.toml``: 100 for a friche, 0 for a greenfield site of 10 ha or more.
    """
    p = params or load_parameters()
    if area_m2 <= 0:
        raise ValueError(f"site area must be positive, got {area_m2}")
    if not 0 <= naf_new_m2 <= area_m2 * (1 + 1e-9):
        raise ValueError(f"NAF take {naf_new_m2} must be between 0 and the area {area_m2}")
    score = (
        100
        - p.score_relative_weight * min(1.0, naf_new_m2 / area_m2)
        - p.score_absolute_weight * min(1.0, naf_new_m2 / p.score_absolute_reference_m2)
    )
    return round(max(0.0, score), 1)


def _already_urbanised(facts: SiteFacts) -> tuple[str, float | None, str]:
    """(rule, already-urbanised m² or None when unknown, reason) for a site of known area."""
    area = float(facts.area_m2 or 0)
    bati = min(area, float(facts.bati_surface_m2 or 0))
    if facts.urbanised_m2 is not None:
        urbanised = min(area, max(0.0, facts.urbanised_m2))
        return "declared_urbanised", urbanised, "already-urbanised area given for the site"
    if facts.kind == "friche" or facts.site_type in FRICHE_SITE_TYPES:
        what = f"kind {facts.kind}" if facts.kind == "friche" else f"site_type {facts.site_type!r}"
        return "friche", area, f"a friche ({what}): previously developed land, no NAF consumed"
    if facts.terr_etat_occup == "friche":
        return "plot_friche", area, "plot occupation 'friche': previously developed land"
    if facts.terr_usage in URBAN_PLOT_USES:
        return "plot_urban_use", area, f"plot use {facts.terr_usage!r}: land already urbanised"
    if facts.terr_usage in NAF_PLOT_USES:
        return (
            "plot_naf_use",
            bati,
            f"plot use {facts.terr_usage!r}: NAF land"
            + (f" except its {bati:.0f} m² of buildings" if bati else ""),
        )
    if facts.terr_stade_amngt in SERVICED_STAGES:
        return (
            "plot_serviced",
            area,
            f"development stage {facts.terr_stade_amngt!r}: the zone's servicing consumed the "
            "land; building on the plot adds none",
        )
    if bati:
        return (
            "unknown",
            None,
            f"only the built footprint ({bati:.0f} m²) is known to be urbanised; the rest of the "
            "site may or may not be NAF land",
        )
    return (
        "unknown",
        None,
        f"a {facts.kind} site whose data cannot tell whether it is NAF land (no plot use, "
        "development stage or building footprint)",
    )


def site_land_take(
    facts: SiteFacts,
    *,
    project_category: str | None = None,
    params: ZanParameters | None = None,
) -> SiteLandTake:
    """A site's NAF take, new artificialisation and sobriety score (DOMAIN.md §4).

    ``NAF_new = max(0, S − S_already_urbanised)``, 0 for a friche. What counts as already
    urbanised, in this order: an area given for the site (``urbanised_m2``); the whole site for a
    friche (``kind`` or CNIG ``site_type``), a plot whose occupation is ``friche``, a plot whose
    use is built or paved, a serviced plot; only its buildings for a plot used as natural or
    agricultural land. Otherwise unknown (None) with the reason, and bounds 0 ≤ NAF_new ≤ S − built
    footprint. ``project_category`` (``pene`` …) makes ``charged_locally_m2`` 0 when that category
    is exempt.
    """
    p = params or load_parameters()
    category = p.exempt_category(project_category) if project_category else None
    exempt = category.key if category and category.active else None
    area = facts.area_m2
    if area is None or area <= 0:
        return SiteLandTake(
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "unknown",
            "the site's area is unknown",
            exempt,
        )
    rule, urbanised, reason = _already_urbanised(facts)
    if urbanised is None:
        known = min(area, float(facts.bati_surface_m2 or 0))
        high = area - known
        return SiteLandTake(
            naf_new_m2=None,
            artificialised_new_m2=None,
            charged_locally_m2=0.0 if exempt else None,
            sobriety_score=None,
            already_urbanised_m2=None,
            naf_new_bounds_m2=(0.0, high),
            sobriety_score_bounds=(sobriety_score(high, area, p), sobriety_score(0.0, area, p)),
            rule=rule,
            reason=reason,
            exempt=exempt,
        )
    naf_new = max(0.0, area - urbanised)
    return SiteLandTake(
        naf_new_m2=naf_new,
        artificialised_new_m2=naf_new * p.artificialised_share,
        charged_locally_m2=0.0 if exempt else naf_new,
        sobriety_score=sobriety_score(naf_new, area, p),
        already_urbanised_m2=urbanised,
        naf_new_bounds_m2=(naf_new, naf_new),
        sobriety_score_bounds=(sobriety_score(naf_new, area, p),) * 2,
        rule=rule,
        reason=reason,
        exempt=exempt,
    )
