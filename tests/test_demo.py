"""The demo data: real Ardennes friches, areas in Lambert-93, idempotent load."""

from sqlalchemy import text

from app.demo.service import load_demo
from app.territories.sources import features
from tests.conftest import DATA_DIR


def test_ardennes_areas_agree_with_the_observatory_within_half_a_percent(session):
    # The observatory's own areas (surf_calc), from the unchanged copy shipped in data/.
    source = features(DATA_DIR / "friches" / "obs-friches-ardennes" / "friches.geojson.gz")
    surf_calc = {f["properties"]["site_id"]: f["properties"]["surf_calc"] for f in source}
    areas = dict(
        session.execute(
            text("SELECT site_id, area_m2 FROM site WHERE site_id = ANY(:ids)"),
            {"ids": list(surf_calc)},
        ).all()
    )
    assert len(areas) == 164
    off = {
        sid: (areas[sid], ref)
        for sid, ref in surf_calc.items()
        if abs(areas[sid] - ref) / ref > 0.005
    }
    assert not off, off


def test_areas_are_measured_in_lambert93_not_degrees(session):
    row = session.execute(
        text(
            "SELECT area_m2, ST_Area(ST_Transform(geom, 2154)) AS l93, ST_Area(geom) AS deg "
            "FROM site WHERE site_id = '08136_01'"
        )
    ).one()
    assert abs(row.area_m2 - row.l93) < 1
    assert row.deg < 1  # square degrees: a trap the service avoids


def test_every_ardennes_site_has_its_epci_and_parcels(session):
    rows = session.execute(
        text(
            "SELECT count(*) FILTER (WHERE epci_siren IS NULL), "
            "count(*) FILTER (WHERE NOT EXISTS "
            "(SELECT 1 FROM site_parcel sp WHERE sp.site_pk = s.id))"
            " FROM site s WHERE site_id LIKE '08%'"
        )
    ).one()
    assert tuple(rows) == (0, 0)


def test_the_repaired_geometry_is_flagged_not_dropped(session):
    warnings = session.execute(
        text("SELECT warnings FROM site WHERE site_id = '08402_01'")
    ).scalar_one()
    assert warnings[0]["field"] == "geometry"
    assert "ST_MakeValid" in warnings[0]["reason"]


def test_loading_the_demo_again_changes_nothing(session):
    before = session.execute(text("SELECT count(*), max(version) FROM site")).one()
    report = load_demo(session, data_dir=DATA_DIR, with_territories=False)
    assert report.sites_imported == 0 and report.sites_kept == 0
    assert report.sites_unchanged == 164
    assert report.parcels["imported"] == 0 and report.parcels["updated"] == 0
    assert session.execute(text("SELECT count(*), max(version) FROM site")).one() == before
    # Nothing changed, so no derived figure is recomputed, and every site has its figures.
    assert report.derived == 0
    assert report.derived_total == before[0]


def test_the_demo_loader_never_overwrites_local_edits(session):
    session.execute(
        text(
            "UPDATE site SET site_statut = 'friche reconvertie', version = 7 "
            "WHERE site_id = '08105_09'"
        )
    )
    report = load_demo(session, data_dir=DATA_DIR, with_territories=False)
    assert report.sites_kept == 1
    assert report.sites_unchanged == 163
    statut = session.execute(
        text("SELECT site_statut FROM site WHERE site_id = '08105_09'")
    ).scalar_one()
    assert statut == "friche reconvertie"


def test_reference_territories_cover_metropolitan_france(session):
    counts = session.execute(
        text(
            "SELECT (SELECT count(*) FROM region), (SELECT count(*) FROM departement), "
            "(SELECT count(*) FROM commune WHERE geom IS NOT NULL AND typecom = 'COM'), "
            "(SELECT count(*) FROM territoire_industrie), "
            "(SELECT count(DISTINCT epci_siren) FROM territoire_industrie_epci)"
        )
    ).one()
    assert tuple(counts) == (18, 101, 34806, 183, 641)
    members = session.execute(
        text(
            "SELECT c.epci_siren, e.nom FROM commune c JOIN epci e ON e.siren = c.epci_siren "
            "WHERE c.insee = ANY(ARRAY['91216', '72181', '75118'])"
        )
    ).all()
    assert {m.epci_siren for m in members} == {"200056232", "247200132", "200054781"}
