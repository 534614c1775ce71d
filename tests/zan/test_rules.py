"""Pure ZAN rules (app/zan/rules.py) on hand-computed cases, most of them from the real Lyon file.

Yearly figures (m²) are copied from data/zan/derived_conso_communes_wide_cerema_columns.csv.gz
(columns naf11art12 … naf23art24); sums are done by hand in the comments.
"""

import math
import tomllib
from dataclasses import replace

import pytest

from app import PROJECT_ROOT
from app.zan import rules
from app.zan.rules import SiteFacts, site_land_take, territory_envelope

TARGETS = rules.load_territorial_targets(
    PROJECT_ROOT / "data" / "zan" / "territorialisation_objectif.json.gz"
)


def years(first: int, values: list[float]) -> dict[int, float]:
    return {first + i: v for i, v in enumerate(values)}


# Lyon (69123), 2011..2023.
LYON = years(2011, [9237, 14975, 13285, 7301, 1657, 6425, 2463, 5177, 14061, 0, 100, 0, 1348])
# La Mulatière (69142): 630 m² over 2011–2020, 1 804 m² in 2021.
LA_MULATIERE = years(2011, [1, 0, 629, 0, 0, 0, 0, 0, 0, 0, 0, 1804, 0])
# Montanay (69284): 86 322 m² in 2021 alone.
MONTANAY = years(
    2011, [37135, 8571, 2958, 6173, 7849, 623, 756, 5593, 3663, 9513, 86322, 776, 6428]
)


def test_parameters_file_holds_the_legal_figures() -> None:
    p = rules.load_parameters()
    assert (p.default_target, p.sraddet_region_target) == (0.5, 0.545)
    assert (p.reference_start, p.reference_end, p.target_start, p.target_end) == (
        2011,
        2020,
        2021,
        2030,
    )
    assert p.floor_m2 == 10_000 and p.floor_applies_to == ("commune",)
    assert (p.overrun, p.overrun_proposed) == (0.0, 0.30)
    pene = p.exempt_category("pene")
    assert pene.active and pene.national_forfait_ha == 12_500
    assert not p.exempt_category("industry").active
    for source in (p.default_target_source, p.floor_source, pene.source, p.overrun_source):
        assert source


def test_lyon_commune_envelope_by_hand() -> None:
    env = territory_envelope(
        LYON,
        territory_type="commune",
        target=rules.resolve_target(
            territory_type="commune",
            code="69123",
            epci_siren="200046977",
            region_code="84",
            targets=TARGETS,
        ),
    )
    # 9237+14975+13285+7301+1657+6425+2463+5177+14061+0 = 74 581 m²
    assert env.reference_m2 == 74_581
    assert env.target.kind == "default" and env.target.rate == 0.5
    assert env.allowed_m2 == 37_290.5 and not env.floor_applied
    assert env.consumed_since_m2 == 1_448 and env.latest_year == 2023  # 100 + 0 + 1348
    assert env.remaining_m2 == 35_842.5
    assert env.used_share == pytest.approx(1448 / 37290.5)  # 3.88 %
    proj = env.projection
    assert proj is not None
    assert proj.yearly_rate_m2 == pytest.approx(1448 / 3)
    # 1448 + 1448/3 × 7 years (2024..2030) = 4 826.67 m²
    assert proj.consumption_m2 == pytest.approx(1448 + 1448 / 3 * 7)
    assert proj.exceeded_in is None
    assert "2021–2023" in proj.method and "2030" in proj.method


def test_floor_of_one_hectare_for_a_commune_only() -> None:
    # La Mulatière: C_ref = 630 m², halved 315 m² < 1 ha: the commune may consume 1 ha.
    env = territory_envelope(LA_MULATIERE, territory_type="commune")
    assert env.reference_m2 == 630 and env.reduced_m2 == 315
    assert env.allowed_m2 == 10_000 and env.floor_applied
    assert env.consumed_since_m2 == 1_804 and env.remaining_m2 == 8_196
    assert env.used_share == pytest.approx(0.1804)
    # The same series for an EPCI: no floor.
    epci = territory_envelope(LA_MULATIERE, territory_type="epci")
    assert epci.allowed_m2 == 315 and not epci.floor_applied
    assert epci.remaining_m2 == 315 - 1804
    assert epci.projection is not None and epci.projection.exceeded_in == 2022


def test_envelope_already_exceeded() -> None:
    # Montanay: C_ref = 82 834 m², allowed 41 417; 2021 alone took 86 322 m².
    env = territory_envelope(MONTANAY, territory_type="commune")
    assert env.reference_m2 == 82_834 and env.allowed_m2 == 41_417
    assert env.consumed_since_m2 == 93_526
    assert env.remaining_m2 == -52_109
    assert env.used_share == pytest.approx(93_526 / 41_417)  # 225.8 %
    assert env.projection is not None and env.projection.exceeded_in == 2021
    share = rules.share_of_remaining(5_000, env)
    assert share.share is None and share.exceeds_remaining is True
    assert "used up" in (share.reason or "")


def test_projection_year_of_exceeding() -> None:
    # Allowed 1 000; 100 a year over 2021–2023: 300 used, 700 left at 100/year → 7 more years,
    # the 8th (2031) exceeds: not within the period. At 150/year: 450 used, 550 left → 2027 ends
    # at 1 050 > 1 000.
    ref = dict.fromkeys(range(2011, 2021), 200.0)  # C_ref 2 000 → allowed 1 000
    slow = territory_envelope({**ref, 2021: 100, 2022: 100, 2023: 100}, territory_type="epci")
    assert slow.allowed_m2 == 1000 and slow.projection is not None
    assert slow.projection.exceeded_in is None
    assert slow.projection.consumption_m2 == pytest.approx(1000)  # exactly used up, not exceeded
    fast = territory_envelope({**ref, 2021: 150, 2022: 150, 2023: 150}, territory_type="epci")
    assert fast.projection is not None and fast.projection.exceeded_in == 2027


def test_no_figure_since_2021_means_no_projection() -> None:
    env = territory_envelope(dict.fromkeys(range(2009, 2021), 100.0), territory_type="epci")
    assert env.latest_year is None and env.consumed_since_m2 == 0
    assert env.remaining_m2 == 500 and env.projection is None


def test_missing_reference_year_is_not_a_zero() -> None:
    series = dict(LYON)
    del series[2015]
    with pytest.raises(rules.IncompleteConsumption) as exc:
        territory_envelope(series, territory_type="commune")
    assert exc.value.missing_years == [2015]
    gap = dict(LYON)
    del gap[2022]  # 2021 and 2023 known, 2022 not: C_since cannot be summed
    with pytest.raises(rules.IncompleteConsumption, match="2022"):
        territory_envelope(gap, territory_type="commune")


def test_territorialised_targets_override_the_default() -> None:
    # Agglomération de la Région de Compiègne (EPCI 200067965): 62 % in its SCoT.
    compiegne = rules.resolve_target(
        territory_type="epci", code="200067965", region_code="32", targets=TARGETS
    )
    assert compiegne.rate == pytest.approx(0.62) and compiegne.kind == "territorialised"
    assert compiegne.land == "EPCI_200067965"
    # One of its communes (Choisy-au-Bac, 60151) takes its EPCI's target.
    choisy = rules.resolve_target(
        territory_type="commune",
        code="60151",
        epci_siren="200067965",
        region_code="32",
        targets=TARGETS,
    )
    assert choisy == compiegne
    # Lille (MEL has no entry): the Hauts-de-France SRADDET, 54.47 %.
    lille = rules.resolve_target(
        territory_type="commune",
        code="59350",
        epci_siren="200093201",
        region_code="32",
        targets=TARGETS,
    )
    assert lille.rate == pytest.approx(0.5447) and lille.land == "REGION_32"
    # Outside Hauts-de-France: the default 50 %; a region without a target: 54.5 %.
    assert (
        rules.resolve_target(
            territory_type="epci", code="200046977", region_code="84", targets=TARGETS
        ).rate
        == 0.5
    )
    region = rules.resolve_target(territory_type="region", code="84", targets=TARGETS)
    assert (region.rate, region.kind) == (0.545, "sraddet_region")
    # The envelope with a 62 % target: 74 581 × 0.38 = 28 340.78 m².
    env = territory_envelope(LYON, territory_type="epci", target=compiegne)
    assert env.allowed_m2 == pytest.approx(74_581 * 0.38)


def test_overrun_parameter_widens_the_envelope() -> None:
    params = replace(rules.load_parameters(), overrun=0.30)
    env = territory_envelope(LYON, territory_type="commune", params=params)
    assert env.allowed_m2 == pytest.approx(37_290.5 * 1.3)  # 48 477.65 m²
    # The floor is not raised by the overrun (1 ha, garantie communale).
    mul = territory_envelope(LA_MULATIERE, territory_type="commune", params=params)
    assert mul.allowed_m2 == 10_000


def test_parameters_file_errors_name_the_key() -> None:
    with (PROJECT_ROOT / "app" / "data" / "zan" / "parameters.toml").open("rb") as fh:
        data = tomllib.load(fh)
    data["target"]["default"] = 1.5
    with pytest.raises(ValueError, match=r"target\.default"):
        rules.parse_parameters(data)
    del data["floor"]
    with pytest.raises(ValueError, match="floor"):
        rules.parse_parameters(data)


# --- Sites ---------------------------------------------------------------------------------------


def test_friche_takes_no_naf_land() -> None:
    take = site_land_take(SiteFacts(kind="friche", area_m2=25_000, site_type="friche industrielle"))
    assert take.naf_new_m2 == 0 and take.artificialised_new_m2 == 0
    assert take.sobriety_score == 100 and take.rule == "friche"
    # A turnkey site on a former friche (CNIG site_type) is recycled land too.
    on_friche = site_land_take(
        SiteFacts(kind="turnkey", area_m2=8_000, site_type="friche logistique")
    )
    assert on_friche.naf_new_m2 == 0 and on_friche.rule == "friche"
    plot = site_land_take(SiteFacts(kind="serviced_plot", area_m2=8_000, terr_etat_occup="friche"))
    assert plot.naf_new_m2 == 0 and plot.rule == "plot_friche"


def test_greenfield_turnkey_takes_its_whole_area() -> None:
    take = site_land_take(SiteFacts(kind="turnkey", area_m2=20_000, terr_usage="espace agricole"))
    assert take.naf_new_m2 == 20_000 and take.artificialised_new_m2 == 20_000
    assert take.charged_locally_m2 == 20_000
    # 100 − 60 × 1 − 40 × 2 ha / 10 ha = 32
    assert take.sobriety_score == 32.0
    big = site_land_take(SiteFacts(kind="turnkey", area_m2=150_000, terr_usage="espace agricole"))
    assert big.sobriety_score == 0.0  # 15 ha ≥ the 10 ha reference


def test_buildings_on_farmland_are_already_urbanised() -> None:
    # 3 ha of agricultural land with 2 000 m² of buildings: 28 000 m² of NAF land.
    take = site_land_take(
        SiteFacts(
            kind="turnkey", area_m2=30_000, bati_surface_m2=2_000, terr_usage="espace agricole"
        )
    )
    assert take.naf_new_m2 == 28_000 and take.already_urbanised_m2 == 2_000
    # 100 − 60 × 28/30 − 40 × 2.8/10 = 100 − 56 − 11.2 = 32.8
    assert take.sobriety_score == 32.8


def test_unknown_land_is_reported_not_guessed() -> None:
    take = site_land_take(SiteFacts(kind="turnkey", area_m2=20_000))
    assert take.naf_new_m2 is None and take.sobriety_score is None
    assert take.artificialised_new_m2 is None and take.rule == "unknown"
    assert "cannot tell" in take.reason
    assert take.naf_new_bounds_m2 == (0.0, 20_000.0)
    assert take.sobriety_score_bounds == (32.0, 100.0)
    # Only the footprint known: at most the rest of the site.
    partial = site_land_take(SiteFacts(kind="serviced_plot", area_m2=20_000, bati_surface_m2=5_000))
    assert partial.naf_new_m2 is None and partial.naf_new_bounds_m2 == (0.0, 15_000.0)
    assert "5000 m²" in partial.reason
    # No area: nothing can be said.
    none = site_land_take(SiteFacts(kind="friche", area_m2=None))
    assert none.naf_new_m2 is None and none.naf_new_bounds_m2 is None
    assert none.reason == "the site's area is unknown"


def test_serviced_and_built_plots() -> None:
    serviced = site_land_take(
        SiteFacts(kind="serviced_plot", area_m2=12_000, terr_stade_amngt="viabilisé et aménagé")
    )
    assert serviced.naf_new_m2 == 0 and serviced.rule == "plot_serviced"
    built = site_land_take(SiteFacts(kind="turnkey", area_m2=12_000, terr_usage="bâti productif"))
    assert built.naf_new_m2 == 0 and built.rule == "plot_urban_use"
    # Use beats stage: a serviced plot still used as farmland is NAF land.
    farmed = site_land_take(
        SiteFacts(
            kind="serviced_plot",
            area_m2=12_000,
            terr_usage="espace agricole",
            terr_stade_amngt="viabilisé non aménagé",
        )
    )
    assert farmed.naf_new_m2 == 12_000
    # A surveyed urbanised area (OCS GE, the territory) wins over everything.
    surveyed = site_land_take(SiteFacts(kind="turnkey", area_m2=12_000, urbanised_m2=9_000))
    assert surveyed.naf_new_m2 == 3_000 and surveyed.rule == "declared_urbanised"


def test_pene_project_is_not_charged_locally() -> None:
    facts = SiteFacts(kind="turnkey", area_m2=500_000, terr_usage="espace naturel ou forestier")
    take = site_land_take(facts, project_category="pene")
    assert take.naf_new_m2 == 500_000 and take.charged_locally_m2 == 0 and take.exempt == "pene"
    # The proposed industry exemption is off by default: charged in full.
    industry = site_land_take(facts, project_category="industry")
    assert industry.charged_locally_m2 == 500_000 and industry.exempt is None
    with pytest.raises(ValueError, match="allowed"):
        site_land_take(facts, project_category="stadium")


def test_share_of_host_envelopes() -> None:
    lyon = territory_envelope(LYON, territory_type="commune")
    take = site_land_take(SiteFacts(kind="turnkey", area_m2=20_000, terr_usage="espace agricole"))
    shares = rules.host_shares(take.naf_new_m2, commune=lyon, epci=None)
    # 20 000 / 35 842.5 = 55.8 % of what Lyon has left
    assert shares.commune.share == pytest.approx(20_000 / 35_842.5)
    assert shares.commune.exceeds_remaining is False
    assert shares.epci.share is None and "no NAF-consumption data" in (shares.epci.reason or "")
    friche = rules.share_of_remaining(0.0, lyon)
    assert friche.share == 0.0 and friche.exceeds_remaining is False
    unknown = rules.share_of_remaining(None, lyon)
    assert unknown.share is None and unknown.reason == "the site's NAF take is unknown"
    huge = rules.share_of_remaining(40_000, lyon)
    assert huge.exceeds_remaining and math.isclose(huge.share or 0, 40_000 / 35_842.5)
