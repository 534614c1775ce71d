"""Real clients: GDAL's OAPIF driver (Debian's gdal-bin) against a live server on the test data.

GDAL >= 3.7 and QGIS derive a page size of 1000 from ``/ogc/api`` (tested in test_core); GDAL 3.6,
Debian 12's, still asks for 10 features a page unless told, so the whole-collection reads pass
``PAGE_SIZE=1000``, what a current client would use. One read keeps GDAL 3.6's defaults.
"""

import json
import re
import subprocess
from pathlib import Path

import httpx2 as httpx
import pytest

from app.ogc.collections import COLLECTIONS


def _run(*args: str | Path) -> str:
    return subprocess.run(
        [str(a) for a in args], check=True, capture_output=True, text=True, timeout=600
    ).stdout


def _matched(base: str, cid: str, **params: str) -> int:
    response = httpx.get(f"{base}/collections/{cid}/items", params={"limit": "1", **params})
    assert response.status_code == 200
    return int(response.json()["numberMatched"])


def _gdal_read(base: str, cid: str, *options: str, page_size: int | None = 1000) -> tuple[int, str]:
    """Read a collection with GDAL's OAPIF driver (``ogrinfo -al``): features read, output."""
    paging = ("-oo", f"PAGE_SIZE={page_size}") if page_size else ()
    out = _run(
        "ogrinfo", "-ro", "-al", "-geom=NO", "-fields=NO", *paging, *options, f"OAPIF:{base}", cid
    )
    return sum(1 for line in out.splitlines() if line.startswith(f"OGRFeature({cid}):")), out


def test_ogrinfo_lists_every_collection(live_server: str) -> None:
    out = _run("ogrinfo", "-ro", "-so", f"OAPIF:{live_server}")
    for i, cid in enumerate(COLLECTIONS, start=1):
        assert f"{i}: {cid} (title: " in out, out


@pytest.mark.parametrize("cid", list(COLLECTIONS))
def test_gdal_reads_each_collection_whole(live_server: str, cid: str) -> None:
    """Every feature, through the next links, as many as numberMatched."""
    count, out = _gdal_read(live_server, cid)
    assert count == _matched(live_server, cid) > 0
    assert f"Feature Count: {count}" in out  # GDAL's count check (numberMatched)


def test_ogr2ogr_downloads_the_sites_layer(live_server: str, tmp_path: Path) -> None:
    out = tmp_path / "sites.gpkg"
    _run("ogr2ogr", "-f", "GPKG", out, f"OAPIF:{live_server}", "sites", "-oo", "PAGE_SIZE=1000")
    info = _run("ogrinfo", "-ro", "-so", out, "sites")
    assert f"Feature Count: {_matched(live_server, 'sites')}" in info
    assert "site_nom: String" in info and "area_m2: Real" in info
    assert "terr_m2_prix" not in info and "proprio_nom" not in info


def test_gdal_36_with_its_defaults_reads_a_collection(live_server: str) -> None:
    count, _ = _gdal_read(live_server, "regions", page_size=None)
    assert count == _matched(live_server, "regions") > 10  # more than one page of 10


def test_gdal_sends_where_to_the_server_as_a_filter(live_server: str) -> None:
    where = "kind = 'friche' AND area_m2 > 1000 AND site_actu_date > '2024-01-01'"
    count, _ = _gdal_read(live_server, "sites", "-where", where)
    expected = _matched(
        live_server,
        "sites",
        filter="kind = 'friche' AND area_m2 > 1000 AND site_actu_date > DATE('2024-01-01')",
    )
    assert count == expected > 0


def test_gdal_spatial_filter_is_a_bbox(live_server: str) -> None:
    count, _ = _gdal_read(live_server, "sites", "-spat", "4.6", "49.7", "4.8", "49.8")
    assert count == _matched(live_server, "sites", bbox="4.6,49.7,4.8,49.8") > 0


def test_gdal_reads_lambert93_from_crs_by_reference(live_server: str, tmp_path: Path) -> None:
    """A GeoJSON page asked in EPSG:2154 is what a GIS gets with ``crs=``: metres, not degrees."""
    response = httpx.get(
        f"{live_server}/collections/polluted_sites/items",
        params={"limit": "5", "crs": "http://www.opengis.net/def/crs/EPSG/0/2154"},
    )
    path = tmp_path / "l93.json"
    path.write_bytes(response.content)
    info = _run("ogrinfo", "-ro", "-al", "-so", path)
    extent = next(line for line in info.splitlines() if line.startswith("Extent:"))
    x0 = float(extent.split("(")[1].split(",")[0])
    assert 100_000 < x0 < 1_300_000  # Lambert-93 eastings
    assert json.loads(response.content)["numberReturned"] == 5


#: OGR field type of each JSON Schema type (GDAL 3.6 reads ``integer`` as a 32-bit Integer).
OGR_TYPES = {
    "string": "String",
    "integer": "Integer",
    "number": "Real",
    "boolean": "Integer(Boolean)",
    "date": "Date",
    "date-time": "DateTime",
}


def test_gdal_takes_every_field_and_type_from_the_described_by_schema(live_server: str) -> None:
    """Not from the first page: a property null in all of its features keeps its type."""
    result = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{live_server}", "sites", "--config", "CPL_DEBUG", "ON"],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "OAPIF: Using JSON schema" in result.stderr
    fields = dict(re.findall(r"^(\w+): (\S+) \(\d+\.\d+\)$", result.stdout, re.MULTILINE))
    for prop in COLLECTIONS["sites"].props:
        assert fields[prop.name] == OGR_TYPES[prop.kind], prop.name
    first = httpx.get(f"{live_server}/collections/sites/items", params={"limit": "10"}).json()
    always_null = [
        p.name
        for p in COLLECTIONS["sites"].props
        if p.kind != "string" and all(f["properties"][p.name] is None for f in first["features"])
    ]
    assert always_null  # what GDAL, guessing from the page, would have made string fields
