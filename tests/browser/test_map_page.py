"""The map page in Debian's Chromium: our own layers, an investor's search and its ranked
results, a site page, and staff creating a site from three cadastre parcels."""

import csv
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.auth.service import create_key
from tests.browser.conftest import shot, wait_for_map
from tests.conftest import PARIS_SACLAY

#: The investor's search of these tests (Ardennes friches, ranked on four criteria).
SEARCH: dict[str, Any] = {
    "icpe": "enregistrement",
    "criteria": {
        "surface_ha": {"min": 2},
        "months_to_permits": {"max": 12, "weight": 2},
        "motorway_km": {"max": 10},
        "location": {"departements": ["08"]},
    },
}
#: Three adjacent parcels of Épinay-sur-Orge (CA Paris-Saclay) in the demo cadastre.
PARCELS = ["91216000AB0037", "91216000AB0038", "91216000AB0039"]


def post_json(base: str, path: str, body: Any) -> Any:
    req = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def get_json(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return json.loads(r.read())


def test_the_map_shows_our_own_layers_and_nothing_from_another_host(page: Page, server: str):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(server + "/")
    wait_for_map(page)
    expect(page.locator("#map")).to_have_attribute("data-map-mode", "tiles")
    page.wait_for_function(
        "() => window.foncier.map.querySourceFeatures('sites', {sourceLayer: 'sites'}).length > 0"
    )
    layers = page.evaluate("() => window.foncier.map.getStyle().layers.map(l => l.id)")
    assert {"departements-line", "epci-line", "communes-line", "parcels-line", "sites-fill"} <= set(
        layers
    )
    assert any("/ogc/collections/sites/tiles/WebMercatorQuad/" in u for u in requested)
    foreign = [u for u in requested if not u.startswith((server, "data:", "blob:"))]
    assert foreign == []
    # The form is labelled and in French.
    expect(page.get_by_label("Départements")).to_be_visible()
    expect(page.get_by_role("button", name="Classer les sites")).to_be_visible()


def test_search_ranks_the_sites_like_the_api_and_the_url_holds_the_search(page: Page, server: str):
    page.goto(server + "/")
    wait_for_map(page)
    page.get_by_label("Départements").fill("08")
    page.get_by_label("Régime ICPE du projet").select_option("enregistrement")
    surface = page.locator("fieldset[data-criterion=surface_ha]")
    surface.get_by_label("min. (ha)").fill("2")
    surface.get_by_label("poids").fill("1")
    permits = page.locator("fieldset[data-criterion=months_to_permits]")
    permits.get_by_label("max. (mois)").fill("12")
    permits.get_by_label("poids").fill("2")
    page.locator("fieldset[data-criterion=motorway_km]").get_by_label("à moins de (km)").fill("10")
    page.locator("fieldset[data-criterion=friche_preference]").get_by_label(
        "prendre en compte"
    ).uncheck()
    page.get_by_role("button", name="Classer les sites").click()

    cards = page.locator("#results li.result")
    expect(cards.first).to_be_visible()
    shown = [
        (c.get_attribute("data-site-id"), int(c.get_attribute("data-rank") or 0))
        for c in cards.all()
    ]
    expected = post_json(server, "/api/v1/matches?limit=20", SEARCH)
    assert [sid for sid, _ in shown] == [r["site_id"] for r in expected["results"]]
    assert [rank for _, rank in shown] == list(range(1, len(shown) + 1))
    first = expected["results"][0]
    expect(cards.first.locator(".result-name")).to_have_text(first["name"])
    expect(cards.first.locator(".score-badge")).to_contain_text(str(round(first["score"])))
    expect(page.locator("#results h2")).to_contain_text(f"{expected['numberMatched']} site")
    # The why: one bar per criterion and the permits timeline with its critical path.
    cards.first.locator("summary").click()
    details = cards.first.locator(".result-details")
    expect(details.locator("tr.crit")).to_have_count(len(first["criteria"]))
    critical = details.locator(".tl-row.critical")
    expect(critical).to_have_count(
        len(
            [
                r
                for r in first["time_to_permits"]["remaining"]
                if r["code"] in first["time_to_permits"]["critical_path"]
            ]
        )
    )
    # The map colours the results and numbers them.
    expect(page.locator(".rank-marker")).to_have_count(len(shown))
    # The URL holds the search: opening it elsewhere gives the same ranking.
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert json.loads(query["q"][0]) == SEARCH
    shot(page, "investor-view")
    page.goto(page.url)
    expect(cards.first).to_have_attribute("data-site-id", shown[0][0] or "")
    expect(cards).to_have_count(len(shown))


def test_two_sites_compare_side_by_side(page: Page, server: str):
    page.goto(server + "/?q=" + urllib.parse.quote(json.dumps(SEARCH)))
    cards = page.locator("#results li.result")
    expect(cards.first).to_be_visible()
    cards.nth(0).get_by_label("Comparer").check()
    cards.nth(1).get_by_label("Comparer").check()
    page.get_by_role("button", name="Comparer (2/3)").click()
    table = page.get_by_role("dialog", name="Comparaison de sites")
    expect(table.locator("thead th")).to_have_count(3)
    assert "cmp=" in page.url


def test_site_page_shows_geometry_attributes_dossier_pollution_and_history(page: Page, server: str):
    page.goto(server + "/?q=" + urllib.parse.quote(json.dumps(SEARCH)))
    first = page.locator("#results li.result").first
    expect(first).to_be_visible()
    site_id = first.get_attribute("data-site-id")
    site = get_json(server, f"/api/v1/sites/{site_id}")
    first.locator(".result-name").click()
    expect(page).to_have_url(re.compile(rf"/sites/{re.escape(site_id or '')}$"))
    expect(page.locator("#site-title")).to_have_text(site["properties"]["site_nom"])
    expect(page.locator("dd[data-prop=comm_insee]")).to_have_text(site["properties"]["comm_insee"])
    procedures = get_json(server, f"/api/v1/sites/{site_id}/procedures")
    expect(page.locator("#dossier li.proc")).to_have_count(len(procedures))
    history = get_json(server, f"/api/v1/sites/{site_id}/history")
    expect(page.locator("#history ol.history > li")).to_have_count(len(history))
    expect(page.locator("#pollution")).not_to_contain_text("Chargement")
    expect(page.locator("#permits figcaption")).to_contain_text("mois")
    # The site's geometry is drawn (and the map centred on it).
    page.wait_for_function(
        "() => window.foncier.map.queryRenderedFeatures({layers: ['focus-fill']}).length > 0"
    )
    shot(page, "site-page")
    # A site page is a URL of its own: it loads directly too.
    page.goto(f"{server}/sites/{site_id}")
    expect(page.locator("#site-title")).to_have_text(site["properties"]["site_nom"])


@pytest.fixture
def staff_key(engine: Engine) -> Iterator[str]:
    """A key of CA Paris-Saclay's staff, committed for the server to see; deleted after."""
    with Session(engine) as s:
        key, clear = create_key(
            s, role="territory_staff", epci_siren=PARIS_SACLAY, label="browser test"
        )
        s.commit()
        key_id = key.id
    yield clear
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_key WHERE id = :id"), {"id": key_id})


@pytest.fixture
def created_sites(engine: Engine) -> Iterator[list[str]]:
    """Sites a test creates through the page: deleted (with their history) after the test."""
    ids: list[str] = []
    yield ids
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM site WHERE site_id = ANY(:ids)"), {"ids": ids})


def test_staff_create_a_site_from_three_parcels_and_find_it_in_the_results(
    page: Page, server: str, engine: Engine, staff_key: str, created_sites: list[str]
):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT idu, ST_X(ST_PointOnSurface(geom)) AS lon, "
                "ST_Y(ST_PointOnSurface(geom)) AS lat, ST_Area(ST_Transform(geom, 2154)) AS m2 "
                "FROM parcel WHERE idu = ANY(:p) ORDER BY idu"
            ),
            {"p": PARCELS},
        ).all()
    assert [r.idu for r in rows] == PARCELS

    page.goto(server + "/staff")
    wait_for_map(page)
    page.get_by_label("Clé d'API de votre territoire").fill(staff_key)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Créer un site à partir du cadastre")).to_be_visible()
    page.get_by_label("Aller à la commune (INSEE)").fill("91216")
    page.get_by_role("button", name="Y aller").click()
    page.wait_for_function("() => window.foncier.map.getZoom() > 15")  # at the commune's parcels

    # Centre the map on the three parcels, wait for the parcel tiles, click each parcel.
    lon = sum(r.lon for r in rows) / 3
    lat = sum(r.lat for r in rows) / 3
    page.evaluate(f"() => window.foncier.map.jumpTo({{center: [{lon}, {lat}], zoom: 15.5}})")
    page.wait_for_function(
        "() => window.foncier.map.loaded() && window.foncier.map.queryRenderedFeatures("
        "{layers: ['parcels-fill']}).length > 0"
    )
    box = page.locator("#map canvas").bounding_box()
    assert box
    for n, r in enumerate(rows, start=1):
        x, y = page.evaluate(f"() => Object.values(window.foncier.map.project([{r.lon}, {r.lat}]))")
        page.mouse.click(box["x"] + x, box["y"] + y)
        expect(page.locator(".parcel-list li")).to_have_count(n)
    assert (
        sorted(page.locator(".parcel-list li").evaluate_all("els => els.map(e => e.dataset.idu)"))
        == PARCELS
    )
    area = page.locator("#selection-area strong")
    shown_m2 = float(area.get_attribute("data-area-m2") or 0)
    assert shown_m2 == pytest.approx(sum(r.m2 for r in rows), rel=0.01)
    expect(area).to_contain_text(f"{sum(r.m2 for r in rows) / 10_000:.2f}".replace(".", ","))
    expect(page.locator("#selection-area")).to_have_attribute("data-parts", re.compile(r"[1-3]"))

    # A missing name is shown next to its field, and nothing is created.
    page.get_by_label("Type", exact=True).select_option("serviced_plot")
    page.get_by_role("button", name="Créer le site").click()
    expect(page.locator("[data-field='properties.site_nom'] .field-error")).to_be_visible()
    shot(page, "staff-view")

    page.get_by_label("Nom du site").fill("Lot AB 37-39 (test navigateur)")
    page.get_by_role("button", name="Créer le site").click()
    created = page.locator("[data-created]")
    expect(created).to_be_visible()
    site_id = created.get_attribute("data-created") or ""
    created_sites.append(site_id)
    assert site_id.startswith("91216_")

    # The investor finds it: serviced plots within 2 km of the parcels.
    search = {
        "icpe": None,
        "criteria": {
            "kinds": {"values": ["serviced_plot"], "must": True},
            "location": {"point": {"lon": round(lon, 5), "lat": round(lat, 5)}, "radius_km": 2},
        },
    }
    page.goto(server + "/?q=" + urllib.parse.quote(json.dumps(search)))
    expect(page.locator(f"#results li.result[data-site-id='{site_id}']")).to_be_visible()
    expect(page.locator(f"#results li.result[data-site-id='{site_id}'] .result-name")).to_have_text(
        "Lot AB 37-39 (test navigateur)"
    )


@pytest.fixture
def uploads(engine: Engine) -> Iterator[list[str]]:
    """Sites written by an upload test: they, and the test key's import batches (with their
    quarantined rows), are deleted after the test."""
    ids: list[str] = []
    yield ids
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM site WHERE site_id = ANY(:ids)"), {"ids": ids})
        conn.execute(
            text(
                "DELETE FROM import_batch WHERE api_key_id IN "
                "(SELECT id FROM api_key WHERE label = 'browser test')"
            )
        )


def test_staff_upload_a_file_read_its_report_and_fix_the_quarantined_row(
    page: Page, server: str, staff_key: str, uploads: list[str], tmp_path
):
    # One CNIG Friches row of Épinay-sur-Orge whose site_type is not in the standard.
    with urllib.request.urlopen(
        f"{server}/api/v1/sites/export?format=cnig-csv&epci=200043156"
    ) as r:
        header, first = r.read().decode().splitlines()[:2]
    row = dict(zip(*csv.reader([header, first]), strict=True))
    row.update(
        site_id="91216_BT1",
        site_nom="Friche test navigateur",
        site_type="castle",
        comm_insee="91216",
        comm_nom="Épinay-sur-Orge",
        unite_fonciere_refcad="",
        geompoint="POINT(2.3267 48.6793)",
        geomsurf="",
    )
    path = tmp_path / "friches.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    uploads.append("91216_BT1")

    page.goto(server + "/staff")
    page.get_by_label("Clé d'API de votre territoire").fill(staff_key)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Fichier", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Envoyer").click()
    report = page.locator(".report")
    expect(report).to_be_visible()
    refused = report.locator("tr[data-row='1']")
    expect(refused).to_contain_text("site_type")
    expect(refused).to_contain_text("castle")
    item = page.locator(".quarantine > li").filter(has_text="91216_BT1")
    expect(item).to_contain_text("castle")
    item.get_by_label("site_type", exact=True).fill("friche industrielle")
    item.get_by_role("button", name="Corriger et renvoyer").click()
    expect(page.locator("[data-resolved='91216_BT1']")).to_be_visible()
    site = get_json(server, "/api/v1/sites/91216_BT1")
    assert site["properties"]["site_type"] == "friche industrielle"
