"""Quarantine: listing by territory, re-submission, superseded rows, the API, and all-or-nothing
imports (a failure leaves no partial writes)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.auth.service import Principal
from app.errors import Conflict, Forbidden, NotAuthenticated
from app.imports import repository as imports_repository
from app.imports import service as imports_service
from app.imports.errors import QuarantineNotFound
from app.imports.router import router as quarantine_router
from app.models import ImportBatch, QuarantineRow, Site, SiteChange, SiteParcel
from tests.conftest import ARDENNE_METROPOLE, PAYS_RETHELOIS
from tests.imports.helpers import ADMIN, cnig_row, run, site, write_csv

STAFF = Principal(role="territory_staff", epci_siren=ARDENNE_METROPOLE, label="test staff")
OTHER_STAFF = Principal(role="territory_staff", epci_siren=PAYS_RETHELOIS, label="other staff")

BAD_ROWS = [
    cnig_row(site_id="08105_Q1", site_statut="en friche"),  # Charleville: Ardenne Métropole
    cnig_row(
        site_id="08362_Q2",
        comm_insee="08362",
        comm_nom="Rethel",
        geompoint="POINT (4.3675 49.5046)",
        geomsurf="",
        bati_nombre="beaucoup",
    ),  # Rethel: Pays Rethélois
]


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def quarantined(session, tmp_path) -> list[QuarantineRow]:
    report = run(session, write_csv(tmp_path / "bad.csv", BAD_ROWS))
    assert report.quarantined == 2
    return list(
        session.scalars(
            select(QuarantineRow)
            .where(QuarantineRow.batch_id == report.batch_id)
            .order_by(QuarantineRow.row_number)
        )
    )


def test_a_quarantined_row_writes_nothing(session, quarantined):
    assert _count(session, Site, Site.site_id.in_(["08105_Q1", "08362_Q2"])) == 0
    assert [q.site_id for q in quarantined] == ["08105_Q1", "08362_Q2"]
    assert quarantined[1].errors == [
        {"field": "bati_nombre", "reason": "'beaucoup' is not an integer"}
    ]


def test_staff_list_their_territory_admins_everything(session, quarantined):
    total, rows = imports_service.list_quarantine(session, STAFF)
    assert [r.site_id for r in rows] == ["08105_Q1"] and total == 1
    _, rows = imports_service.list_quarantine(session, OTHER_STAFF)
    assert [r.site_id for r in rows] == ["08362_Q2"]
    total, _ = imports_service.list_quarantine(session, ADMIN, batch_id=quarantined[0].batch_id)
    assert total == 2
    with pytest.raises(QuarantineNotFound):
        imports_service.get_quarantine(session, STAFF, quarantined[1].id)
    with pytest.raises(Forbidden):
        imports_service.list_quarantine(session, Principal(role="investor"))
    with pytest.raises(NotAuthenticated):
        imports_service.list_quarantine(session, Principal())


def test_resubmit_a_fixed_row(session, quarantined):
    q = quarantined[0]
    result = imports_service.resubmit(session, STAFF, q.id, {"site_statut": "friche avec projet"})
    assert (result.status, result.site_id, result.errors) == ("imported", "08105_Q1", [])
    s = site(session, "08105_Q1")
    assert (
        s.site_statut == "friche avec projet" and s.published and s.epci_siren == ARDENNE_METROPOLE
    )
    session.refresh(q)
    assert q.resolved_at is not None and q.resolved_site_id == "08105_Q1"
    change = session.scalars(select(SiteChange).where(SiteChange.site_pk == s.id)).one()
    assert change.actor.startswith("territory_staff:200041630")
    with pytest.raises(Conflict):
        imports_service.resubmit(session, STAFF, q.id, {})
    _, open_rows = imports_service.list_quarantine(session, STAFF)
    assert open_rows == []


def test_resubmit_a_row_still_wrong_returns_the_new_errors(session, quarantined):
    q = quarantined[1]
    result = imports_service.resubmit(session, OTHER_STAFF, q.id, {"bati_nombre": "-3"})
    assert result.status == "quarantined"
    (error,) = result.errors
    assert error["field"] == "bati_nombre"
    assert "greater than or equal to 0" in error["reason"]
    assert _count(session, Site, Site.site_id == "08362_Q2") == 0
    session.refresh(q)
    assert q.resolved_at is None


def test_staff_cannot_resubmit_into_another_territory(session, quarantined):
    q = quarantined[0]
    moved = {
        "comm_insee": "08362",
        "comm_nom": "Rethel",
        "geompoint": "POINT (4.3675 49.5046)",
        "geomsurf": "",
        "site_statut": "friche avec projet",
    }
    result = imports_service.resubmit(session, STAFF, q.id, moved)
    assert result.status == "quarantined"
    assert result.errors[0]["reason"].startswith("outside your territory")


def test_a_new_import_supersedes_open_rows_of_the_same_site(session, quarantined, tmp_path):
    fixed = [cnig_row(site_id="08105_Q1")]
    report = run(session, write_csv(tmp_path / "fixed.csv", fixed))
    assert report.imported == 1
    session.refresh(quarantined[0])
    assert quarantined[0].resolved_site_id == "08105_Q1"
    again = run(session, write_csv(tmp_path / "bad.csv", BAD_ROWS))
    session.refresh(quarantined[1])
    assert quarantined[1].resolved_at is not None  # superseded by the new batch's row
    assert quarantined[1].resolved_site_id is None
    total, _ = imports_service.list_quarantine(session, ADMIN, site_id="08362_Q2")
    assert total == 1
    assert again.quarantined == 2


def test_a_failure_during_the_writes_leaves_nothing(session, tmp_path, monkeypatch):
    rows = [
        cnig_row(site_id="08105_F1", unite_fonciere_refcad="08105000AB0001"),
        cnig_row(site_id="08105_F2"),
        BAD_ROWS[0],
    ]
    path = write_csv(tmp_path / "f.csv", rows)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports_repository, "insert_changes", broken)
    batches = _count(session, ImportBatch)
    with pytest.raises(RuntimeError), session.begin_nested():  # the caller's transaction
        imports_service.import_friches(session, ADMIN, path)
    session.expire_all()
    assert _count(session, Site, Site.site_id.in_(["08105_F1", "08105_F2"])) == 0
    assert _count(session, SiteParcel, SiteParcel.idu == "08105000AB0001") == 0
    assert _count(session, QuarantineRow, QuarantineRow.site_id == "08105_Q1") == 0
    assert _count(session, ImportBatch) == batches


# --- the API (the router is not mounted by app.main yet: this app includes it) ---------------


@pytest.fixture
def api(app) -> Iterator[TestClient]:
    app.include_router(quarantine_router)
    with TestClient(app) as c:
        yield c


def test_api_list_get_resubmit(api, session, quarantined, staff, other_staff, investor):
    r = api.get("/api/v1/quarantine", headers=staff)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total"], body["returned"]) == (1, 1)
    item = body["items"][0]
    assert item["site_id"] == "08105_Q1"
    assert item["errors"][0]["field"] == "site_statut"
    assert item["payload"]["site_statut"] == "en friche"
    assert api.get(f"/api/v1/quarantine/{item['id']}", headers=staff).status_code == 200
    assert api.get(f"/api/v1/quarantine/{item['id']}", headers=other_staff).status_code == 404
    assert api.get("/api/v1/quarantine", headers=investor).status_code == 403
    assert api.get("/api/v1/quarantine").status_code == 401

    still = api.post(
        f"/api/v1/quarantine/{item['id']}/resubmit",
        json={"payload": {"site_statut": "toujours faux"}},
        headers=staff,
    )
    assert still.status_code == 422
    assert still.json()["errors"][0]["field"] == "site_statut"
    ok = api.post(
        f"/api/v1/quarantine/{item['id']}/resubmit",
        json={"payload": {"site_statut": "friche sans projet"}},
        headers=staff,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "imported" and ok.json()["site_id"] == "08105_Q1"
    assert api.get("/api/v1/sites/08105_Q1").status_code == 200  # published
    again = api.post(
        f"/api/v1/quarantine/{item['id']}/resubmit",
        json={"payload": {"site_statut": "friche sans projet"}},
        headers=staff,
    )
    assert again.status_code == 409
