"""Round trip: the CNIG CSV export, imported into a catalogue without those sites, gives back
identical sites (every CNIG field, footprint and point as served: 7 decimals, about 1 cm)."""

from sqlalchemy import text

from app.imports import service as friches_service
from app.sites import cnig

COLUMNS = [c for c in cnig.field_names() if c not in ("site_id", "geompoint", "geomsurf")]


def _state(session, ids):
    cols = ", ".join(f"{c}::text" for c in COLUMNS)
    rows = session.execute(
        text(
            f"SELECT site_id, {cols}, ST_NPoints(geom), ST_Area(geom::geography)::numeric(14, 1), "
            "ST_AsText(point, 7), kind, published "
            "FROM site WHERE site_id = ANY(:ids) ORDER BY site_id"
        ),
        {"ids": ids},
    ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_export_then_import_gives_back_identical_sites(client, session, tmp_path):
    r = client.get("/api/v1/sites/export", params={"format": "cnig-csv", "departement": "08"})
    assert r.status_code == 200
    path = tmp_path / "export.csv"
    path.write_bytes(r.content)
    ids = [line.split(",", 1)[0] for line in r.text.splitlines()[1:]]
    assert len(ids) > 164
    before = _state(session, ids)
    session.execute(
        text(
            "CREATE TEMP TABLE export_geom AS SELECT site_id, "
            "ST_GeomFromText(ST_AsText(geom, 7), 4326) AS geom FROM site "
            "WHERE site_id = ANY(:ids) AND geom IS NOT NULL"
        ),
        {"ids": ids},
    )
    session.execute(text("DELETE FROM site WHERE site_id = ANY(:ids)"), {"ids": ids})
    report = friches_service.import_friches(session, friches_service.importer(path.name), path)
    assert (report.rows, report.imported, report.quarantined) == (len(ids), len(ids), 0)
    after = _state(session, ids)
    diffs = {
        sid: [
            (name, a, b)
            for name, a, b in zip(
                [*COLUMNS, "vertices", "area", "point", "kind", "published"],
                before[sid],
                after[sid],
                strict=True,
            )
            if a != b
        ]
        for sid in ids
        if before[sid] != after[sid]
    }
    assert not diffs, {
        k: [(n, str(a)[:300], str(b)[:300]) for n, a, b in v] for k, v in list(diffs.items())[:3]
    }
    # Footprints: the same vertices as the exported WKT, to float noise (the ring may start at
    # another vertex after snapping to the 1e-7° grid): Hausdorff distance under 1e-9°.
    worst = session.execute(
        text(
            "SELECT max(ST_HausdorffDistance(s.geom, e.geom)), count(*) FROM site s "
            "JOIN export_geom e USING (site_id)"
        )
    ).one()
    assert worst[1] > 160
    assert worst[0] < 1e-9


def test_export_reimported_over_the_same_sites_changes_nothing(client, session, tmp_path):
    r = client.get("/api/v1/sites/export", params={"format": "cnig-csv", "epci": "200041630"})
    path = tmp_path / "export.csv"
    path.write_bytes(r.content)
    report = friches_service.import_friches(session, friches_service.importer(path.name), path)
    assert report.rows > 50
    assert (report.imported, report.updated, report.quarantined) == (0, 0, 0)
    assert report.unchanged == report.rows
