"""GET /api/v1/sites/export: CNIG CSV valid against the official schema, GeoJSON, GeoPackage."""

import csv
import io
import json

import pyogrio
from frictionless import Resource, Schema, validate

from app.sites import cnig


def test_cnig_csv_is_valid_against_the_official_schema_v106(client, tmp_path):
    r = client.get("/api/v1/sites/export", params={"format": "cnig-csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    path = tmp_path / "export.csv"
    path.write_bytes(r.content)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    listed = client.get("/api/v1/sites", params={"limit": 1}).json()["numberMatched"]
    assert len(rows) == listed >= 164 + 2558  # Ardennes + Cartofriches demo sites
    assert list(rows[0]) == cnig.field_names()
    schema = Schema.from_descriptor(json.loads(cnig.SCHEMA_PATH.read_text()))
    report = validate(Resource(path=path.name, basepath=str(tmp_path), schema=schema))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    by_id = {row["site_id"]: row for row in rows}
    row = by_id["08362_04"]
    assert row["urba_zaer"] == "inconnu"  # unknown: filled as the schema requires
    assert row["site_identif_date"]  # registration date when the source gives none
    assert row["geompoint"].startswith("POINT(4.")  # lon lat
    assert row["geomsurf"].startswith("MULTIPOLYGON(((4.")


def test_cnig_export_takes_the_listing_filters_and_hides_drafts(client, staff):
    r = client.get("/api/v1/sites/export", params={"format": "cnig-csv", "commune": "08362"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows
    assert {row["comm_insee"] for row in rows} == {"08362"}
    from tests.factories import site_feature

    created = client.post("/api/v1/sites", json=site_feature(), headers=staff).json()["id"]
    public = client.get("/api/v1/sites/export", params={"format": "cnig-csv"}).text
    assert created not in public
    own = client.get("/api/v1/sites/export", params={"format": "cnig-csv"}, headers=staff).text
    assert created in own


def test_geojson_export_is_one_feature_collection(client):
    r = client.get("/api/v1/sites/export", params={"format": "geojson", "epci": "200043156"})
    body = json.loads(r.content)
    assert body["type"] == "FeatureCollection"
    assert body["features"]
    assert all(f["properties"]["epci_siren"] == "200043156" for f in body["features"])
    assert all("terr_m2_prix" not in f["properties"] for f in body["features"])


def test_gpkg_export_opens_with_gdal(client, tmp_path):
    r = client.get("/api/v1/sites/export", params={"format": "gpkg"})
    assert r.status_code == 200
    path = tmp_path / "sites.gpkg"
    path.write_bytes(r.content)
    info = pyogrio.read_info(path, layer="sites")
    assert (
        info["features"] == client.get("/api/v1/sites", params={"limit": 1}).json()["numberMatched"]
    )
    assert info["crs"] == "EPSG:4326"
    assert info["geometry_type"] in ("MultiPolygon", "Unknown", "Geometry")
    assert "site_nom" in list(info["fields"])


def test_unknown_export_format_lists_the_allowed_ones(client):
    r = client.get("/api/v1/sites/export", params={"format": "shp"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["allowed"] == ["cnig-csv", "geojson", "gpkg"]
