"""The pure scoring rules, on hand-computed cases (docs/scoring.md)."""

from datetime import date

import pytest

from app.matching import criteria as c


def reqs(**criteria):
    return c.parse(criteria)


def test_at_least_is_linear_below_the_minimum_and_met_above():
    (power,) = reqs(power_mw={"min": 10})
    assert power.evaluate({"power_mw": 12}).status == "met"
    ev = power.evaluate({"power_mw": 4})
    assert ev.score == 0.4  # 4 / 10
    assert ev.status == "partial"
    assert ev.reason == "Electric power: 4 MW, required at least 10 MW"
    assert power.evaluate({"power_mw": 0}).status == "unmet"


def test_at_most_decays_as_max_over_value():
    (motorway,) = reqs(motorway_km={"max": 10})
    assert motorway.evaluate({"motorway_km": 10}).score == 1.0
    assert motorway.evaluate({"motorway_km": 40}).score == 0.25  # 10 / 40


def test_surface_range_on_both_sides():
    (surface,) = reqs(surface_ha={"min": 2, "max": 30})
    assert surface.evaluate({"area_ha": 1.5}).score == 0.75  # 1.5 / 2
    assert surface.evaluate({"area_ha": 60}).score == 0.5  # 30 / 60
    assert surface.evaluate({"area_ha": 12}).status == "met"


def test_unknown_is_reported_and_never_counts():
    power, gas = reqs(power_mw={"min": 10, "must": True}, gas={"weight": 3})
    ranked = c.evaluate((power, gas), {"power_mw": None, "gas": True})
    assert [e.status for e in ranked.evaluations] == ["unknown", "met"]
    assert not ranked.eligible
    assert ranked.failed[0].criterion == "power_mw"
    assert ranked.failed[0].reason.startswith("unknown")
    # 100 × (1 × 0 + 3 × 1) / 4 = 75: the unknown contributes nothing.
    assert ranked.total == 75.0


def test_total_is_the_weighted_mean_of_scores():
    surface, months, labour = reqs(
        surface_ha={"min": 2, "max": 30},
        months_to_permits={"max": 12, "weight": 2},
        labour_pool={"radius_km": 20, "min": 50000},
    )
    facts = {"area_ha": 2.6, "months_to_permits": 13.0, "labour_20km": 125573}
    ranked = c.evaluate((surface, months, labour), facts)
    # (1 × 1 + 2 × 12/13 + 1 × 1) / 4 × 100 = 96.1538…
    assert ranked.total == pytest.approx((1 + 2 * 12 / 13 + 1) / 4 * 100)
    assert ranked.eligible


def test_available_by_loses_all_in_a_year():
    (avail,) = reqs(available_by={"date": date(2027, 1, 1)})
    assert avail.evaluate({"available_from": date(2026, 6, 1)}).score == 1.0
    # 2027-07-02 is 182 days late: 1 − 182 / 365.25
    assert avail.evaluate({"available_from": date(2027, 7, 2)}).score == pytest.approx(
        1 - 182 / 365.25
    )
    assert avail.evaluate({"available_from": date(2029, 1, 1)}).score == 0.0


def test_kinds_and_friche_preference():
    kinds, pref = reqs(kinds={"values": ["friche", "turnkey"]}, friche_preference={"weight": 2})
    assert kinds.evaluate({"kind": "serviced_plot"}).status == "unmet"
    assert kinds.evaluate({"kind": "turnkey"}).status == "met"
    assert pref.evaluate({"sobriety_score": 40.0}).score == 0.4
    assert pref.evaluate({"sobriety_score": None}).status == "unknown"


def test_no_criteria_scores_everyone_100():
    assert c.evaluate((), {}).total == 100.0


def test_ranking_breaks_ties_by_site_id():
    (gas,) = reqs(gas={})
    sites = {"b": {"gas": True}, "a": {"gas": True}, "c": {"gas": False}, "d": {"gas": None}}
    assert [s for s, _ in c.rank((gas,), sites)] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ({"nope": {}}, "criteria.nope"),
        ({"power_mw": {"min": 0}}, "criteria.power_mw.min"),
        ({"surface_ha": {"min": 5, "max": 2}}, "criteria.surface_ha.max"),
        ({"surface_ha": {}}, "criteria.surface_ha"),
        ({"labour_pool": {"radius_km": 15, "min": 100}}, "criteria.labour_pool.radius_km"),
        ({"kinds": {"values": ["castle"]}}, "criteria.kinds.values"),
        ({"friche_preference": {"must": True}}, "criteria.friche_preference.must"),
        ({"gas": {"weight": 101}}, "criteria.gas.weight"),
    ],
)
def test_bad_requirements_name_their_field(criteria, field):
    with pytest.raises(c.RequirementError) as err:
        c.parse(criteria)
    assert err.value.field == field
