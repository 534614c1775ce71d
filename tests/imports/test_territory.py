"""Staff uploads: rows outside the caller's EPCI are quarantined and never written."""

from sqlalchemy import func, select

from app.auth.service import Principal
from app.imports import service as imports_service
from app.models import ImportBatch, QuarantineRow, Site
from tests.conftest import ARDENNE_METROPOLE
from tests.imports.helpers import cnig_row, run, site, write_csv

STAFF = Principal(role="territory_staff", epci_siren=ARDENNE_METROPOLE, label="upload test")
RETHEL = {
    "comm_insee": "08362",
    "comm_nom": "Rethel",
    "geompoint": "POINT (4.3675 49.5046)",
    "geomsurf": "",
}


def test_rows_outside_the_staff_territory_are_quarantined(session, tmp_path):
    rows = [cnig_row(site_id="08105_S1"), cnig_row(site_id="08362_S2", **RETHEL)]
    report = run(session, write_csv(tmp_path / "f.csv", rows), STAFF)
    assert (report.imported, report.quarantined) == (1, 1)
    (error,) = report.errors
    assert error["site_id"] == "08362_S2"
    assert error["reason"].startswith("outside your territory: commune Rethel (08362)")
    assert (
        session.scalar(select(func.count()).select_from(Site).where(Site.site_id == "08362_S2"))
        == 0
    )
    s = site(session, "08105_S1")
    assert s.published and s.epci_siren == ARDENNE_METROPOLE
    batch = session.get(ImportBatch, report.batch_id)
    assert batch.epci_siren == ARDENNE_METROPOLE


def test_staff_cannot_update_another_territory_site(session, tmp_path):
    # 08362_04 (Rethel) belongs to CC du Pays Rethélois; a row claiming it in Charleville
    # would move it into the uploader's territory: refused.
    before = site(session, "08362_04")
    row = cnig_row(site_id="08362_04", site_nom="Pris par un autre EPCI")
    report = run(session, write_csv(tmp_path / "f.csv", [row]), STAFF)
    assert report.quarantined == 1
    assert report.errors[0]["reason"].startswith("outside your territory: site 08362_04")
    after = site(session, "08362_04")
    assert (after.site_nom, after.version) == (before.site_nom, before.version)


def test_a_geometry_reaching_outside_the_epci_is_refused(session, tmp_path):
    # a strip from Charleville-Mézières to Rethel: in its commune, but far out of the EPCI
    strip = "POLYGON ((4.72 49.77, 4.72 49.771, 4.40 49.52, 4.40 49.519, 4.72 49.77))"
    report = run(session, write_csv(tmp_path / "f.csv", [cnig_row(geomsurf=strip)]), STAFF)
    assert report.quarantined == 1
    assert any(
        e["field"] == "geometry" and e["reason"].startswith("outside your territory")
        for e in report.errors
    )


def test_quarantined_rows_of_an_upload_are_listed_for_their_owner(session, tmp_path):
    rows = [cnig_row(site_id="08362_S2", **RETHEL)]
    report = run(session, write_csv(tmp_path / "f.csv", rows), STAFF)
    q = session.scalars(
        select(QuarantineRow).where(QuarantineRow.batch_id == report.batch_id)
    ).one()
    assert q.epci_siren == "200043156"  # the land's EPCI, whose staff may take it up
    total, _ = imports_service.list_quarantine(session, STAFF, batch_id=report.batch_id)
    assert total == 0


def test_an_upload_by_staff_reads_bytes_and_keeps_to_the_territory(session, tmp_path):
    rows = [cnig_row(site_id="08105_U1"), cnig_row(site_id="08362_U2", **RETHEL)]
    data = write_csv(tmp_path / "upload.csv.gz", rows, sep=";").read_bytes()
    report = imports_service.import_upload(session, STAFF, name="upload.csv.gz", data=data)
    assert (report.rows, report.imported, report.quarantined) == (2, 1, 1)
    assert report.errors[0]["reason"].startswith("outside your territory")
