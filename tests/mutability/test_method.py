"""ADEME Mutafriches index (METHOD.md): cases computed by hand from the matrices, no database.

Points: TP +2, P +1, N +0.5 on BOTH sides (advantages A and constraints C), NEG −1, TN −2, each
times the criterion's weight. indice = round_half_up(A / (A + C) × 1000) / 10. Reliability note =
round_half_up(answered weight / total weight × 100 / 10 × 2) / 2. The rows quoted below are those
of app/data/mutafriches/matrix-<version>.csv, in the usage order residentiel, equipements, culture,
tertiaire, industrie, renaturation, photovoltaique.
"""

import math
import subprocess
import sys

import pytest

from app.mutability.method import (
    LATEST_VERSION,
    USAGES,
    VERSIONS,
    MutabilityInputError,
    evaluate,
    index_of,
    industry,
    load_method,
    potential_of,
    reliability_note,
)


def indices(result):
    return {u.usage: u.indice for u in result.usages}


def ranking(result):
    return [u.usage for u in result.usages]


def line(result, key):
    return next(d.ligne for d in result.fiabilite.detail if d.critere == key)


# An industrial friche. Rows (v1.19):
#   surfaceSite 62000 m²         x>50000           w2   NEG NEG N   N   TP  N   TP
#   surfaceBati 12500 m²         x>10000           w2   NEG N   N   N   P   NEG NEG
#   raccordementEau (derived: 12500 > 20 → oui)    w1   TP  TP  TP  TP  TP  N   N
#   distanceAutoroute 800 m = 0.8 km  x<1          w0.5 N   N   N   N   TP  N   NEG
#   zonageReglementaire zone-vocation-activites    w2   TN  NEG NEG P   TP  NEG N
#   presencePollution oui-autres-composes          w2   N   N   N   N   N   N   N
#   siteEnZae true                                 w1   NEG N   N   TP  TP  N   N
FRICHE = {
    "surfaceSite": 62000,
    "surfaceBati": 12500,
    "distanceAutoroute": 800,
    "zonageReglementaire": "zone-vocation-activites",
    "presencePollution": "oui-autres-composes",
    "siteEnZae": True,
}


def test_latest_version_all_seven_usages_by_hand():
    r = evaluate("v1.19", FRICHE)
    assert r.version == LATEST_VERSION == "v1.19"
    # residentiel: A = eau 2 + autoroute .25 + pollution 1 = 3.25
    #              C = site 2 + bâti 2 + autoroute .25 + zonage 4 + pollution 1 + zae 1 = 10.25
    #              3.25 / 13.5 = 0.24074 → 240.74 → 241 → 24.1
    # equipements: A = bâti 1 + eau 2 + .25 + 1 + zae .5 = 4.75; C = 2 + 1 + .25 + 2 + 1 + .5 = 6.75
    #              4.75 / 11.5 = 0.41304 → 413.04 → 413 → 41.3
    # culture:     A = 1 + 1 + 2 + .25 + 1 + .5 = 5.75; C = 1 + 1 + .25 + 2 + 1 + .5 = 5.75 → 50.0
    # tertiaire:   A = 1 + 1 + 2 + .25 + zonage 2 + 1 + zae 2 = 9.25; C = 1 + 1 + .25 + 1 = 3.25
    #              9.25 / 12.5 = 0.74 → 74.0
    # industrie:   A = 4 + 2 + 2 + 1 + 4 + 1 + 2 = 16; C = pollution 1 → 16 / 17 = 0.94118 → 94.1
    # renaturation: A = 1 + eau .5 + .25 + 1 + .5 = 3.25; C = 1 + 2 + .5 + .25 + 2 + 1 + .5 = 7.25
    #              3.25 / 10.5 = 0.30952 → 309.52 → 310 → 31.0
    # photovoltaique: A = 4 + .5 + zonage 1 + 1 + .5 = 7; C = 2 + .5 + .5 + 1 + 1 + .5 = 5.5
    #              7 / 12.5 = 0.56 → 56.0
    assert indices(r) == {
        "residentiel": 24.1,
        "equipements": 41.3,
        "culture": 50.0,
        "tertiaire": 74.0,
        "industrie": 94.1,
        "renaturation": 31.0,
        "photovoltaique": 56.0,
    }
    ind = r.usage("industrie")
    assert (ind.avantages, ind.contraintes) == (16.0, 1.0)
    assert (r.usage("residentiel").avantages, r.usage("residentiel").contraintes) == (3.25, 10.25)
    assert ranking(r) == [
        "industrie",
        "tertiaire",
        "photovoltaique",
        "culture",
        "equipements",
        "renaturation",
        "residentiel",
    ]
    assert [u.rang for u in r.usages] == [1, 2, 3, 4, 5, 6, 7]
    assert [u.potentiel for u in r.usages] == [
        "Excellent",
        "Excellent",
        "Bon",
        "Bon",
        "Moyen",
        "Faible",
        "Faible",
    ]
    # Answered: 2 + 2 + eau 1 + .5 + 2 + 2 + 1 = 10.5 of 34 → 30.88 % → 6.18 → 6 → 3.0
    f = r.fiabilite
    assert (f.note, f.text) == (3.0, "Peu fiable")
    assert (f.poids_renseignes, f.poids_total) == (10.5, 34.0)
    assert (f.criteres_renseignes, f.criteres_total) == (7, 32)
    assert "siteEnCentreVille" in f.criteres_non_renseignes
    assert "raccordementEau" not in f.criteres_non_renseignes
    assert line(r, "raccordementEau") == "oui"
    assert line(r, "distanceAutoroute") == "x<1"
    assert industry(r) == (94.1, 3.0)


def test_same_friche_with_v1_11_ignores_the_later_criterion():
    r = evaluate("v1.11", FRICHE)
    # siteEnZae is a v1.18 criterion: accepted, not used.
    assert r.criteres_ignores == ("siteEnZae",)
    # industrie: same rows as v1.19 without siteEnZae: A = 4 + 2 + 2 + 1 + 4 + 1 = 14, C = 1
    #            14 / 15 = 0.93333 → 933.33 → 933 → 93.3
    # tertiaire (v1.11: surfaceSite x>50000 is NEG, w2): A = 1 + 2 + .25 + zonage 2 + 1 = 6.25;
    #            C = 2 + 1 + .25 + 1 = 4.25 → 6.25 / 10.5 = 0.59524 → 595.24 → 595 → 59.5
    assert r.usage("industrie").indice == 93.3
    assert r.usage("tertiaire").indice == 59.5
    # 2 + 2 + 1 + .5 + 2 + 2 = 9.5 of 30 → 31.67 % → 6.33 → 6 → 3.0
    assert (r.fiabilite.poids_renseignes, r.fiabilite.note) == (9.5, 3.0)


def test_same_friche_with_v1_1():
    r = evaluate("v1.1", FRICHE)
    # v1.1 rows for industrie are the same as v1.11 here: 14 / 15 → 93.3.
    # tertiaire: v1.1 zone-vocation-activites is NEG for tertiaire (P from v1.11):
    #   A = bâti 1 + eau 2 + .25 + pollution 1 = 4.25; C = site 2 + 1 + .25 + zonage 2 + 1 = 6.25
    #   4.25 / 10.5 = 0.40476 → 404.76 → 405 → 40.5
    assert r.usage("industrie").indice == 93.3
    assert r.usage("tertiaire").indice == 40.5
    # 9.5 of 26 → 36.54 % → 7.31 → 7 → 3.5
    assert r.fiabilite.note == 3.5
    # raccordementEau not given: derived from surfaceBati, as the current engine does.
    assert line(r, "raccordementEau") == "oui"


def test_v1_1_takes_water_and_natural_risk_as_given():
    criteria = {"surfaceBati": 0, "raccordementEau": "oui", "presenceRisquesNaturels": "fort"}
    r = evaluate("v1.1", criteria)
    # surfaceBati 0 → x<5000 (w2): P N N N TN P P ; raccordementEau oui as given (w1):
    # TP TP TP TP TP N N ; presenceRisquesNaturels fort (w2): TN TN TN TN TN TP NEG
    # industrie:    A = 2, C = 4 + 4 = 8 → 0.2 → 20.0
    # residentiel:  A = 2 + 2 = 4, C = 4 → 50.0
    # renaturation: A = 2 + .5 + 4 = 6.5, C = .5 → 6.5 / 7 = 0.92857 → 928.57 → 929 → 92.9
    assert r.usage("industrie").indice == 20.0
    assert r.usage("residentiel").indice == 50.0
    assert r.usage("renaturation").indice == 92.9
    assert line(r, "raccordementEau") == "oui"
    # 2 + 1 + 2 = 5 of 26 → 19.23 % → 3.85 → 4 → 2.0
    assert r.fiabilite.note == 2.0

    later = evaluate("v1.19", criteria)
    # From v1.11 on the water connection is derived: 0 m² ≤ 20 → non, whatever was given.
    # industrie: surfaceBati TN × 2 → C 4; raccordementEau non TN × 1 → C 2; A = 0 → 0.0
    assert line(later, "raccordementEau") == "non"
    assert later.usage("industrie").indice == 0.0
    assert later.criteres_ignores == ("presenceRisquesNaturels",)
    assert any("'oui' is replaced by 'non'" in n for n in later.notes)
    # 2 + 1 = 3 of 34 → 8.82 % → 1.76 → 2 → 1.0
    assert later.fiabilite.note == 1.0


def test_v1_1_without_water_answer_derives_it():
    r = evaluate("v1.1", {"surfaceBati": 15})
    # 15 ≤ 20 → non: industrie TN × 1 → C 2; surfaceBati x<5000 TN × 2 → C 4 → 0.0
    assert line(r, "raccordementEau") == "non"
    assert r.usage("industrie").indice == 0.0
    # surfaceBati null: the engine's `null > 20` is false → non; null itself is not scored.
    r = evaluate("v1.1", {"surfaceBati": None})
    assert line(r, "raccordementEau") == "non"
    assert line(r, "surfaceBati") is None


@pytest.mark.parametrize(
    ("risks", "expected"),
    [
        ({"risqueInondation": "oui"}, "moyen"),
        ({"risqueCavitesSouterraines": "oui"}, "moyen"),
        ({"risqueRetraitGonflementArgile": "faible-ou-moyen"}, "moyen"),
        ({"risqueRetraitGonflementArgile": "fort", "risqueInondation": "non"}, "fort"),
        ({"risqueInondation": "non", "risqueCavitesSouterraines": "non"}, "aucun"),
        ({"risqueRetraitGonflementArgile": None}, None),
    ],
)
def test_v1_1_natural_risk_derived_from_the_three_risks(risks, expected):
    r = evaluate("v1.1", risks)
    detail = next(d for d in r.fiabilite.detail if d.critere == "presenceRisquesNaturels")
    assert detail.valeur == expected
    # Answered (null included, METHOD §6): weight 2 of 26 → 7.69 % → 1.54 → 2 → 1.0
    assert detail.renseigne and r.fiabilite.note == 1.0


def test_v1_1_natural_risk_moyen_by_hand():
    r = evaluate("v1.1", {"risqueInondation": "oui"})
    # moyen (w2): NEG NEG NEG NEG NEG P NEG → industrie C 2 → 0.0; renaturation A 2 → 100.0
    assert r.usage("industrie").indice == 0.0
    assert r.usage("renaturation").indice == 100.0
    assert ranking(r)[0] == "renaturation"


def test_v1_1_natural_risk_unknown_without_any_risk_key():
    r = evaluate("v1.1", {})
    assert "presenceRisquesNaturels" in r.fiabilite.criteres_non_renseignes
    assert r.fiabilite.note == 0.0


# Wetland with protected species (v1.19):
#   surfaceSite 30000 m² 15000<=x<=50000  w2  NEG NEG N  N  P  N  P
#   presenceZoneHumide oui                w1  TN  TN  TN TN TN TP TN
#   presenceEspecesProtegees oui          w1  TN  TN  TN TN TN TP TN
WETLAND = {"surfaceSite": 30000, "presenceZoneHumide": "oui", "presenceEspecesProtegees": "oui"}


def test_wetland_and_protected_species_exclude_industry_and_offices():
    r = evaluate("v1.19", WETLAND)
    # residentiel, equipements: A 0, C 2 + 2 + 2 = 6 → 0.0
    # culture, tertiaire: A 1, C 1 + 2 + 2 = 5 → 1/6 = 0.16667 → 166.67 → 167 → 16.7
    # industrie, photovoltaique: A 2, C 4 → 2/6 = 0.33333 → 333.33 → 333 → 33.3
    # renaturation: A 1 + 2 + 2 = 5, C 1 → 5/6 = 0.83333 → 833.33 → 833 → 83.3
    assert indices(r) == {
        "residentiel": 0.0,
        "equipements": 0.0,
        "culture": 16.7,
        "tertiaire": 16.7,
        "industrie": 33.3,
        "renaturation": 83.3,
        "photovoltaique": 33.3,
    }
    # Excluded usages keep their index but go last, each group by index (ties in fixed order).
    assert ranking(r) == [
        "renaturation",
        "photovoltaique",
        "culture",
        "residentiel",
        "equipements",
        "industrie",
        "tertiaire",
    ]
    ind = r.usage("industrie")
    assert ind.exclu and ind.potentiel == "Exclu" and ind.rang == 6
    assert ind.criteres_excluants == ("presenceZoneHumide", "presenceEspecesProtegees")
    assert r.usage("tertiaire").exclu and not r.usage("photovoltaique").exclu
    # Reliability is not changed: 2 + 1 + 1 = 4 of 34 → 11.76 % → 2.35 → 2 → 1.0
    assert r.fiabilite.note == 1.0
    assert industry(r) == (None, 1.0)


def test_v1_11_has_no_exclusion_rules():
    r = evaluate("v1.11", WETLAND)
    # v1.11 surfaceSite 15000<=x<=50000 is NEG for tertiaire: A 0, C 2 + 2 + 2 → 0.0
    assert not any(u.exclu for u in r.usages)
    assert ranking(r) == [
        "renaturation",  # 83.3
        "industrie",  # 33.3, before photovoltaique (fixed order)
        "photovoltaique",  # 33.3
        "culture",  # 16.7
        "residentiel",  # 0.0 ×3 in fixed order
        "equipements",
        "tertiaire",
    ]
    # 4 of 30 (not 34) → 13.33 % → 2.67 → 3 → 1.5
    assert industry(r) == (33.3, 1.5)


def test_zaer_exclusion_zone_excludes_photovoltaics():
    r = evaluate("v1.19", {"zoneAccelerationEnr": "exclusion"})
    # exclusion (w1): N N N N N N TN → six usages A .5 C .5 → 50.0; photovoltaique C 2 → 0.0
    assert ranking(r)[-1] == "photovoltaique"
    pv = r.usage("photovoltaique")
    assert (pv.indice, pv.potentiel, pv.criteres_excluants) == (
        0.0,
        "Exclu",
        ("zoneAccelerationEnr",),
    )
    assert ranking(r)[:6] == list(USAGES[:6])
    assert all(u.indice == 50.0 and u.potentiel == "Bon" for u in r.usages[:6])


def test_exclusion_needs_every_condition_and_ne_sait_pas_never_fires():
    r = evaluate("v1.19", {"presenceZoneHumide": "oui", "presenceEspecesProtegees": "ne-sait-pas"})
    assert not any(u.exclu for u in r.usages)
    # ne-sait-pas is skipped and not counted: 1 of 34 → 2.94 % → 0.59 → 1 → 0.5
    assert r.fiabilite.note == 0.5
    assert r.fiabilite.criteres_renseignes == 1


def test_zaer_exclusion_value_does_not_exist_before_v1_12():
    with pytest.raises(MutabilityInputError) as err:
        evaluate("v1.11", {"zoneAccelerationEnr": "exclusion"})
    (problem,) = err.value.problems
    assert problem.field == "criteria.zoneAccelerationEnr"
    assert problem.allowed == ("non", "oui", "oui-solaire-pv-ombriere", "ne-sait-pas")


def test_half_up_rounding_of_the_index():
    # industrie (v1.19): typeProprietaire prive N ×1 → A .5 C .5; surfaceSite 5000 x<10000 TN ×2 →
    # C 4; siteEnCentreVille true TN ×1 → C 2; zonagePatrimonial perimetre-abf NEG ×1 → C 1.
    # A = .5, C = 7.5 → 0.0625 × 1000 = 62.5 exactly → half up 63 → 6.3 (Python's round: 6.2).
    r = evaluate(
        "v1.19",
        {
            "typeProprietaire": "prive",
            "surfaceSite": 5000,
            "siteEnCentreVille": True,
            "zonagePatrimonial": "perimetre-abf",
        },
    )
    ind = r.usage("industrie")
    assert (ind.avantages, ind.contraintes, ind.indice) == (0.5, 7.5, 6.3)
    assert round(0.5 / 8 * 1000) / 10 == 6.2  # what the naive Python rounding would give
    # 1 + 2 + 1 + 1 = 5 of 34 → 14.71 % → 2.94 → 3 → 1.5
    assert r.fiabilite.note == 1.5


def test_index_potential_and_reliability_helpers():
    assert index_of(0, 0) == 0.0
    assert index_of(1, 0) == 100.0
    assert index_of(0.5, 7.5) == 6.3
    assert [potential_of(x) for x in (70.0, 69.9, 60.0, 50.0, 49.9, 40.0, 39.9)] == [
        "Excellent",
        "Très bon",
        "Très bon",
        "Bon",
        "Moyen",
        "Moyen",
        "Faible",
    ]
    # 17 of 34 → 50 % → 5.0; 34 of 34 → 10; 0.5 of 26 → 1.92 % → 0.38 → 0 → 0.0
    assert reliability_note(17, 34) == 5.0
    assert reliability_note(34, 34) == 10.0
    assert reliability_note(0.5, 26) == 0.0


def test_null_distances():
    # v1.19: null motorway distance → 50 000 m → x>=5 km (w0.5): N N N N TN N NEG
    r = evaluate("v1.19", {"distanceAutoroute": None})
    assert line(r, "distanceAutoroute") == "x>=5"
    # industrie C 1 → 0.0; residentiel A .25 C .25 → 50.0
    assert r.usage("industrie").indice == 0.0
    assert r.usage("residentiel").indice == 50.0
    assert any("null replaced by 50000" in n for n in r.notes)
    # v1.11: null is skipped in the score but counts as answered.
    r = evaluate("v1.11", {"distanceAutoroute": None, "distanceRaccordementElectrique": None})
    assert line(r, "distanceAutoroute") is None
    assert all(u.indice == 0.0 for u in r.usages)
    # .5 + 1 = 1.5 of 30 → 5 % → 1 → 0.5
    assert (r.fiabilite.poids_renseignes, r.fiabilite.note) == (1.5, 0.5)
    # v1.19 electricity null → 5 000 m → x>=5 (photovoltaique TN); heating null → 500 m → x>=500
    r = evaluate("v1.19", {"distanceRaccordementElectrique": None, "distanceReseauChaleur": None})
    assert line(r, "distanceRaccordementElectrique") == "x>=5"
    assert line(r, "distanceReseauChaleur") == "x>=500"


def test_unscored_enumeration_values_count_as_answered():
    r = evaluate("v1.19", {"zonagePatrimonial": "monument-historique"})
    assert line(r, "zonagePatrimonial") is None
    assert all(u.avantages == u.contraintes == 0 for u in r.usages)
    assert r.fiabilite.criteres_renseignes == 1  # 1 of 34 → 0.5
    assert r.fiabilite.note == 0.5
    # degradation-faible has no row in v1.1 (counted, weight 2 of 26 → 7.69 % → 1.54 → 2 → 1.0)
    # and the row of degradation-inexistante from v1.9 on (industrie TP × 2 → 100.0).
    r = evaluate("v1.1", {"etatBatiInfrastructure": "degradation-faible"})
    assert r.usage("industrie").indice == 0.0 and r.fiabilite.note == 1.0
    r = evaluate("v1.19", {"etatBatiInfrastructure": "degradation-faible"})
    assert r.usage("industrie").indice == 100.0


@pytest.mark.parametrize(
    ("key", "value", "row"),
    [
        ("surfaceSite", 9999.99, "x<10000"),
        ("surfaceSite", 10000, "10000<=x<15000"),
        ("surfaceSite", 15000, "15000<=x<=50000"),
        ("surfaceSite", 50000, "15000<=x<=50000"),
        ("surfaceSite", 50000.01, "x>50000"),
        ("surfaceBati", 0, "x<5000"),
        ("surfaceBati", 5000, "5000<=x<=10000"),
        ("surfaceBati", 10000, "5000<=x<=10000"),
        ("surfaceBati", 10001, "x>10000"),
        ("tauxLogementsVacants", 7, "x<=7"),
        ("tauxLogementsVacants", 7.5, "7<x<=8"),
        ("tauxLogementsVacants", 10, "8<x<=10"),
        ("tauxLogementsVacants", 10.1, "x>10"),
        ("distanceAutoroute", 999, "x<1"),  # metres, bucketed in km
        ("distanceAutoroute", 1000, "1<=x<2"),
        ("distanceAutoroute", 4999, "2<=x<5"),
        ("distanceAutoroute", 5000, "x>=5"),
        ("distanceRaccordementElectrique", 999, "x<1"),
        ("distanceRaccordementElectrique", 1000, "1<=x<5"),
        ("distanceRaccordementElectrique", 5000, "x>=5"),
        ("distanceTransportCommun", 499, "x<500"),  # metres, no conversion
        ("distanceTransportCommun", 500, "x>=500"),
        ("distanceReseauChaleur", 499.9, "x<500"),
    ],
)
def test_bucket_bounds(key, value, row):
    assert line(evaluate("v1.19", {key: value}), key) == row


def test_every_criterion_answered_is_very_reliable():
    method = load_method("v1.19")
    criteria = {}
    for key, crit in method.criteria.items():
        if crit.kind == "number":
            criteria[key] = 100
        elif crit.kind == "boolean":
            criteria[key] = False
        else:
            criteria[key] = crit.rows[0].value
    r = evaluate("v1.19", criteria)
    f = r.fiabilite
    assert (f.note, f.text, f.criteres_renseignes, f.poids_renseignes) == (
        10.0,
        "Très fiable",
        32,
        34,
    )
    assert f.criteres_non_renseignes == ()


def test_versions_data():
    # METHOD §0 and §6: criteria count and total weight per version.
    assert [(len(load_method(v).criteria), load_method(v).total_weight) for v in VERSIONS] == [
        (21, 26.0),
        (28, 30.0),
        (32, 34.0),
    ]
    latest = load_method("v1.19").criteria
    assert latest["distanceAutoroute"].scale == latest["distanceRaccordementElectrique"].scale
    assert math.isclose(latest["distanceAutoroute"].scale, 0.001)
    assert latest["distanceTransportCommun"].scale == 1.0
    assert latest["siteEnZae"].kind == "boolean" and latest["surfaceBati"].kind == "number"


def test_to_dict_is_json_ready():
    import json

    d = evaluate("v1.19", FRICHE).to_dict()
    assert set(d) == {"version", "usages", "fiabilite", "criteresIgnores", "notes"}
    assert d["usages"][0] == {
        "usage": "industrie",
        "indice": 94.1,
        "potentiel": "Excellent",
        "rang": 1,
        "avantages": 16.0,
        "contraintes": 1.0,
        "exclu": False,
        "criteresExcluants": [],
    }
    assert d["fiabilite"]["poidsTotal"] == 34.0
    json.dumps(d)


@pytest.mark.parametrize(
    ("criteria", "field", "allowed"),
    [
        ({"surfaceTerrain": 12}, "criteria.surfaceTerrain", True),
        ({"typeProprietaire": "etat"}, "criteria.typeProprietaire", True),
        ({"siteEnZae": "oui"}, "criteria.siteEnZae", True),
        ({"surfaceSite": "12000"}, "criteria.surfaceSite", False),
        ({"surfaceSite": -1}, "criteria.surfaceSite", False),
        ({"surfaceSite": float("nan")}, "criteria.surfaceSite", False),
        ({"surfaceSite": True}, "criteria.surfaceSite", False),
        ({"tauxLogementsVacants": 120}, "criteria.tauxLogementsVacants", False),
    ],
)
def test_invalid_input_names_the_field(criteria, field, allowed):
    with pytest.raises(MutabilityInputError) as err:
        evaluate("v1.19", criteria)
    (problem,) = err.value.problems
    assert problem.field == field
    assert problem.reason
    assert bool(problem.allowed) is allowed


def test_unknown_version_and_several_problems():
    with pytest.raises(MutabilityInputError) as err:
        evaluate("v2", {})
    assert err.value.problems[0].field == "version"
    assert err.value.problems[0].allowed == VERSIONS
    with pytest.raises(MutabilityInputError) as err:
        evaluate("v1.1", {"foo": 1, "qualitePaysage": "belle"})
    assert [p.field for p in err.value.problems] == ["criteria.foo", "criteria.qualitePaysage"]
    assert "sans-interet" in err.value.problems[1].allowed


def test_method_is_pure():
    # STYLE.md §2: the core imports nothing that touches the DB or HTTP.
    code = (
        "import sys, app.mutability.method;"
        "print(sorted({'sqlalchemy', 'fastapi'} & {*sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_industry_index_is_none_when_nothing_could_be_scored():
    # No criterion: A + C = 0 → the engine's index 0 means "nothing to score"; reliability 0.
    r = evaluate("v1.19", {})
    assert r.usage("industrie").indice == 0.0
    assert industry(r) == (None, 0.0)
    # Only an unscored value: counted (1 of 34 → 0.5) but still nothing scored.
    assert industry(evaluate("v1.19", {"zonagePatrimonial": "spr"})) == (None, 0.5)
