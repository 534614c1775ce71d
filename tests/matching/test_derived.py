"""Stored figures follow the writes: time to permits per ICPE regime, labour pool."""

from datetime import date

from sqlalchemy import text

from app.derived import service as derived

SITE = "08081_03"  # Bogny-sur-Meuse, Ardennes observatory; empty dossier in the demo


def _permits(session, icpe="none"):
    return session.execute(
        text(
            "SELECT min_months, typical_months, max_months FROM site_permits p "
            "JOIN site s ON s.id = p.site_pk WHERE s.site_id = :s AND p.icpe = :i"
        ),
        {"s": SITE, "i": icpe},
    ).one()


def test_every_demo_site_has_its_figures(session):
    missing = session.execute(
        text(
            "SELECT count(*) FROM site s WHERE s.deleted_at IS NULL AND ("
            "NOT EXISTS (SELECT 1 FROM site_derived d WHERE d.site_pk = s.id) OR "
            "(SELECT count(*) FROM site_permits p WHERE p.site_pk = s.id) <> 6)"
        )
    ).scalar()
    assert missing == 0


def test_permits_follow_the_dossier(client, admin, session):
    # Empty dossier, no ICPE: P4 → P9 → P10 = 3+3+3 / 6+4+3 / 9+5+3 months (DOMAIN.md §5).
    assert tuple(_permits(session)) == (9.0, 13.0, 17.0)
    # Autorisation adds P2 → P3 → P6 → P11: 12+6+9+2 = 29 typical.
    assert _permits(session, "autorisation").typical_months == 29.0
    r = client.put(
        f"/api/v1/sites/{SITE}/procedures/P4",
        json={"status": "done", "completed_on": "2025-03-01"},
        headers=admin,
    )
    assert r.status_code in (200, 201), r.text
    # Archaeology done: P9 → P10 = 3+3 / 4+3 / 5+3.
    assert tuple(_permits(session)) == (6.0, 7.0, 8.0)


def test_labour_pool_sums_communes_by_distance(session):
    pk = session.execute(text("SELECT id FROM site WHERE site_id = :s"), {"s": SITE}).scalar()
    stored = session.execute(
        text(
            "SELECT labour_10km, labour_20km, labour_30km, labour_50km FROM site_derived "
            "WHERE site_pk = :pk"
        ),
        {"pk": pk},
    ).one()
    assert stored[0] <= stored[1] <= stored[2] <= stored[3]
    for radius, value in zip((10, 20, 30, 50), stored, strict=True):
        expected = session.execute(
            text(
                "SELECT COALESCE(sum(c.pmun), 0) FROM commune c, site s WHERE s.id = :pk "
                "AND c.typecom = 'COM' AND c.pmun IS NOT NULL "
                "AND ST_Distance(ST_Transform(ST_PointOnSurface(c.geom), 2154), "
                "ST_Transform(s.point, 2154)) <= :m"
            ),
            {"pk": pk, "m": radius * 1000.0},
        ).scalar()
        assert value == expected
    # Charleville-Mézières (08105, ~46 000 inhabitants) is 17 km away: in the 20 km pool.
    assert stored[1] - stored[0] >= 40_000


def test_refresh_changed_picks_up_direct_writes(session):
    session.execute(
        text("UPDATE site SET updated_at = clock_timestamp() WHERE site_id = :s"), {"s": SITE}
    )
    assert derived.refresh_changed(session) == 1
    assert derived.refresh_changed(session) == 0


def test_a_procedure_in_progress_shortens_the_wait_day_by_day(session):
    # P4 (archaeology, 3/6/9 months) in progress for 2 months: 1/4/7 months left, then
    # P9 (3/4/5) and P10 (3): 1+3+3 / 4+4+3 / 7+5+3 = 7 / 11 / 15 months (DOMAIN.md §5).
    pk = session.execute(text("SELECT id FROM site WHERE site_id = :s"), {"s": SITE}).scalar()
    session.execute(
        text(
            "INSERT INTO procedure (site_pk, code, status, started_on) "
            "VALUES (:pk, 'P4', 'in_progress', DATE '2026-01-15')"
        ),
        {"pk": pk},
    )
    derived.refresh(session, [pk], today=date(2026, 3, 15))
    assert tuple(_permits(session)) == (7.0, 11.0, 15.0)
    # A month later, nothing was written; the daily refresh nets one more month off:
    # 0+3+3 / 3+4+3 / 6+5+3.
    assert derived.refresh_stale_permits(session, today=date(2026, 4, 15)) == 1
    assert tuple(_permits(session)) == (6.0, 10.0, 14.0)
    assert derived.refresh_stale_permits(session, today=date(2026, 4, 15)) == 0
