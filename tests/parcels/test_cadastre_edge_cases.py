"""Edge cases of the fast cadastre import: partition rebuilds, mixed files, odd features."""

import gzip
import json
from pathlib import Path

from sqlalchemy import text

from app.parcels import service
from app.parcels.service import import_cadastre
from tests.conftest import DATA_DIR

ETALAB = DATA_DIR / "cadastre" / "etalab"


def _features(name: str = "cadastre-91216-parcelles.json.gz") -> list[dict]:
    with gzip.open(ETALAB / name, "rt") as fh:
        lines = fh.read().splitlines()
    return [
        json.loads(x.rstrip(",").removesuffix("]}"))
        for x in lines[1:]
        if x.startswith('{"type":"Feature"')
    ]


def _renumber(feats: list[dict], commune: str) -> list[dict]:
    out = []
    for f in feats:
        g = json.loads(json.dumps(f))
        idu = commune + f["id"][5:]
        g["id"] = g["properties"]["id"] = idu
        g["properties"]["commune"] = commune
        out.append(g)
    return out


def _write(path: Path, feats: list[dict], extra_lines: list[str] = ()) -> Path:
    lines = [json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in feats] + list(
        extra_lines
    )
    body = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(body.encode()))
    else:
        path.write_text(body)
    return path


BOWTIE = [[[2.320, 48.670], [2.321, 48.671], [2.321, 48.670], [2.320, 48.671], [2.320, 48.670]]]


def _bowtie(idu: str) -> dict:
    return {
        "type": "Feature",
        "id": idu,
        "geometry": {"type": "Polygon", "coordinates": BOWTIE},
        "properties": {
            "id": idu,
            "commune": idu[:5],
            "prefixe": "000",
            "section": "ZZ",
            "numero": "1",
            "contenance": 80,
            "arpente": False,
            "created": "2020-01-01",
            "updated": "2020-01-01",
        },
    }


def _state(session, dep: str):
    return session.execute(
        text(
            "SELECT count(*), count(*) FILTER (WHERE geom_repaired), bool_and(ST_IsValid(geom)),"
            " count(DISTINCT source_hash) FROM parcel WHERE departement = :d"
        ),
        {"d": dep},
    ).one()


def test_rebuild_path_with_repairs_duplicates_malformed(session, tmp_path, monkeypatch):
    monkeypatch.setattr(service, "REBUILD_MIN_ROWS", 10)
    feats = _renumber(_features(), "46001") + _renumber(_features(), "46002")
    feats.append(_bowtie("46001000ZZ0001"))
    dup = json.dumps(feats[10], separators=(",", ":"))
    bad = json.dumps(feats[11], separators=(",", ":")).replace('"id":"46001', '"id":"X6001', 1)
    path = _write(tmp_path / "cadastre-46-parcelles.json.gz", feats, [dup, bad])
    report = import_cadastre(session, [path])
    assert report.rows == len(feats) + 2
    assert report.imported == len(feats)
    assert report.quarantined == 2
    assert report.repaired == 1
    assert {e["row"] for e in report.errors} == {len(feats) + 1, len(feats) + 2}
    n, repaired, valid, hashes = _state(session, "46")
    assert (n, repaired, valid, hashes) == (len(feats), 1, True, len(feats))
    # the partition was swapped: same name, same indexes
    names = (
        session.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'parcel_46' ORDER BY 1")
        )
        .scalars()
        .all()
    )
    assert names == ["parcel_46_commune_idx", "parcel_46_geom_idx", "parcel_46_pkey"]
    again = import_cadastre(session, [path])
    assert again.unchanged == len(feats) and again.quarantined == 2 and again.imported == 0
    # a commune file for one commune: the other commune is left alone
    one = _renumber(_features(), "46001")[:-5]
    path2 = _write(tmp_path / "cadastre-46001-parcelles.json", one)
    third = import_cadastre(session, [path2])
    assert third.unchanged == len(one)
    assert third.deleted == len(_features()) - len(one) + 1  # 5 dropped + the bowtie
    assert _state(session, "46")[0] == len(feats) - 6


def test_big_change_rebuilds_with_old_rows_copied(session, tmp_path, monkeypatch):
    monkeypatch.setattr(service, "REBUILD_MIN_ROWS", 10)
    a = _renumber(_features(), "46001")
    b = _renumber(_features(), "46002")
    import_cadastre(session, [_write(tmp_path / "cadastre-46-parcelles.json", a + b)])
    # change every parcel of 46002 (contenance), drop 3 of 46001, add one
    b2 = []
    for f in b:
        g = json.loads(json.dumps(f))
        g["properties"]["contenance"] = (g["properties"].get("contenance") or 0) + 1
        b2.append(g)
    new = json.loads(json.dumps(a[0]))
    new["id"] = new["properties"]["id"] = "46001000AB9999"
    feats = a[3:] + b2 + [new]
    report = import_cadastre(session, [_write(tmp_path / "cadastre-46-parcelles.json", feats)])
    assert (report.imported, report.updated, report.deleted) == (1, len(b), 3)
    assert report.unchanged == len(a) - 3
    assert _state(session, "46")[0] == len(feats)
    assert session.execute(
        text("SELECT count(*) FROM parcel WHERE departement = '46' AND source_updated IS NULL")
    ).scalar() == sum(1 for f in feats if not f["properties"].get("updated"))


def test_other_departement_rows_and_overseas_in_one_file(session, tmp_path):
    feats = _renumber(_features(), "46001")[:50] + _renumber(_features(), "97101")[:30]
    feats += _renumber(_features(), "46003")[:20]
    path = _write(tmp_path / "cadastre-46-parcelles.json", feats)
    report = import_cadastre(session, [path])
    assert report.imported == 100 and report.quarantined == 0
    assert _state(session, "971")[0] == 30
    again = import_cadastre(session, [path])
    assert again.unchanged == 100


def test_pretty_printed_file(session, tmp_path):
    feats = _renumber(_features(), "46005")[:40]
    path = tmp_path / "cadastre-46005-parcelles.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, indent=2))
    report = import_cadastre(session, [path])
    assert report.imported == 40
    again = import_cadastre(session, [path])
    assert again.unchanged == 40


def test_odd_features_take_the_general_path(session, tmp_path):
    feats = _renumber(_features(), "46007")[:30]
    feats[0]["properties"]["contenance"] = None
    feats[1]["properties"].pop("contenance")
    feats[2]["properties"]["created"] = None
    feats[3]["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [feats[3]["geometry"]["coordinates"]],
    }
    feats[4]["geometry"]["coordinates"][0] = feats[4]["geometry"]["coordinates"][0][:-1]  # unclosed
    feats[5]["geometry"] = None
    feats[6]["geometry"] = {"type": "Point", "coordinates": [2.3, 48.6]}
    feats[7]["properties"] = {"contenance": 12, "id": feats[7]["id"]}  # other order, fewer keys
    feats[8]["geometry"]["coordinates"] = [
        [[2.32, 48.67], [2.33, 48.67], [2.33, 48.67], [2.32, 48.67]]
    ]  # collapses
    path = _write(tmp_path / "cadastre-46007-parcelles.json", feats)
    report = import_cadastre(session, [path])
    reasons = sorted((e["row"], e["reason"]) for e in report.errors)
    assert reasons == [
        (6, "no geometry"),
        (7, "unreadable or non-polygonal geometry"),
        (9, "unreadable or non-polygonal geometry"),
    ], reasons
    assert report.imported == 27
    rows = dict(
        session.execute(
            text(
                "SELECT idu, row(contenance, source_created, geom_repaired, "
                "ST_NumGeometries(geom))::text FROM parcel WHERE commune = '46007'"
            )
        ).all()
    )
    assert rows[feats[0]["id"]].startswith("(,")
    assert rows[feats[1]["id"]].startswith("(,")
    assert ",," in rows[feats[2]["id"]]
    assert rows[feats[4]["id"]].endswith(",t,1)")  # unclosed ring: parsed as before, repaired
    again = import_cadastre(session, [path])
    assert again.unchanged == 27 and again.quarantined == 3
