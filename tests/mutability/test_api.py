"""POST /api/v1/mutability: pure computation, open to anonymous callers, no database needed."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app


@pytest.fixture(scope="module")
def api() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def test_answer_shape_and_default_version(api):
    # The wetland case of test_method.py: industry and offices excluded, indices by hand there.
    body = {
        "criteria": {
            "surfaceSite": 30000,
            "presenceZoneHumide": "oui",
            "presenceEspecesProtegees": "oui",
        }
    }
    r = api.post("/api/v1/mutability", json=body)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["version"] == "v1.19"
    assert [u["usage"] for u in d["usages"]] == [
        "renaturation",
        "photovoltaique",
        "culture",
        "residentiel",
        "equipements",
        "industrie",
        "tertiaire",
    ]
    industrie = d["usages"][5]
    assert industrie == {
        "usage": "industrie",
        "indice": 33.3,
        "potentiel": "Exclu",
        "rang": 6,
        "avantages": 2.0,
        "contraintes": 4.0,
        "exclu": True,
        "criteresExcluants": ["presenceZoneHumide", "presenceEspecesProtegees"],
    }
    f = d["fiabilite"]
    assert (f["note"], f["text"], f["criteresRenseignes"], f["criteresTotal"]) == (
        1.0,
        "Très peu fiable",
        3,
        32,
    )
    assert (f["poidsRenseignes"], f["poidsTotal"]) == (4.0, 34.0)
    assert "siteEnZae" in f["criteresNonRenseignes"]
    assert {"critere": "surfaceSite", "poids": 2.0, "renseigne": True, "valeur": 30000,
            "ligne": "15000<=x<=50000"} in f["detailCriteres"]  # fmt: skip
    assert d["criteresIgnores"] == []


def test_v1_1_given_water(api):
    body = {
        "version": "v1.1",
        "criteria": {"surfaceBati": 0, "raccordementEau": "oui", "presenceRisquesNaturels": "fort"},
    }
    r = api.post("/api/v1/mutability", json=body)
    assert r.status_code == 200, r.text
    ind = next(u for u in r.json()["usages"] if u["usage"] == "industrie")
    assert ind["indice"] == 20.0  # by hand in test_method.py


@pytest.mark.parametrize(
    ("body", "field", "allowed_contains"),
    [
        ({"criteria": {"surfaceTerrain": 1}}, "criteria.surfaceTerrain", "surfaceSite"),
        ({"criteria": {"typeProprietaire": "etat"}}, "criteria.typeProprietaire", "public"),
        ({"criteria": {"surfaceSite": "grand"}}, "criteria.surfaceSite", None),
        ({"version": "v2", "criteria": {}}, "version", "v1.19"),
        ({"version": "v1.11", "criteria": {"zoneAccelerationEnr": "exclusion"}},
         "criteria.zoneAccelerationEnr", "oui"),
        ({"criteres": {}}, "criteres", None),
    ],
)  # fmt: skip
def test_invalid_input_is_422_naming_the_field(api, body, field, allowed_contains):
    r = api.post("/api/v1/mutability", json=body)
    assert r.status_code == 422, r.text
    d = r.json()
    assert d["code"] == "invalid_input"
    (error,) = d["errors"]
    assert error["field"] == field
    assert error["reason"]
    if allowed_contains:
        assert allowed_contains in error["allowed"]


def test_openapi_documents_the_route(api):
    spec = api.get("/openapi.json").json()
    op = spec["paths"]["/api/v1/mutability"]["post"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    assert {"industrial_friche", "reference_spreadsheet", "wetland"} <= set(examples)
    assert "422" in op["responses"]
    assert "`distanceAutoroute`" in op["description"]
    # Each example is a valid request.
    for example in examples.values():
        assert api.post("/api/v1/mutability", json=example["value"]).status_code == 200
