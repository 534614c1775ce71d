"""``GET /api/v1/territories/{code}/zan`` on the real Lyon data loaded by the demo.

Hand computations (m², from data/zan/derived_conso_communes_wide_cerema_columns.csv.gz):
Métropole de Lyon 2011–2020 = 8 277 454 (827.7454 ha), allowed 50 % = 413.8727 ha,
2021–2023 = 1 498 944 (149.8944 ha), remaining 263.9783 ha, used 36.2 %; at 499 648 m²/year the
envelope is exceeded during 2029 (end 2028: 3 997 184 m², end 2029: 4 496 832 > 4 138 727).
"""

from pathlib import Path

import pytest

from app.zan import service

URL = "/api/v1/territories/{}/zan"


def test_epci_envelope(client):
    r = client.get(URL.format("200046977"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["territory"] == {
        "type": "epci",
        "code": "200046977",
        "nom": "Métropole de Lyon",
        "epci_siren": None,
    }
    assert body["data_available"] is True and body["message"] is None
    assert body["target"]["reduction_percent"] == 50.0 and body["target"]["kind"] == "default"
    assert "Climat et Résilience" in body["target"]["source"]
    assert body["reference_period"] == {"start": 2011, "end": 2020}
    assert body["target_period"] == {"start": 2021, "end": 2030}
    assert body["reference_consumption_ha"] == 827.7454
    assert body["allowed_ha"] == 413.8727 and body["floor_applied"] is False
    assert body["consumed_since_ha"] == 149.8944
    assert body["consumed_since_period"] == {"start": 2021, "end": 2023}
    assert body["remaining_ha"] == 263.9783
    assert body["used_percent"] == 36.2
    proj = body["projection"]
    assert proj["yearly_rate_ha"] == 49.9648 and proj["exceeded_in"] == 2029
    assert proj["consumption_ha"] == 499.648  # 149.8944 + 7 × 49.9648
    assert proj["used_percent"] == 120.7
    assert body["source"]["millesime"] == 2024 and "Cerema" in body["source"]["name"]
    assert body["coverage"] == "sum of its 58 communes in the NAF-consumption file"
    assert [y["year"] for y in body["series"]] == list(range(2009, 2024))
    assert body["series"][0]["total_m2"] == 791_722  # Sparte's EPCI row for 2009


def test_commune_envelope_and_a_naf_take(client):
    r = client.get(URL.format("69123"), params={"naf_take_m2": 20_000})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["territory"]["nom"] == "Lyon" and body["territory"]["epci_siren"] == "200046977"
    assert body["reference_consumption_ha"] == 7.4581  # 74 581 m²
    assert body["allowed_ha"] == pytest.approx(3.7291, abs=1e-4)  # 37 290.5 m²
    assert body["consumed_since_ha"] == 0.1448
    assert body["remaining_ha"] == pytest.approx(3.5843, abs=1e-4)  # 35 842.5 m²
    assert body["used_percent"] == 3.9
    # 20 000 / 35 842.5 = 55.8 % of what Lyon has left
    assert body["naf_take"] == {
        "naf_take_m2": 20_000.0,
        "remaining_ha": pytest.approx(3.5843, abs=1e-4),
        "share_percent": 55.8,
        "exceeds_remaining": False,
        "reason": None,
    }
    lyon_2023 = body["series"][-1]
    assert lyon_2023 == {
        "year": 2023,
        "total_m2": 1348.0,
        "activite_m2": 0.0,
        "habitat_m2": 1265.0,
        "mixte_m2": 0.0,
        "route_m2": 0.0,
        "ferroviaire_m2": 83.0,
        "inconnu_m2": 0.0,
    }


def test_the_one_hectare_floor_of_a_commune(client):
    # La Mulatière: 630 m² over 2011–2020 → 315 m² halved → 1 ha guaranteed; 1 804 m² used.
    body = client.get(URL.format("69142")).json()
    assert body["reference_consumption_ha"] == 0.063
    assert body["allowed_ha"] == 1.0 and body["floor_applied"] is True
    assert body["remaining_ha"] == 0.8196 and body["used_percent"] == 18.0


def test_exceeded_envelope(client):
    # Montanay: allowed 41 417 m², 93 526 m² used since 2021 (86 322 in 2021 alone).
    body = client.get(URL.format("69284"), params={"naf_take_m2": 1000}).json()
    assert body["remaining_ha"] == -5.2109 and body["used_percent"] == 225.8
    assert body["projection"]["exceeded_in"] == 2021
    assert body["naf_take"]["share_percent"] is None
    assert body["naf_take"]["exceeds_remaining"] is True


def test_known_territory_without_data_says_so(client):
    body = client.get(URL.format("08105"), params={"naf_take_m2": 5000}).json()
    assert body["territory"]["nom"] == "Charleville-Mézières"
    assert body["data_available"] is False
    assert "no NAF-consumption data is loaded for commune 08105" in body["message"]
    assert body["allowed_ha"] is None and body["remaining_ha"] is None
    assert body["series"] == [] and body["source"] is None
    assert body["target"]["reduction_percent"] == 50.0
    assert body["naf_take"]["share_percent"] is None
    assert "no NAF-consumption data" in body["naf_take"]["reason"]
    epci = client.get(URL.format("200041630"))  # CA Ardenne Métropole
    assert epci.status_code == 200 and epci.json()["data_available"] is False


def test_unknown_territories_are_404(client):
    for code in ("69999", "999999999"):
        r = client.get(URL.format(code))
        assert r.status_code == 404
        assert r.json()["code"] == "territory_not_found"
        assert code in r.json()["message"]


@pytest.mark.parametrize("code", ["6912", "691230", "abcde", "20004697X"])
def test_malformed_codes_are_422_naming_code(client, code):
    r = client.get(URL.format(code))
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"] == "code" and repr(code) in error["reason"]
    assert "INSEE code" in error["reason"] and "SIREN" in error["reason"]


def test_negative_take_is_422(client):
    r = client.get(URL.format("69123"), params={"naf_take_m2": -1})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "naf_take_m2"


def test_territorialised_target_is_used(client, session, tmp_path: Path):
    # Choisy-au-Bac (60151), in the Agglomération de la Région de Compiègne (EPCI 200067965,
    # SCoT target 62 %): 1 000 m² a year 2011–2020, 500 in 2021.
    header = ["idcom", "idcomtxt", "epci24"] + [f"naf{y:02d}art{y + 1:02d}" for y in range(11, 22)]
    row = ["60151", "Choisy-au-Bac", "200067965"] + ["1000"] * 10 + ["500"]
    path = tmp_path / "choisy.csv"
    path.write_text(";".join(header) + "\n" + ";".join(row) + "\n", encoding="utf-8")
    service.import_consumption(session, path)
    body = client.get(URL.format("60151")).json()
    assert body["target"]["reduction_percent"] == 62.0
    assert body["target"]["kind"] == "territorialised"
    assert body["target"]["land"] == "EPCI_200067965"
    # 10 000 m² × (1 − 0.62) = 3 800 m² < 1 ha: the floor applies
    assert body["allowed_ha"] == 1.0 and body["floor_applied"] is True
    epci = client.get(URL.format("200067965")).json()
    assert epci["target"]["reduction_percent"] == 62.0
    assert epci["allowed_ha"] == 0.38 and epci["remaining_ha"] == 0.33  # no floor for an EPCI
    # Only one of its 22 communes is in the file: the answer says what it sums.
    assert epci["coverage"] == (
        "sum of its 1 communes in the NAF-consumption file; the commune table lists 22"
    )
    # A commune of the region without its own target: the SRADDET's 54.47 %.
    lille = client.get(URL.format("59350")).json()
    assert lille["target"]["reduction_percent"] == 54.47
    assert lille["target"]["land"] == "REGION_32"


def test_db_envelope_for_the_match_answer(session):
    env = service.territory_envelope(session, territory_type="epci", code="200046977")
    assert env is not None and env.remaining_m2 == 4_138_727 - 1_498_944
    assert service.territory_envelope(session, territory_type="commune", code="08105") is None
    assert service.territory_envelope(session, territory_type="commune", code="69999") is None


def test_site_facts_of_a_stored_friche(session):
    from sqlalchemy import select

    from app.models import Site
    from app.zan import rules

    site = session.scalars(
        select(Site).where(Site.kind == "friche", Site.area_m2 > 0).order_by(Site.site_id).limit(1)
    ).one()
    facts = rules.site_facts(site)
    assert facts.area_m2 == site.area_m2 and facts.kind == "friche"
    take = rules.site_land_take(facts)
    assert take.naf_new_m2 == 0 and take.sobriety_score == 100 and take.rule == "friche"
    # A point-only turnkey site falls back on the declared land area, and says it cannot tell.
    site.kind, site.site_type, site.geom_approximate = "turnkey", None, True
    site.unite_fonciere_surface = 12_345
    unknown = rules.site_land_take(rules.site_facts(site))
    assert unknown.naf_new_m2 is None and unknown.naf_new_bounds_m2 == (
        0.0,
        12_345 - min(12_345, site.bati_surface or 0),
    )


def test_bulk_envelopes_for_site_refresh(session):
    envs = service.territory_envelopes(
        session, communes=["69123", "69142", "08105"], epcis=["200046977", "200041630"]
    )
    assert set(envs) == {("commune", "69123"), ("commune", "69142"), ("epci", "200046977")}
    assert envs[("commune", "69142")].allowed_m2 == 10_000  # the floor
    single = service.territory_envelope(session, territory_type="commune", code="69123")
    assert envs[("commune", "69123")] == single
