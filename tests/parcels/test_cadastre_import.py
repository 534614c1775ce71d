"""`foncier import cadastre`: real Etalab files, idempotence, millésimes, repairs, crashes."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.parcels import encoding
from app.parcels.service import import_cadastre
from tests.conftest import DATA_DIR

ETALAB = DATA_DIR / "cadastre" / "etalab"


def _lines(path: Path) -> list[str]:
    with gzip.open(path, "rt") as fh:
        return fh.read().splitlines()


def _write(path: Path, header: str, features: list[str]) -> Path:
    body = header + "\n" + ",\n".join(f.rstrip(",").removesuffix("]}") for f in features)
    path.write_text(body + "\n]}\n")
    return path


def _commune_file(
    tmp_path: Path, name: str = "cadastre-91216-parcelles.json"
) -> tuple[str, list[str]]:
    lines = _lines(ETALAB / "cadastre-91216-parcelles.json.gz")
    return lines[0], [line for line in lines[1:] if line.startswith('{"type":"Feature"')]


def test_real_files_account_for_every_row_and_reimport_changes_nothing(session):
    # The demo already loaded these three communes: everything is unchanged.
    report = import_cadastre(session, [ETALAB])
    assert report.rows == 15205
    assert report.unchanged == 15205
    assert report.rows == report.imported + report.updated + report.unchanged + report.quarantined


def test_first_import_then_reimport_of_edigeo_derived_layers(session):
    folder = Path(__file__).resolve().parents[1] / "data" / "cadastre-derived-from-edigeo"
    first = import_cadastre(session, [folder])
    assert first.imported == first.rows > 0
    assert first.buildings > 0
    assert first.quarantined == 0
    second = import_cadastre(session, [folder])
    assert second.rows == first.rows
    assert second.unchanged == second.rows
    assert second.imported == second.updated == second.buildings == 0


def test_next_millesime_updates_adds_and_deletes(session, tmp_path):
    header, features = _commune_file(tmp_path)
    changed = json.loads(features[0].rstrip(","))
    changed["properties"]["contenance"] += 7
    changed["properties"]["updated"] = "2026-01-01"
    gone = json.loads(features[1].rstrip(","))["id"]
    new = json.loads(features[2].rstrip(","))
    new["id"] = new["properties"]["id"] = "91216000AB9999"
    new["properties"]["numero"] = "9999"
    feats = (
        [json.dumps(changed, separators=(",", ":"))]
        + features[2:]
        + [json.dumps(new, separators=(",", ":"))]
    )
    path = _write(tmp_path / "cadastre-91216-parcelles.json", header, feats)
    report = import_cadastre(session, [path])
    assert (report.imported, report.updated, report.deleted) == (1, 1, 1)
    assert report.unchanged == len(features) - 2
    assert report.rows == report.imported + report.updated + report.unchanged + report.quarantined
    row = session.execute(
        text("SELECT contenance, source_updated::text FROM parcel WHERE idu = :i"),
        {"i": changed["id"]},
    ).one()
    assert tuple(row) == (changed["properties"]["contenance"], "2026-01-01")
    assert (
        session.execute(text("SELECT count(*) FROM parcel WHERE idu = :i"), {"i": gone}).scalar()
        == 0
    )


def test_invalid_geometry_is_repaired_and_flagged_never_dropped(session, tmp_path):
    header, features = _commune_file(tmp_path)
    bowtie = {
        "type": "Feature",
        "id": "91216000ZZ0001",
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [
                    [2.320, 48.670],
                    [2.321, 48.671],
                    [2.321, 48.670],
                    [2.320, 48.671],
                    [2.320, 48.670],
                ]
            ],
        },
        "properties": {
            "id": "91216000ZZ0001",
            "commune": "91216",
            "prefixe": "000",
            "section": "ZZ",
            "numero": "1",
            "contenance": 80,
            "arpente": False,
            "created": "2020-01-01",
            "updated": "2020-01-01",
        },
    }
    path = _write(
        tmp_path / "cadastre-91216-parcelles.json", header, features + [json.dumps(bowtie)]
    )
    report = import_cadastre(session, [path])
    assert report.imported == 1
    assert report.repaired == 1
    row = session.execute(
        text("SELECT geom_repaired, ST_IsValid(geom) FROM parcel WHERE idu = '91216000ZZ0001'")
    ).one()
    assert tuple(row) == (True, True)


def test_bad_rows_are_quarantined_with_their_reason_and_the_rest_imported(session, tmp_path):
    header, features = _commune_file(tmp_path)
    bad_id = features[5].replace('"id":"91216', '"id":"X1216', 1)
    unreadable = json.loads(features[6].rstrip(","))
    unreadable["id"] = unreadable["properties"]["id"] = "91216000ZZ0002"
    unreadable["geometry"] = {"type": "Polygon", "coordinates": "nope"}
    point = json.loads(features[7].rstrip(","))
    point["id"] = point["properties"]["id"] = "91216000ZZ0003"
    point["geometry"] = {"type": "Point", "coordinates": [2.32, 48.67]}
    path = _write(
        tmp_path / "cadastre-91216-parcelles.json",
        header,
        features + [bad_id, json.dumps(unreadable), json.dumps(point), features[8]],
    )
    report = import_cadastre(session, [path])
    assert report.quarantined == 4
    reasons = {(e["field"], e["reason"].split(":")[0]) for e in report.errors}
    assert ("id", "malformed parcel id 'X1216000AB0042'") in reasons or any(
        e["field"] == "id" and "malformed" in e["reason"] for e in report.errors
    )
    assert any("duplicate parcel id" in e["reason"] for e in report.errors)
    assert sum(e["field"] == "geometry" for e in report.errors) == 2
    assert report.rows == report.imported + report.updated + report.unchanged + report.quarantined
    assert (
        session.execute(
            text("SELECT count(*) FROM parcel WHERE idu IN ('91216000ZZ0002', '91216000ZZ0003')")
        ).scalar()
        == 0
    )


def _bowtie(idu: str) -> str:
    """A self-intersecting parcel (GEOS: invalid), as Etalab would write it."""
    commune, prefixe, section, numero = idu[:5], idu[5:8], idu[8:10], idu[10:]
    return (
        f'{{"type":"Feature","id":"{idu}","geometry":{{"type":"Polygon","coordinates":'
        "[[[2.320,48.670],[2.321,48.671],[2.321,48.670],[2.320,48.671],[2.320,48.670]]]},"
        f'"properties":{{"id":"{idu}","commune":"{commune}","prefixe":"{prefixe}",'
        f'"section":"{section}","numero":"{numero}","contenance":80,"arpente":false,'
        '"created":"2020-01-01","updated":"2020-01-01"}}'
    )


def _stored(session, commune_like: str) -> list[tuple]:
    return [
        tuple(row)
        for row in session.execute(
            text(
                "SELECT idu, departement, commune, prefixe, section, numero, contenance, arpente, "
                "source_created, source_updated, source_hash, geom_repaired, ST_AsEWKB(geom) "
                "FROM parcel WHERE commune LIKE :c ORDER BY idu"
            ),
            {"c": commune_like},
        )
    ]


def test_worker_processes_store_exactly_what_the_in_process_import_stores(
    session, tmp_path, monkeypatch
):
    """A département file is encoded in worker processes: same rows, bytes and report."""
    monkeypatch.setattr(encoding, "PROCESSES_AFTER", 0)  # workers from the first batch
    lines = _lines(ETALAB / "cadastre-75118-parcelles.json.gz")
    header, feats = lines[0], [x for x in lines[1:] if x.startswith('{"type":"Feature"')]
    tiled = [f.replace("75118", f"4599{k}") for k in range(3) for f in feats]  # 3 batches
    unreadable = json.loads(tiled[10].rstrip(","))
    unreadable["id"] = unreadable["properties"]["id"] = "45990000ZZ0002"
    unreadable["geometry"] = {"type": "Polygon", "coordinates": "nope"}
    multi = json.loads(tiled[11].rstrip(","))
    multi["id"] = multi["properties"]["id"] = "45990000ZZ0003"
    multi["geometry"] = {"type": "MultiPolygon", "coordinates": [multi["geometry"]["coordinates"]]}
    # In a block of new features (read by a worker): odd features for the general paths.
    tiled[12000:12000] = [
        _bowtie("45991000ZZ0001"),
        json.dumps(unreadable, separators=(",", ":")),
        json.dumps(multi, separators=(",", ":")),
    ]
    tiled[-20] = tiled[-20].replace('"id":"4599', '"id":"X599', 1)  # malformed id
    tiled.append(tiled[30])  # duplicate
    path = _write(tmp_path / "cadastre-45-parcelles.json", header, tiled)
    blocks: list[range] = []  # rows of the blocks shipped whole to a worker
    submit_block = encoding.Encoder.submit_block

    def spy(self, dep: str, block: bytes, first_row: int) -> None:
        blocks.append(range(first_row, first_row + block.count(b"\n")))
        submit_block(self, dep, block, first_row)

    monkeypatch.setattr(encoding.Encoder, "submit_block", spy)
    reports, stored = [], []
    for processes in (2, 0):
        report = import_cadastre(session, [path], processes=processes)
        reports.append(report.as_dict())
        stored.append(_stored(session, "4599%"))
        session.execute(text("DELETE FROM parcel WHERE commune LIKE '4599%'"))
    # (The first block holds the collection's header line: the general path reads it.)
    assert any(12001 in rows and 12003 in rows for rows in blocks)  # the odd features
    assert reports[0] == reports[1]
    assert stored[0] == stored[1]
    report = reports[0]
    assert (report["rows"], report["quarantined"]) == (len(tiled), 3)
    assert report["imported"] == len(stored[0]) == len(tiled) - 3
    repaired = {row[0] for row in stored[0] if row[11]}  # flagged geom_repaired
    assert "45991000ZZ0001" in repaired  # the bowtie (and one real parcel per copy)
    assert report["repaired"] == len(repaired) == 4


@pytest.mark.parametrize("processes", [0, 2])
def test_a_killed_import_leaves_all_or_nothing(database_url, tmp_path, processes):
    """Kill `foncier import cadastre` while it writes: the commune is there whole or absent.

    With worker processes, none of them outlives the killed import.
    """
    lines = _lines(ETALAB / "cadastre-75118-parcelles.json.gz")
    header, feats = lines[0], [x for x in lines[1:] if x.startswith('{"type":"Feature"')]
    tiled = []
    # Synthetic communes 45900… of 6 821 parcels: about 80 000 rows; twice as many with workers,
    # which start after 32 768 rows, so that the import is still writing once they run.
    for k in range(24 if processes else 12):
        code = f"459{k:02d}"
        for f in feats:
            tiled.append(f.replace("75118", code))
    path = tmp_path / "cadastre-45-parcelles.json"
    _write(path, header, tiled)
    marker = f"kill-test-{os.getpid()}-{processes}"
    env = {
        **os.environ,
        "FONCIER_DATABASE_URL": database_url,
        "PGAPPNAME": "foncier-kill-test",
        "FONCIER_TEST_MARKER": marker,
    }
    command = [sys.executable, "-m", "app.cli", "import", "cadastre", "--processes"]
    command += [str(processes), str(path)]
    engine = create_engine(database_url)

    def count() -> int:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM parcel WHERE departement = '45' AND commune LIKE '459%'")
            ).scalar_one()

    try:
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # Kill it while it writes: once its connection is busy loading parcels (COPY or an
        # INSERT/CREATE on the parcel tables), the transaction is open and half done.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                busy = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'foncier-kill-test' AND state = 'active' AND (query ILIKE 'COPY%' OR "
                        "query ILIKE '%INSERT INTO parcel%' OR query ILIKE '%CREATE%')"
                    )
                ).scalar()
            # With workers: once they run too (the fork server and each worker).
            started = not processes or len(_processes_marked(marker)) >= 2 + processes
            if (busy and started) or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the import must still be running when it is killed"
        if processes:
            helpers = set(_processes_marked(marker)) - {proc.pid}
            assert len(helpers) >= 1 + processes, "the import must have started its workers"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert count() in (0, len(tiled))
        deadline = time.monotonic() + 10
        while _processes_marked(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _processes_marked(marker), "a worker outlived the killed import"
        done = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        assert count() == len(tiled)
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM parcel WHERE departement = '45' AND commune LIKE '459%'")
            )
        engine.dispose()


def _processes_marked(marker: str) -> list[int]:
    """Processes whose environment holds ``FONCIER_TEST_MARKER=marker`` (the import's tree)."""
    found = []
    needle = f"FONCIER_TEST_MARKER={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def test_the_progress_bar_counts_every_row_whatever_the_callback():
    """A tqdm bar is moved on by counts; any other progress iterable has rows consumed."""
    import io

    from tqdm import tqdm

    from app.parcels.service import _Ticker

    bars: list[tqdm] = []

    def bar(items, label):
        bars.append(tqdm(items, desc=label, file=io.StringIO()))
        return bars[-1]

    ticker = _Ticker(bar, "parcels")
    ticker.advance(5)
    ticker.advance(7)
    assert bars[0].n == 12
    ticker.close()
    assert bars[0].disable  # closed

    seen: list[None] = []

    def plain(items, label):
        for item in items:
            seen.append(item)
            yield item

    ticker = _Ticker(plain, "parcels")
    ticker.advance(5)
    ticker.advance(7)
    assert len(seen) == 12
    ticker.close()
