"""Every real friches file imports, its report adds up, and a second import changes nothing."""

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sa_text

from app.models import ImportBatch, QuarantineRow, Site, SiteChange
from tests.imports.helpers import (
    ARDENNES,
    CARTOFRICHES,
    CNIG_DIR,
    run,
    site,
    warnings_of,
)

VERSIONS = ["v1.0.1", "v1.0.2", "v1.0.3", "v1.0.4", "v1.0.5", "v1.0.6"]
EXAMPLES = [CNIG_DIR / f"fichier-valide-{v}.csv" for v in VERSIONS] + [
    CNIG_DIR / "231020_v1.0.3_fichier-valide.csv",
    CNIG_DIR / "fichier-valide_240322.csv",
]


def _twice(session, path):
    first = run(session, path)
    second = run(session, path)
    assert second.rows == first.rows
    assert second.imported == 0
    assert second.updated == 0
    assert second.unchanged == first.imported + first.updated + first.unchanged
    assert second.quarantined == first.quarantined
    return first, second


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_cnig_example_of_every_version_is_read_and_its_wrong_point_is_quarantined(
    session, path
):
    # The standard's own example row puts Cransac (Aveyron) at POINT(49.2527 3.9815): swapped,
    # and even swapped it is near Reims; its geomsurf is truncated ("...").
    first, _ = _twice(session, path)
    assert (first.rows, first.quarantined) == (1, 1)
    fields = {e["field"] for e in first.errors}
    assert fields == {"geompoint", "geomsurf"}
    row = session.scalars(
        select(QuarantineRow).where(QuarantineRow.batch_id == first.batch_id)
    ).one()
    assert row.site_id == "12083_22-12.0017"
    assert row.epci_siren == "200067064"  # Cransac's EPCI: its staff may fix the row
    assert row.payload["comm_nom"] == "CRANSAC"


def test_ardennes_geojson_twice(session):
    type_before = site(session, "08362_04").site_type
    first, second = _twice(session, ARDENNES / "friches.geojson.gz")
    assert first.rows == 164
    # The demo loaded these sites from data.csv: the GeoJSON brings its own geompoint and
    # unite_fonciere_surface, so sites are updated, never duplicated.
    assert first.imported == 0
    assert first.updated + first.unchanged + first.quarantined == 164
    assert "column 'FRICHE' read as 'site_nom'" in first.notes
    s = site(session, "08362_04")
    assert s.site_nom == "Point P et Docks de l’Oise"
    assert s.site_type == type_before  # the GeoJSON has no site_type: the stored one is kept
    assert s.geom is not None and not s.geom_approximate
    history = session.scalars(
        select(SiteChange).where(SiteChange.site_pk == s.id).order_by(SiteChange.id)
    ).all()
    assert [c.action for c in history] == ["create", "update"]
    assert history[-1].actor.startswith("admin")


def test_ardennes_csv_twice_keeps_the_footprints(session):
    first, _ = _twice(session, ARDENNES / "data.csv.gz")
    assert first.rows == 164
    s = site(session, "08105_09")
    assert s.geom is not None  # data.csv has points only: the stored polygon stays
    # Said in the report (and on the site when the row changed something else too).
    assert any(d["kind"] == "kept-footprint" for d in first.deviations)


@pytest.fixture
def without_demo_cartofriches(session):
    """Forget the Cartofriches sites the demo loaded, so that these imports start afresh."""
    session.execute(
        sa_text(
            "DELETE FROM site WHERE id IN (SELECT site_pk FROM site_change "
            "WHERE action = 'create' AND actor LIKE '%friches_standard_test%')"
        )
    )
    session.flush()


def test_cartofriches_cnig_export_twice(session, without_demo_cartofriches):
    path = CARTOFRICHES / "friches_standard_test.csv.gz"
    first, _ = _twice(session, path)
    assert first.rows == 2594
    assert first.imported > 2500
    assert first.quarantined < 60
    assert "separator ';' instead of ','" in first.notes
    kinds = {(d["field"], d["kind"]) for d in first.deviations}
    assert ("site_identif_date", "date-format") in kinds
    assert ("row", "na") in kinds
    assert ("site_type", "obsolete") in kinds
    assert ("comm_insee", "leading-zero") in kinds
    s = site(session, "50419_27068")
    assert str(s.site_identif_date) == "2023-01-19"  # 19/01/2023
    assert s.site_adresse is None  # NA
    assert s.proprio_nom == "_X_"  # anonymised physical person, kept as the marker
    assert s.urba_zaer == "inconnu"  # v1.0.4 columns: no urba_zaer
    assert s.published and s.kind == "friche"
    assert s.geom is None and s.geom_approximate  # geomsurf always NA: the point
    assert any("DD/MM/YYYY" in r for r in warnings_of(s, "site_identif_date"))
    # a mangled IDU (5,62E+184: a spreadsheet's scientific notation) is refused, not guessed
    assert any(
        "scientific notation" in e["reason"]
        for e in first.errors
        if e["field"] == "unite_fonciere_refcad"
    )


def test_cartofriches_national_list_twice(session, without_demo_cartofriches):
    # Speed is measured in bench/, not here (a timed unit test fails on a loaded machine).
    path = CARTOFRICHES / "derived_f.xy_2024-03-10.csv.gz"
    first = run(session, path)
    assert first.rows == 23_878
    assert first.imported > 23_700
    assert first.quarantined < 100
    # Every imported site got its derived figures in the same transaction.
    assert (
        session.execute(
            sa_text(
                "SELECT count(*) FROM site s WHERE s.deleted_at IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM site_derived d WHERE d.site_pk = s.id)"
            )
        ).scalar()
        == 0
    )
    # the deviations of SOURCES.md: lon/lat columns, PostgreSQL arrays; and of the file itself:
    # years as POSIX timestamps, R's NA_integer_, decimal surfaces.
    s = site(session, "31555_16063")
    assert s.proprio_type == "M1a"
    assert s.proprio_nom == "NXP SEMICONDUCTORS FRANCE"
    assert s.unite_fonciere_refcad == "31555841AH0133"
    assert s.local_ancien_annee == 2016  # 1459720800.0
    assert s.sol_pollution_annee is None  # -2147483648
    assert s.unite_fonciere_surface == 54949  # 54949.22
    assert s.geom is None and s.geom_approximate
    assert s.comm_insee == "31555" and s.epci_siren is not None
    assert any("PostgreSQL array" in r for r in warnings_of(s, "proprio_type"))
    point = session.execute(
        select(func.ST_X(Site.point), func.ST_Y(Site.point)).where(Site.id == s.id)
    ).one()
    assert point == pytest.approx((1.3908897, 43.5604584), abs=1e-6)
    # merged communes: the point tells which commune replaced the code
    assert any(d["kind"] == "commune-merged" for d in first.deviations)
    batch = session.get(ImportBatch, first.batch_id)
    assert batch.status == "done" and batch.report["rows"] == 23_878

    second = run(session, path)
    assert (second.imported, second.updated) == (0, 0)
    assert second.unchanged == first.imported
