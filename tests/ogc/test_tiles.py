"""Vector tiles: ST_AsMVT in one statement, TileJSON, tile matrix sets, zoom limits and caps."""

import subprocess
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.ogc import tiles
from app.ogc.collections import COLLECTIONS

MVT = "application/vnd.mapbox-vector-tile"
#: The Ardennes demo friches (Charleville-Mézières): z8 and z12 tiles that hold sites.
Z8 = (8, 131, 87)
Z12 = (12, 2101, 1393)


def _tile(client: TestClient, cid: str, z: int, x: int, y: int) -> bytes:
    response = client.get(f"/ogc/collections/{cid}/tiles/WebMercatorQuad/{z}/{x}/{y}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MVT
    return response.content


def _gdal_layers(tmp_path: Path, data: bytes, z: int, x: int, y: int) -> dict[str, int]:
    path = tmp_path / f"{z}-{x}-{y}.pbf"
    path.write_bytes(data)
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", "-oo", f"Z={z}", "-oo", f"X={x}", "-oo", f"Y={y}", path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    layers: dict[str, int] = {}
    name = None
    for line in out.splitlines():
        if line.startswith("Layer name: "):
            name = line.split(": ", 1)[1]
        elif line.startswith("Feature Count: ") and name:
            layers[name] = int(line.split(": ", 1)[1])
    return layers


def test_tile_math_round_trips() -> None:
    x0, y0, x1, y1 = tiles.tile_bounds(0, 0, 0)
    assert (x0, y1) == (-tiles.ORIGIN, tiles.ORIGIN)
    lon0, lat0, lon1, lat1 = tiles.lonlat_bounds(*Z8)
    assert lon0 < 4.72 < lon1 and lat0 < 49.77 < lat1  # Charleville-Mézières


def test_gdal_decodes_a_site_tile_with_the_features_postgis_counts(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    z, x, y = Z12
    layers = _gdal_layers(tmp_path, _tile(client, "sites", z, x, y), z, x, y)
    x0, y0, x1, y1 = tiles.tile_bounds(z, x, y)
    expected = session.execute(
        text(
            "SELECT count(*) FROM site s WHERE s.published AND s.deleted_at IS NULL AND "
            "ST_Intersects(ST_Transform(coalesce(s.geom, s.point), 3857), "
            "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 3857))"
        ),
        {"x0": x0, "y0": y0, "x1": x1, "y1": y1},
    ).scalar()
    assert expected
    assert layers == {"sites": expected}


def test_every_collection_has_tiles_decoded_by_gdal(client: TestClient, tmp_path: Path) -> None:
    # Around Paris (z8); parcels at z13 over Épinay-sur-Orge (91216), whose cadastre is loaded.
    where = dict.fromkeys(COLLECTIONS, (8, 129, 88))
    where["parcels"] = (13, 4148, 2824)
    for cid, (z, x, y) in where.items():
        data = _tile(client, cid, z, x, y)
        assert _gdal_layers(tmp_path, data, z, x, y)[cid] > 0, cid


def test_tile_properties_are_lean_and_public(client: TestClient, tmp_path: Path) -> None:
    z, x, y = Z8
    path = tmp_path / "t.pbf"
    path.write_bytes(_tile(client, "sites", z, x, y))
    out = subprocess.run(
        [
            "ogrinfo",
            "-ro",
            "-al",
            "-geom=NO",
            "-oo",
            f"Z={z}",
            "-oo",
            f"X={x}",
            "-oo",
            f"Y={y}",
            path,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "site_nom (String)" in out and "id (String)" in out
    assert "terr_m2_prix" not in out and "proprio_nom" not in out


def test_parcels_have_a_minimum_zoom(client: TestClient) -> None:
    minzoom = COLLECTIONS["parcels"].tile_minzoom
    response = client.get(f"/ogc/collections/parcels/tiles/WebMercatorQuad/{minzoom - 1}/0/0")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def test_features_per_tile_are_capped(client: TestClient, tmp_path: Path) -> None:
    cap = COLLECTIONS["sites"].tile_max_features
    assert cap <= 20_000
    whole_france = _gdal_layers(tmp_path, _tile(client, "sites", 0, 0, 0), 0, 0, 0)["sites"]
    assert 0 < whole_france <= cap


def test_empty_tile_is_204_and_outside_the_matrix_is_404(client: TestClient) -> None:
    empty = client.get("/ogc/collections/sites/tiles/WebMercatorQuad/12/0/0")
    assert empty.status_code == 204
    assert empty.content == b""
    assert client.get("/ogc/collections/sites/tiles/WebMercatorQuad/2/9/0").status_code == 404
    assert client.get("/ogc/collections/sites/tiles/WebMercatorQuad/x/0/0").status_code == 404
    assert client.get("/ogc/collections/sites/tiles/WorldCRS84Quad/0/0/0").status_code == 404


def test_tilejson_tilesets_and_tile_matrix_sets(client: TestClient) -> None:
    tj = client.get("/ogc/collections/parcels/tiles/WebMercatorQuad/tilejson.json").json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"][0].endswith("/ogc/collections/parcels/tiles/WebMercatorQuad/{z}/{x}/{y}")
    assert tj["minzoom"] == COLLECTIONS["parcels"].tile_minzoom
    assert tj["vector_layers"][0]["id"] == "parcels"
    assert "contenance" in tj["vector_layers"][0]["fields"]
    sets = client.get("/ogc/collections/sites/tiles").json()["tilesets"]
    assert sets[0]["tileMatrixSetURI"] == tiles.TMS_URI
    assert any(lk["rel"] == "item" and lk["type"] == MVT for lk in sets[0]["links"])
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert tms["id"] == "WebMercatorQuad" and len(tms["tileMatrices"]) == tiles.MAX_ZOOM + 1
    assert client.get("/ogc/tileMatrixSets").json()["tileMatrixSets"][0]["id"] == "WebMercatorQuad"


def test_tiles_have_etag_and_cache_control(client: TestClient) -> None:
    url = "/ogc/collections/epci/tiles/WebMercatorQuad/6/32/22"
    first = client.get(url)
    assert "max-age=3600" in first.headers["cache-control"]
    assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
