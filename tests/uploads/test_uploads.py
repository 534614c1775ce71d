"""POST /api/v1/imports: 202, a background import, its report; the territory rule."""

import csv
import gzip
import io

from sqlalchemy import text

from tests.conftest import PROJECT_ROOT

CARTOFRICHES = PROJECT_ROOT / "data" / "friches" / "cartofriches" / "friches_standard_test.csv.gz"


def _rows_of(*communes: str) -> bytes:
    """The real Cartofriches CNIG rows of some communes, as an uploaded CSV (``;``)."""
    text_ = gzip.decompress(CARTOFRICHES.read_bytes()).decode()
    reader = csv.reader(io.StringIO(text_), delimiter=";")
    header = next(reader)
    index = header.index("comm_insee")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(r for r in reader if r[index].zfill(5) in communes)
    return out.getvalue().encode()


def _pick_communes(session, epci: str, other_epci: str) -> tuple[str, str]:
    text_ = gzip.decompress(CARTOFRICHES.read_bytes()).decode()
    reader = csv.DictReader(io.StringIO(text_), delimiter=";")
    codes = {r["comm_insee"].zfill(5) for r in reader}
    own = (
        session.execute(
            text(
                "SELECT insee FROM commune WHERE epci_siren = :e AND insee = ANY(:c) ORDER BY insee"
            ),
            {"e": epci, "c": list(codes)},
        )
        .scalars()
        .first()
    )
    other = (
        session.execute(
            text(
                "SELECT insee FROM commune WHERE epci_siren = :e AND insee = ANY(:c) ORDER BY insee"
            ),
            {"e": other_epci, "c": list(codes)},
        )
        .scalars()
        .first()
    )
    return own, other


def test_upload_is_accepted_then_imported_with_its_report(client, session, admin):
    data = _rows_of("08105", "08362")
    r = client.post(
        "/api/v1/imports", headers=admin, files={"file": ("friches.csv", data, "text/csv")}
    )
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert accepted["status"] == "queued"
    assert accepted["kind"] == "friches"
    status = client.get(r.headers["location"], headers=admin).json()
    assert status["status"] == "done", status
    report = status["report"]
    assert report["rows"] == data.count(b"\n") - 1 > 0
    assert report["rows"] == (
        report["imported"] + report["updated"] + report["unchanged"] + report["quarantined"]
    )


def test_staff_rows_outside_their_territory_are_quarantined_never_written(client, session, staff):
    # Staff of CA Ardenne Métropole upload a file with rows of Charleville (theirs) and of
    # another EPCI's commune.
    own, other = _pick_communes(session, "200041630", "200043156")
    assert own and other
    data = _rows_of(own, other)
    r = client.post(
        "/api/v1/imports", headers=staff, files={"file": ("mixed.csv", data, "text/csv")}
    )
    assert r.status_code == 202
    status = client.get(r.headers["location"], headers=staff).json()
    assert status["status"] == "done", status
    errors = status["report"]["errors"]
    assert errors
    assert all("territory" in e["reason"] for e in errors)
    written = session.execute(
        text(
            "SELECT count(*) FROM site s JOIN site_change c ON c.site_pk = s.id "
            "WHERE s.comm_insee = :o AND c.actor LIKE 'territory_staff:200041630%'"
        ),
        {"o": other},
    ).scalar()
    assert written == 0
    listed = client.get("/api/v1/quarantine", headers=staff)
    assert listed.status_code == 200


def test_upload_needs_a_writer(client, investor):
    files = {"file": ("f.csv", b"site_id\n", "text/csv")}
    assert client.post("/api/v1/imports", files=files).status_code == 401
    assert client.post("/api/v1/imports", files=files, headers=investor).status_code == 403


def test_upload_of_a_broken_file_fails_cleanly(client, admin):
    r = client.post(
        "/api/v1/imports",
        headers=admin,
        files={"file": ("broken.geojson", b"{not json", "application/geo+json")},
    )
    assert r.status_code == 202
    status = client.get(r.headers["location"], headers=admin).json()
    assert status["status"] == "failed"
    assert status["error"]


def test_unknown_kind_and_empty_file_are_422(client, admin):
    r = client.post(
        "/api/v1/imports",
        headers=admin,
        data={"kind": "shapefile"},
        files={"file": ("f.csv", b"a\n", "text/csv")},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["allowed"] == ["friches", "sites-eco"]
    r = client.post("/api/v1/imports", headers=admin, files={"file": ("f.csv", b"", "text/csv")})
    assert r.status_code == 422


def test_imports_of_another_territory_are_not_visible(client, staff, other_staff, admin):
    r = client.post(
        "/api/v1/imports", headers=staff, files={"file": ("f.csv", _rows_of("08105"), "text/csv")}
    )
    location = r.headers["location"]
    assert client.get(location, headers=other_staff).status_code == 404
    assert client.get(location, headers=admin).status_code == 200
    assert any(
        i["id"] == r.json()["id"] for i in client.get("/api/v1/imports", headers=staff).json()
    )
