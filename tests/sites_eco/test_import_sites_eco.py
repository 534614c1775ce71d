"""`foncier import sites-eco`: CNIG Sites économiques → turnkey sites and serviced plots."""

from pathlib import Path

import geopandas as gpd
import pytest
from shapely import wkb
from sqlalchemy import text

from app.auth.service import Principal
from app.sites_eco.service import import_sites_eco

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "cnig-sites-economiques"


def _parcel_l93(session, idu):
    return wkb.loads(
        bytes(
            session.execute(
                text("SELECT ST_AsBinary(ST_Transform(geom, 2154)) FROM parcel WHERE idu = :i"),
                {"i": idu},
            ).scalar_one()
        )
    )


@pytest.fixture
def gpkg(session, tmp_path):
    """A zone of Épinay-sur-Orge made of three real parcels, two plots (one turnkey)."""
    plots = {
        i: _parcel_l93(session, i) for i in ("91216000AB0037", "91216000AB0038", "91216000AB0039")
    }
    from shapely.ops import unary_union

    zone = gpd.GeoDataFrame(
        [
            {
                "site_id": "91216_SITE-ECO_00001",
                "pole_id": "91216_POLE-ECO_00001",
                "site_nom": "ZA des Templiers",
                "site_type": "zone d'activité économique",
                "site_vocadomi": "industrie",
                "site_etat": "existant",
                "site_surf_brute": 28.0,
                "site_surf_utile": 25.0,
                "site_identif_date": "2024-01-15",
                "site_actu_date": "2025-06-01",
                "site_quali_territoire": "Site clé en main",
                "site_epci_nom": "CA Communauté Paris-Saclay",
                "site_epci_siren": "200056232",
                "site_comm_nom": "Épinay-sur-Orge",
                "site_comm_insee": "91216",
                "site_moa_type": "EPCI",
                "site_voca_industrielle": "oui",
                "reseau_gaz": "oui",
                "reseau_fret_ferroviaire": "oui",
                "reseau_electrique": "oui",
                "autoroute_nom": "A6",
                "autoroute_echang_dist": 2.5,
                "gare_fret_dist": 12.0,
                "port_dist": 35.0,
                "aeroport_dist": 14.0,
            }
        ],
        geometry=[unary_union(list(plots.values()))],
        crs="EPSG:2154",
    )
    terrains = gpd.GeoDataFrame(
        [
            {
                "terr_id": "91216_TERRAIN-ECO_00001",
                "site_id": "91216_SITE-ECO_00001",
                "terr_refcad": "91216000AB0037",
                "terr_surf_brute": 9.0,
                "terr_utile": "oui",
                "terr_identif_date": "2024-01-15",
                "terr_actu_date": "2025-06-01",
                "terr_maitrise_fonc": "structure intercommunale",
                "terr_stade_amngt": "viabilisé",
                "terr_stade_comm": "disponible",
                "terr_etat_occup": "libre",
                "terr_usage": "nu",
                "terr_cle_en_main": "oui",
                "terr_m2_prix": 45.0,
            },
            {
                "terr_id": "91216_TERRAIN-ECO_00002",
                "site_id": "91216_SITE-ECO_00001",
                "terr_refcad": "91216000AB0038",
                "terr_surf_brute": 9.0,
                "terr_utile": "oui",
                "terr_identif_date": "2024-01-15",
                "terr_actu_date": "2025-06-01",
                "terr_maitrise_fonc": "privée",
                "terr_stade_amngt": "non viabilisé",
                "terr_stade_comm": "disponible",
                "terr_etat_occup": "libre",
                "terr_usage": "nu",
                "terr_cle_en_main": "non",
            },
        ],
        geometry=[plots["91216000AB0037"], plots["91216000AB0038"]],
        crs="EPSG:2154",
    )
    path = tmp_path / "sites_economiques.gpkg"
    zone.to_file(path, layer="site_eco", driver="GPKG")
    terrains.to_file(path, layer="terrain_eco", driver="GPKG")
    return path


def test_turnkey_plots_and_serviced_plots_from_a_geopackage(client, session, gpkg):
    report = import_sites_eco(session, [gpkg])
    assert report.errors == []
    assert (report.rows, report.imported, report.quarantined, report.turnkey) == (2, 2, 0, 1)
    turnkey = client.get("/api/v1/sites/91216_TERRAIN-ECO_00001").json()["properties"]
    assert turnkey["kind"] == "turnkey"
    assert turnkey["terr_cle_en_main"] == "oui"
    assert turnkey["eco_site_id"] == "91216_SITE-ECO_00001"
    assert turnkey["reseau_fret_ferroviaire"] == "oui"
    assert turnkey["autoroute_echang_dist"] == 2.5
    assert turnkey["epci_siren"] == "200056232"
    assert turnkey["unite_fonciere_refcad"] == "91216000AB0037"
    assert "terr_m2_prix" not in turnkey  # confidential: anonymous view
    parcel_area = session.execute(
        text("SELECT ST_Area(ST_Transform(geom, 2154)) FROM parcel WHERE idu = '91216000AB0037'")
    ).scalar()
    assert abs(turnkey["area_m2"] - parcel_area) / parcel_area < 0.001
    plot = client.get("/api/v1/sites/91216_TERRAIN-ECO_00002").json()["properties"]
    assert plot["kind"] == "serviced_plot"
    again = import_sites_eco(session, [gpkg])
    assert (again.rows, again.unchanged, again.imported, again.updated) == (2, 2, 0, 0)


def test_the_official_example_files_are_quarantined_with_reasons(session):
    report = import_sites_eco(
        session,
        [
            EXAMPLES / "site-eco-exemple-valide.csv",
            EXAMPLES / "terrain-eco-exemple-valide.csv",
        ],
    )
    # The standard's own example ring is not closed (656589.70 vs 656589.707) and lies in
    # Cantal, 550 km from its commune: the plot is quarantined, never written.
    assert report.rows == 1
    assert report.quarantined == 1
    assert report.errors[0]["field"] == "geometry"
    assert "unclosed ring" in report.errors[0]["reason"]
    stored = session.execute(
        text("SELECT errors, payload->>'terr_id' FROM quarantine ORDER BY id DESC LIMIT 1")
    ).one()
    assert stored[1] == "80024_TERRAIN-ECO_00131"
    assert (
        session.execute(
            text("SELECT count(*) FROM site WHERE site_id = '80024_TERRAIN-ECO_00131'")
        ).scalar()
        == 0
    )


def test_staff_imports_only_their_territory(session, gpkg):
    other = Principal(
        role="territory_staff", epci_siren="200041630", key_id=None, label="staff of another EPCI"
    )
    report = import_sites_eco(session, [gpkg], principal=other)
    assert report.quarantined == 2
    assert all("belongs to EPCI 200056232" in e["reason"] for e in report.errors)
    assert (
        session.execute(
            text("SELECT count(*) FROM site WHERE site_id LIKE '91216_TERRAIN-ECO%'")
        ).scalar()
        == 0
    )
