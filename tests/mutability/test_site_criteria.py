"""A stored site's attributes → Mutafriches criteria (criteria_from_site), then the index.

The last two tests read real demo sites from the database (the Ardennes observatory and the
Cartofriches CNIG file of data/friches/), as the lead's refresh will pass them.
"""

import pytest
from sqlalchemy import select

from app.models.site import Site
from app.mutability.method import criteria_from_site, evaluate, industry


def test_empty_site_gives_no_criterion():
    assert criteria_from_site({}) == {}
    # CNIG « inconnu » / « autre » / NA say nothing.
    assert (
        criteria_from_site(
            {
                "bati_etat": "inconnu",
                "bati_patrimoine": "autre",
                "sol_pollution_existe": "inconnu",
                "urba_zone_type": "inconnu",
                "urba_zaer": "inconnu",
                "proprio_type": None,
            }
        )
        == {}
    )


def test_surfaces():
    assert criteria_from_site({"area_m2": 24000.5, "unite_fonciere_surface": 30000}) == {
        "surfaceSite": 24000.5
    }
    # A point-only site has no area: the land unit's cadastral area is used.
    assert criteria_from_site({"area_m2": None, "unite_fonciere_surface": 9221}) == {
        "surfaceSite": 9221
    }
    # Built footprint from the cadastre buildings layer; 0 buildings means 0 m² and no building.
    assert criteria_from_site({"built_footprint_m2": 4321.0, "bati_surface": 9000})[
        "surfaceBati"
    ] == (4321.0)
    assert criteria_from_site({"bati_nombre": 0}) == {
        "surfaceBati": 0,
        "etatBatiInfrastructure": "pas-de-bati",
        "valeurArchitecturaleHistorique": "pas-de-bati",
    }
    # bati_surface is a floor area (surface de plancher), not a footprint: not used.
    assert criteria_from_site({"bati_surface": 12000, "bati_nombre": 3}) == {}


@pytest.mark.parametrize(
    ("bati_etat", "expected"),
    [
        ("dégradation inexistante ou faible", "degradation-inexistante"),
        ("dégradation moyenne", "degradation-moyenne"),
        ("dégradation très importante", "degradation-tres-importante"),
        ("dégradation hétérogène", "degradation-heterogene"),
        ("sans objet", "pas-de-bati"),
    ],
)
def test_building_state(bati_etat, expected):
    assert criteria_from_site({"bati_etat": bati_etat}) == {"etatBatiInfrastructure": expected}


@pytest.mark.parametrize(
    ("patrimoine", "expected"),
    [
        ("aucun", "ordinaire"),
        ("présence d'un bâtiment d'intérêt", "interet-remarquable"),
        ("présence d\u2019un bâtiment classé", "interet-remarquable"),  # typographic apostrophe
        ("sans objet", "pas-de-bati"),
    ],
)
def test_heritage(patrimoine, expected):
    assert criteria_from_site({"bati_patrimoine": patrimoine}) == {
        "valeurArchitecturaleHistorique": expected
    }


@pytest.mark.parametrize(
    ("soil", "building", "expected"),
    [
        ("pollution inexistante", None, "non"),
        ("pollution inexistante", "inconnu", "non"),
        ("pollution traitée", "sans objet", "deja-geree"),
        ("pollution inexistante", "amiante", "oui-amiante"),
        ("pollution avérée", "amiante", "oui-amiante"),
        ("pollution avérée", None, None),  # volatile or not: unknown
        ("pollution supposée", None, None),
        ("pollution peu probable", None, None),
        ("pollution inexistante", "plomb", None),  # the building is polluted, not with asbestos
    ],
)
def test_pollution(soil, building, expected):
    got = criteria_from_site({"sol_pollution_existe": soil, "bati_pollution": building})
    assert got.get("presencePollution") == expected


@pytest.mark.parametrize(
    ("catpro3", "personne", "expected"),
    [
        ("P5a", "personne morale", "public"),  # commune
        ("P4a|R2a", None, "public"),  # intercommunalité, SNCF
        ("X1a", "personne physique", "prive"),
        ("F7b", "personne morale", "prive"),  # investisseur privé
        ("G1a|X1a", None, "prive"),  # SCI and a person
        ("G2a", "personne morale", "copro-indivision"),
        ("G2a|X1a", None, "copro-indivision"),
        ("P5a|X1a", None, "mixte"),
        ("P5a G2a", None, "mixte"),  # space-separated codes of one owner
        ("F1a", None, None),  # organisme de logement social: public or private
        ("P5a|M1a", None, None),  # « personne morale autre »: unknown
        (None, "personne physique|personne physique", "prive"),
        (None, "personne morale", None),
    ],
)
def test_owner_type(catpro3, personne, expected):
    got = criteria_from_site({"proprio_type": catpro3, "proprio_personne": personne})
    assert got.get("typeProprietaire") == expected


@pytest.mark.parametrize(
    ("zone", "dominant", "doc", "expected"),
    [
        ("U", "Habitat", "PLU", "zone-urbaine-u"),
        ("U", "Activité", "PLUI", "zone-vocation-activites"),
        ("U", "02", "PLU", "zone-vocation-activites"),
        ("U", "Mixte Habitat / activité", "PLU", "zone-vocation-activites"),  # engine's rule
        ("AUc", None, "PLU", "zone-a-urbaniser-au"),
        ("AUs", None, "PLU", "zone-a-urbaniser-au"),
        ("A", None, "PLU", "zone-agricole-a"),
        ("N", "Loisir et tourisme", "PLU", "zone-naturelle-n"),
        ("Zc", None, "CC", "secteur-ouvert-a-la-construction"),
        ("ZCa", None, "CC", "secteur-ouvert-a-la-construction"),
        ("ZnC", None, "CC", "secteur-non-ouvert-a-la-construction"),
        ("RNU", None, "RNU", "secteur-reglement-urbanisme"),
        (None, None, "RNU", "secteur-reglement-urbanisme"),
        (None, "Activité", "PLU", None),
        ("inconnu", None, "CC", None),
    ],
)
def test_zoning(zone, dominant, doc, expected):
    got = criteria_from_site(
        {"urba_zone_type": zone, "urba_zone_formdomi": dominant, "urba_doc_type": doc}
    )
    assert got.get("zonageReglementaire") == expected


def test_sites_economiques_plot():
    site = {
        "kind": "turnkey",
        "eco_site_type": "zone d'activité économique",
        "autoroute_echang_dist": 17.0,  # km
        "reseau_electrique": "oui",
        "reseau_fret_ferroviaire": "oui",
        "reseau_eau_potable": "oui",
        "urba_zaer": "non",
        "polluted_sites_500m": 2,
    }
    assert criteria_from_site(site) == {
        "zoneAccelerationEnr": "non",
        "distanceAutoroute": 17000.0,
        "distanceRaccordementElectrique": 0,
        "distanceIte": "moins-1km-mauvais-etat",
        "siteEnZae": True,
        "presenceRisquesTechnologiques": True,
    }
    assert criteria_from_site({"eco_site_type": "établissement économique isolé"}) == {
        "siteEnZae": False
    }
    # No rail siding, no network, no polluted site nearby: nothing is concluded.
    none = {"reseau_fret_ferroviaire": "non", "reseau_electrique": "non", "polluted_sites_500m": 0}
    assert criteria_from_site(none) == {}


def test_turnkey_plot_index_by_hand():
    site = {
        "area_m2": 62000.0,
        "built_footprint_m2": 0.0,
        "eco_site_type": "zone d'activité économique",
        "autoroute_echang_dist": 0.8,
        "urba_zone_type": "U",
        "urba_zone_formdomi": "Activité",
    }
    r = evaluate("v1.19", criteria_from_site(site))
    # industrie (v1.19): surfaceSite x>50000 TP ×2 → A 4; surfaceBati 0 x<5000 TN ×2 → C 4;
    # raccordementEau derived non (0 ≤ 20) TN ×1 → C 2; distanceAutoroute 800 m x<1 TP ×.5 → A 1;
    # zone-vocation-activites TP ×2 → A 4; siteEnZae true TP ×1 → A 2.
    # A = 11, C = 6 → 11 / 17 = 0.64706 → 647.06 → 647 → 64.7
    assert r.usage("industrie").indice == 64.7
    # 2 + 2 + 1 + .5 + 2 + 1 = 8.5 of 34 → 25 % → 5 → 2.5
    assert industry(r) == (64.7, 2.5)


def _stored(session, site_id):
    row = session.execute(select(Site.__table__).where(Site.site_id == site_id)).one()
    return dict(row._mapping)


def test_ardennes_friche_of_the_demo(session):
    # 08105_01 « Fonderie du Moulinet puis Bricomarché », Charleville-Mézières (DDT 08 observatory):
    # catpro3 F7b (investisseur privé), « pollution inexistante », footprint polygon ≈ 2.4 ha.
    site = _stored(session, "08105_01")
    criteria = criteria_from_site(site)
    assert criteria == {
        "surfaceSite": site["area_m2"],
        "presencePollution": "non",
        "typeProprietaire": "prive",
    }
    assert 15000 <= site["area_m2"] <= 50000
    r = evaluate("v1.19", criteria)
    # industrie: surfaceSite 15000<=x<=50000 P ×2 → A 2; presencePollution non P ×2 → A 2;
    # typeProprietaire prive N ×1 → A .5, C .5. A = 4.5, C = .5 → 0.9 → 90.0
    # reliability: 2 + 2 + 1 = 5 of 34 → 14.71 % → 2.94 → 3 → 1.5
    assert industry(r) == (90.0, 1.5)
    assert r.fiabilite.text == "Très peu fiable"


def test_cartofriches_site_of_the_demo(session):
    # 01274_27425 « Propriétaire privé - scierie », Les Neyrolles (Cartofriches, CNIG columns):
    # 4 buildings « dégradation moyenne », « pollution inexistante », X1a, land unit 9 221 m²,
    # PLUi zone U whose dominant destination is « Activité », point only (no area).
    site = _stored(session, "01274_27425")
    assert site["area_m2"] is None
    criteria = criteria_from_site(site)
    assert criteria == {
        "surfaceSite": 9221,
        "etatBatiInfrastructure": "degradation-moyenne",
        "presencePollution": "non",
        "typeProprietaire": "prive",
        "zonageReglementaire": "zone-vocation-activites",
    }
    r = evaluate("v1.19", criteria)
    # industrie: surfaceSite x<10000 TN ×2 → C 4; degradation-moyenne N ×2 → A 1, C 1;
    # presencePollution non P ×2 → A 2; prive N ×1 → A .5, C .5; zone-vocation-activites TP ×2
    # → A 4. A = 7.5, C = 5.5 → 7.5 / 13 = 0.57692 → 576.92 → 577 → 57.7 (« Bon »)
    # reliability: 2 + 2 + 2 + 1 + 2 = 9 of 34 → 26.47 % → 5.29 → 5 → 2.5
    assert industry(r) == (57.7, 2.5)
    assert r.usage("industrie").potentiel == "Bon"
