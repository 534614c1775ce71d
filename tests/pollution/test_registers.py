"""The BASOL and ADEME registers and the polluted sites near each site."""

from sqlalchemy import text

from app.pollution.service import load_registers
from tests.conftest import DATA_DIR


def test_registers_are_loaded_with_their_deviations_fixed(session):
    counts = dict(
        session.execute(
            text("SELECT register, count(*) FROM polluted_site GROUP BY register")
        ).all()
    )
    # 130 BASOL; 419 ADEME of which the 29 without geometry come from Lambert II coordinates.
    assert counts["basol"] == 129  # 130 less the Martinique record (below)
    # ADEME: 419 less Saint-Pierre-et-Miquelon's site (no département, no commune polygon).
    assert counts["ademe-srd"] == 418
    basol = session.execute(
        text(
            "SELECT comm_insee, ST_X(geom), ST_Y(geom) FROM polluted_site "
            "WHERE register = 'basol' AND register_id = '60.0126'"
        )
    ).one()
    assert basol[0] == "60542"  # "60542 (832 habitants)"
    assert 2.0 < basol[1] < 3.0 and 49.0 < basol[2] < 49.6  # Lambert-93 → WGS84
    givet = session.execute(
        text(
            "SELECT comm_insee, statut FROM polluted_site WHERE register = 'ademe-srd' "
            "AND nom = 'ARDENITY'"
        )
    ).one()
    assert tuple(givet) == ("08190", "Terminée")  # "8190" → 08190
    placed = session.execute(
        text("SELECT count(*) FROM polluted_site WHERE position_precision = 'commune'")
    ).scalar()
    assert placed == 29  # the 29 records without coordinates: on their commune, flagged
    # BASOL's Martinique site carries Lambert-93 coordinates that fall in the sea off
    # Catalonia: not trusted, and its commune has no polygon here, so it is left out.
    assert (
        session.execute(
            text("SELECT count(*) FROM polluted_site WHERE register_id = '972.0006'")
        ).scalar()
        == 0
    )
    outside = set(
        session.execute(
            text(
                "SELECT register_id FROM polluted_site p WHERE NOT EXISTS ("
                "SELECT 1 FROM departement d WHERE ST_DWithin(d.geom, p.geom, 0.1))"
            )
        ).scalars()
    )
    assert outside == set()


def test_loading_again_changes_nothing(session):
    before = session.execute(
        text(
            "SELECT count(*), md5(string_agg(ST_AsText(geom), ',' "
            "ORDER BY register, register_id)) FROM polluted_site"
        )
    ).one()
    report = load_registers(session, data_dir=DATA_DIR)
    assert report.rows == 549
    assert report.loaded == 547
    assert {(s["register"], s["id"]) for s in report.skipped} == {
        ("basol", "972.0006"),
        ("ademe-srd", "373"),
    }
    after = session.execute(
        text(
            "SELECT count(*), md5(string_agg(ST_AsText(geom), ',' "
            "ORDER BY register, register_id)) FROM polluted_site"
        )
    ).one()
    assert tuple(before) == tuple(after)


def test_a_site_knows_the_polluted_sites_within_500_m(client, session):
    # Find an Ardennes friche with a register entry within 500 m, in SQL, independently.
    site_id, expected = session.execute(
        text(
            "SELECT s.site_id, count(*) FROM site s JOIN polluted_site p ON ST_DWithin("
            "s.geom::geography, p.geom::geography, 500) AND p.position_precision = 'exact' "
            "GROUP BY s.site_id "
            "ORDER BY count(*) DESC, s.site_id LIMIT 1"
        )
    ).one()
    near = client.get(f"/api/v1/sites/{site_id}/polluted-sites").json()
    assert len(near) == expected
    assert all(0 <= n["distance_m"] <= 500 for n in near)
    assert near == sorted(near, key=lambda n: (n["distance_m"], n["register"], n["register_id"]))
    props = client.get(f"/api/v1/sites/{site_id}").json()["properties"]
    assert props["polluted_sites_500m"] == expected


def test_a_site_far_from_any_register_entry_has_none(client):
    assert client.get("/api/v1/sites/08035_01/polluted-sites").json() == []
