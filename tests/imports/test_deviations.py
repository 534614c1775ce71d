"""Each deviation of real files (SOURCES.md of data/friches and data/cnig-friches, and those the
real files showed) is read with a warning kept with the site, or quarantined with its reason."""

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from app.imports.readers import UnreadableFile
from app.models import QuarantineRow, Site, SiteChange
from tests.imports.helpers import (
    CNIG_DIR,
    INSIDE_POINT,
    SQUARE_WKT,
    cnig_row,
    errors_of,
    run,
    site,
    warnings_of,
    write_csv,
    write_geojson,
)


def _xy(session, s):
    return session.execute(
        select(func.ST_X(Site.point), func.ST_Y(Site.point)).where(Site.id == s.id)
    ).one()


def test_semicolons_na_and_french_dates(session, tmp_path):
    row = cnig_row(
        site_identif_date="19/01/2023",
        site_actu_date="2024-02-03T10:00:00",
        site_adresse="NA",
        bati_nombre="NA",
    )
    report = run(session, write_csv(tmp_path / "f.csv", [row], sep=";"))
    assert report.imported == 1
    assert "separator ';' instead of ','" in report.notes
    s = site(session, "08105_T001")
    assert str(s.site_identif_date) == "2023-01-19"
    assert str(s.site_actu_date) == "2024-02-03"
    assert s.site_adresse is None and s.bati_nombre is None
    assert warnings_of(s, "site_identif_date") == [
        "date '19/01/2023' read as 2023-01-19 (DD/MM/YYYY, not ISO 8601)"
    ]
    assert "date-time" in warnings_of(s, "site_actu_date")[0]
    (na,) = warnings_of(s, "row")
    assert "site_adresse ('NA')" in na and "bati_nombre ('NA')" in na


def test_impossible_date_is_quarantined(session, tmp_path):
    report = run(session, write_csv(tmp_path / "f.csv", [cnig_row(site_actu_date="31/02/2024")]))
    assert report.quarantined == 1
    assert errors_of(report, "site_actu_date") == ["'31/02/2024' is not a date"]


def test_geomsurf_as_wkt_or_geojson(session, tmp_path):
    square = {
        "type": "Polygon",
        "coordinates": [
            [[4.72, 49.77], [4.72139, 49.77], [4.72139, 49.7709], [4.72, 49.7709], [4.72, 49.77]]
        ],
    }
    rows = [
        cnig_row(site_id="08105_WKT"),
        cnig_row(site_id="08105_JSON", geomsurf=json.dumps(square)),
    ]
    report = run(session, write_csv(tmp_path / "f.csv", rows))
    assert report.imported == 2
    a, b = site(session, "08105_WKT"), site(session, "08105_JSON")
    assert 9_500 < a.area_m2 < 10_500
    assert a.area_m2 == pytest.approx(b.area_m2)
    assert not a.geom_approximate
    assert warnings_of(b, "geomsurf") == ["GeoJSON instead of WKT"]
    assert _xy(session, a) == pytest.approx((4.7207, 49.7704))  # the given geompoint


def test_lat_lon_point_and_surface_are_swapped_with_a_warning(session, tmp_path):
    rows = [
        cnig_row(site_id="08105_LATLON", geompoint="POINT (49.7704 4.7207)", geomsurf=""),
        cnig_row(
            site_id="08105_LATLONSURF",
            geompoint="POINT (49.7704 4.7207)",
            geomsurf="POLYGON ((49.77 4.72, 49.77 4.72139, 49.7709 4.72139, 49.7709 4.72, "
            "49.77 4.72))",
        ),
        cnig_row(site_id="08105_LONLAT", geomsurf=""),
    ]
    report = run(session, write_csv(tmp_path / "f.csv", rows))
    assert report.imported == 3
    swapped = site(session, "08105_LATLON")
    assert _xy(session, swapped) == pytest.approx((4.7207, 49.7704))
    (reason,) = warnings_of(swapped, "geompoint")
    assert reason.startswith(
        "coordinates given as (latitude, longitude): read as (longitude, latitude)"
    )
    assert "Charleville-Mézières" in reason
    surface = site(session, "08105_LATLONSURF")
    assert 9_500 < surface.area_m2 < 10_500
    assert warnings_of(surface, "geomsurf")[0].startswith("coordinates given as (latitude")
    assert warnings_of(site(session, "08105_LONLAT"), "geompoint") == []


def test_overseas_point_swapped_without_a_commune_polygon(session, tmp_path):
    # Réunion's communes have no polygon in the reference: the island's box decides.
    row = cnig_row(
        site_id="97411_T1",
        comm_insee="97411",
        comm_nom="Saint-Denis",
        geompoint="POINT (-20.8821 55.4504)",
        geomsurf="",
    )
    report = run(session, write_csv(tmp_path / "f.csv", [row]))
    assert report.imported == 1
    s = site(session, "97411_T1")
    assert _xy(session, s) == pytest.approx((55.4504, -20.8821))
    assert "(latitude, longitude)" in warnings_of(s, "geompoint")[0]
    assert s.departement_code == "974"


def test_a_point_in_another_commune_is_quarantined(session, tmp_path):
    row = cnig_row(geompoint="POINT (2.35 48.85)", geomsurf="")  # Paris, not Charleville
    report = run(session, write_csv(tmp_path / "f.csv", [row]))
    assert report.quarantined == 1
    (reason,) = errors_of(report, "geompoint")
    assert "km from commune Charleville-Mézières (08105)" in reason


def test_lambert93_coordinates_are_transformed(session, tmp_path):
    # POINT(4.7207 49.7704) in Lambert-93 metres
    row = cnig_row(geompoint="POINT (824029.15 6964848.06)", geomsurf="")
    report = run(session, write_csv(tmp_path / "f.csv", [row]))
    assert report.imported == 1
    s = site(session, "08105_T001")
    assert "Lambert-93" in warnings_of(s, "geompoint")[0]
    assert _xy(session, s) == pytest.approx((4.7207, 49.7704), abs=1e-3)


def test_obsolete_and_misspelt_values_are_mapped_with_a_warning(session, tmp_path):
    row = cnig_row(
        site_type="mixte",
        urba_zone_type="AU",
        sol_pollution_origine="Pollution due au fonctionnement de l'installation",
        bati_type="residentiel",
        urba_doc_type="POS",
        site_occupation="partiellement inoccupé",
    )
    report = run(session, write_csv(tmp_path / "f.csv", [row]))
    assert report.imported == 1
    s = site(session, "08105_T001")
    assert s.site_type == "mixte - autre"
    assert s.urba_zone_type == "AUs"
    assert s.sol_pollution_origine == "pollution due au fonctionnement de l'installation"
    assert s.bati_type == "résidentiel"
    assert s.urba_doc_type == "autre"
    assert s.site_occupation == "partiellement inoccupé"  # a v1.0.6 value: untouched
    assert "obsolete value 'mixte'" in warnings_of(s, "site_type")[0]
    assert "obsolete value 'AU'" in warnings_of(s, "urba_zone_type")[0]
    assert "non-standard value 'POS'" in warnings_of(s, "urba_doc_type")[0]


def test_a_value_outside_the_enumeration_is_quarantined_with_the_allowed_ones(session, tmp_path):
    report = run(session, write_csv(tmp_path / "f.csv", [cnig_row(site_statut="en friche")]))
    assert report.quarantined == 1
    (reason,) = errors_of(report, "site_statut")
    assert reason.startswith("'en friche' is not one of: friche potentielle, friche sans projet")
    assert (
        session.scalar(select(func.count()).select_from(Site).where(Site.site_id == "08105_T001"))
        == 0
    )


@pytest.mark.parametrize("version", ["v1.0.1", "v1.0.2", "v1.0.3", "v1.0.4", "v1.0.5", "v1.0.6"])
def test_the_columns_of_every_version(session, tmp_path, version):
    text = (CNIG_DIR / f"fichier-valide-{version}.csv").read_text(encoding="utf-8")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    row.update(geompoint="POINT (2.2779 44.5215)", geomsurf="")  # in Cransac, lon/lat
    report = run(session, write_csv(tmp_path / "f.csv", [row]))
    assert (report.imported, report.quarantined) == (1, 0), report.errors
    s = site(session, "12083_22-12.0017")
    assert s.urba_zone_formdomi in ("0202", "202")  # urba_zone_formedomi before v1.0.3
    assert s.site_type == "friche industrielle"
    assert s.sol_pollution_origine == "pollution due au fonctionnement de l'installation"
    assert s.unite_fonciere_refcad.startswith("12083000AH0035|")
    assert s.urba_zaer == ("non" if version == "v1.0.6" else "inconnu")
    if version in ("v1.0.1", "v1.0.2"):
        assert "column 'urba_zone_formedomi' read as 'urba_zone_formdomi'" in report.notes
    if version == "v1.0.6":
        assert s.site_reconv_type == "aménagement d'espace public"


def test_cartofriches_model_columns(session, tmp_path):
    row = {
        "site_id": "08105_C1",
        "site_nom": "",
        "site_type": "agro-industrielle",
        "site_identif_date": "2022-10-10",
        "site_actu_date": "2022-10-10",
        "comm_nom": "CHARLEVILLE-MEZIERES",
        "comm_insee": "8105",
        "activite_libelle": "Dépôt de liquides inflammables",
        "local_ancienne_annee": "-3600.0",
        "local_recent_annee": "1546210800.0",
        "proprio_type": "{G1a,X1a}",
        "proprio_personne": "personne physique, personne morale",
        "proprio_nom": '{"SCI DU TERRIER","_X_"}',
        "sol_pollution_annee": "-2147483648",
        "l_idpar": "{08105000AB0001,08105000AB0002}",
        "unite_fonciere_surface": "11267.62",
        "source_nom": "Cartofriches",
        "desserte_distance_route": "-2147483648",
        "longitude": "4.7207",
        "latitude": "49.7704",
    }
    report = run(session, write_csv(tmp_path / "f.csv.gz", [row]))
    assert report.imported == 1, report.errors
    assert report.format == "csv, cartofriches"
    s = site(session, "08105_C1")
    assert s.site_nom == "Friche (Dépôt de liquides inflammables)"
    assert s.site_type == "friche agro-industrielle"
    assert s.comm_insee == "08105"
    assert s.local_ancien_annee == 1970
    assert "the epoch itself" in warnings_of(s, "local_ancien_annee")[0]
    assert s.local_recent_annee == 2018  # 2018-12-31 in Paris, 23:00 UTC the day before
    assert s.proprio_type == "G1a|X1a"
    assert s.proprio_personne == "personne physique|personne morale"
    assert s.proprio_nom == "SCI DU TERRIER|_X_"
    assert s.sol_pollution_annee is None
    assert s.unite_fonciere_refcad == "08105000AB0001|08105000AB0002"
    assert s.unite_fonciere_surface == 11268
    assert s.geom_approximate  # parcels not loaded here: the point
    assert _xy(session, s) == pytest.approx((4.7207, 49.7704))
    kinds = {w["field"] for w in s.warnings}
    assert {"site_nom", "comm_insee", "proprio_type", "unite_fonciere_surface"} <= kinds


def test_geojson_features_in_lambert93_gzip(session, tmp_path):
    polygon = {
        "type": "Polygon",
        "coordinates": [
            [
                [823980, 6964800],
                [824080, 6964800],
                [824080, 6964900],
                [823980, 6964900],
                [823980, 6964800],
            ]
        ],
    }
    feature = {
        "type": "Feature",
        "geometry": polygon,
        "properties": {
            "site_id": "08105_G1",
            "FRICHE": "Friche GeoJSON",
            "site_type": "autre",
            "unite_fonciere_surface": 10000,
        },
    }
    path = write_geojson(
        tmp_path / "f.geojson.gz",
        [feature],
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
    )
    report = run(session, path)
    assert report.imported == 1, report.errors
    s = site(session, "08105_G1")
    assert s.site_nom == "Friche GeoJSON"
    assert s.comm_insee == "08105"  # from the site_id, with a warning
    assert 9_900 < s.area_m2 < 10_100
    assert s.source_nom == "f.geojson.gz"
    assert "a point on the site's surface is used" in warnings_of(s, "geompoint")[0]


def test_the_union_of_loaded_parcels_when_there_is_no_geomsurf(session, tmp_path):
    rows = [
        cnig_row(
            site_id="91216_P1",
            comm_insee="91216",
            comm_nom="Épinay-sur-Orge",
            geompoint="",
            geomsurf="",
            unite_fonciere_refcad="91216000AB0037|91216000AB0038",
        ),
        cnig_row(
            site_id="91216_P2",
            comm_insee="91216",
            comm_nom="Épinay-sur-Orge",
            geompoint="",
            geomsurf="",
            unite_fonciere_refcad="91216000AB0038|91216000ZZ9999",
        ),
    ]
    report = run(session, write_csv(tmp_path / "f.csv", rows))
    assert report.imported == 2, report.errors
    full, partial = site(session, "91216_P1"), site(session, "91216_P2")
    assert full.geom is not None and not full.geom_approximate
    assert full.area_m2 == pytest.approx(254_881 + 18_084, rel=0.02)
    assert "union of the 2 cadastre parcels" in warnings_of(full, "geometry")[0]
    assert partial.geom is not None and partial.geom_approximate
    assert "1 of 2 parcels" in warnings_of(partial, "geometry")[0]


def test_missing_required_fields_get_stand_ins_on_creation(session, tmp_path):
    row = cnig_row(site_type="", site_nom="", urba_zaer="", source_nom="", comm_nom="")
    report = run(session, write_csv(tmp_path / "f.csv", [row]))
    assert report.imported == 1
    s = site(session, "08105_T001")
    assert (s.site_type, s.site_nom, s.urba_zaer, s.source_nom, s.comm_nom) == (
        "inconnu",
        "Friche sans nom",
        "inconnu",
        "f.csv",
        "Charleville-Mézières",
    )
    assert {w["field"] for w in s.warnings} >= {
        "site_type",
        "site_nom",
        "urba_zaer",
        "source_nom",
        "comm_nom",
    }


def test_a_missing_value_does_not_erase_a_stored_required_one(session, tmp_path):
    run(session, write_csv(tmp_path / "a.csv", [cnig_row()]))
    report = run(session, write_csv(tmp_path / "b.csv", [cnig_row(site_type="NA")]))
    # Only the file's warnings differ: the site is unchanged (the report still says why).
    assert (report.updated, report.unchanged) == (0, 1)
    assert any(d["field"] == "site_type" for d in report.deviations)
    assert site(session, "08105_T001").site_type == "friche industrielle"


def test_duplicate_site_id_in_a_file(session, tmp_path):
    rows = [cnig_row(), cnig_row(site_nom="Autre nom")]
    report = run(session, write_csv(tmp_path / "f.csv", rows))
    assert (report.imported, report.quarantined) == (1, 1)
    assert errors_of(report, "site_id") == ["duplicate: row 1 of this file has the same site_id"]
    assert site(session, "08105_T001").site_nom == "Ancienne fonderie de test"


def test_self_intersecting_surface_is_repaired(session, tmp_path):
    bowtie = "POLYGON ((4.72 49.77, 4.7214 49.7709, 4.7214 49.77, 4.72 49.7709, 4.72 49.77))"
    report = run(session, write_csv(tmp_path / "f.csv", [cnig_row(geomsurf=bowtie)]))
    assert report.imported == 1
    s = site(session, "08105_T001")
    assert s.geom is not None
    assert "repaired with ST_MakeValid" in warnings_of(s, "geometry")[0]


def test_a_merged_commune_is_found_from_the_point(session, tmp_path):
    # 16355 (Saint-Laurent-de-Cognac) merged into Val-de-Cognac (16097) in 2019.
    row = cnig_row(
        site_id="16355_M1",
        comm_insee="16355",
        comm_nom="Saint-Laurent-de-Cognac",
        geompoint="POINT (-0.382112 45.7462)",
        geomsurf="",
    )
    report = run(session, write_csv(tmp_path / "f.csv", [row]))
    assert report.imported == 1, report.errors
    s = site(session, "16355_M1")
    assert s.comm_insee == "16097" and s.epci_siren == "200070514"
    assert "Val-de-Cognac (16097)" in warnings_of(s, "comm_insee")[0]


def test_an_unknown_commune_without_a_place_is_quarantined(session, tmp_path):
    row = cnig_row(
        site_id="16355_M1", comm_insee="16355", geompoint="POINT (4.7207 49.7704)", geomsurf=""
    )
    report = run(session, write_csv(tmp_path / "f.csv", [row]))
    assert report.quarantined == 1
    assert "not a commune INSEE code" in errors_of(report, "comm_insee")[0]


def test_windows_1252_files(session, tmp_path):
    path = write_csv(tmp_path / "f.csv", [cnig_row(site_nom="Scierie Léon")], encoding="cp1252")
    report = run(session, path)
    assert report.imported == 1
    assert "the file is not UTF-8: read as Windows-1252 (cp1252)" in report.notes
    assert site(session, "08105_T001").site_nom == "Scierie Léon"


def test_names_of_physical_persons_are_not_published(session, tmp_path):
    row = cnig_row(proprio_personne="personne physique", proprio_nom="Jean Dupont")
    run(session, write_csv(tmp_path / "f.csv", [row]))
    s = site(session, "08105_T001")
    assert s.proprio_nom == "_X_"
    assert "physical person" in warnings_of(s, "proprio_nom")[0]


def test_long_texts_are_kept_whole(session, tmp_path):
    long = "Historique. " * 500
    parcels = "|".join(f"08105000AB{n:04d}" for n in range(1, 400))
    row = cnig_row(activite_libelle=long, unite_fonciere_refcad=parcels)
    report = run(session, write_csv(tmp_path / "f.csv", [row]))
    assert report.imported == 1, report.errors
    s = site(session, "08105_T001")
    assert len(s.activite_libelle) == len(long.strip())
    assert len(s.unite_fonciere_refcad.split("|")) == 399


def test_a_row_with_shifted_cells_is_quarantined(session, tmp_path):
    path = write_csv(tmp_path / "f.csv", [cnig_row()])
    text = path.read_text()
    path.write_text(text.rstrip("\n") + ",extra\n")
    report = run(session, path)
    assert report.quarantined == 1
    assert "values are shifted" in errors_of(report, "row")[0]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("220829_fichier-valide.csv", "transposed"),
        ("draft-2022-04_fichier-valide.csv", "2022 draft"),
        ("draft-2022_fichier-valide-0.csv", "2022 draft"),
    ],
)
def test_pre_standard_files_are_refused_as_a_whole(session, name, message):
    with pytest.raises(UnreadableFile, match=message):
        run(session, CNIG_DIR / name)


def test_a_changed_row_is_updated_and_audited(session, tmp_path):
    rows = [cnig_row(), cnig_row(site_id="08105_T002", site_nom="Autre friche")]
    run(session, write_csv(tmp_path / "f.csv", rows))
    rows[0]["site_statut"] = "friche avec projet"
    report = run(session, write_csv(tmp_path / "f.csv", rows))
    assert (report.updated, report.unchanged) == (1, 1)
    s = site(session, "08105_T001")
    assert s.site_statut == "friche avec projet" and s.version == 2
    change = session.scalars(
        select(SiteChange).where(SiteChange.site_pk == s.id).order_by(SiteChange.id.desc())
    ).first()
    assert change.action == "update"
    assert change.before == {"site_statut": "friche sans projet"}
    assert change.after == {"site_statut": "friche avec projet"}


def test_a_changed_surface_is_audited_as_geojson(session, tmp_path):
    run(session, write_csv(tmp_path / "f.csv", [cnig_row()]))
    moved = SQUARE_WKT.replace("4.72139", "4.7216")
    report = run(session, write_csv(tmp_path / "f.csv", [cnig_row(geomsurf=moved)]))
    assert report.updated == 1
    s = site(session, "08105_T001")
    change = session.scalars(
        select(SiteChange).where(SiteChange.site_pk == s.id).order_by(SiteChange.id.desc())
    ).first()
    assert change.before["geometry"]["type"] == "MultiPolygon"
    assert change.after["geometry"]["coordinates"][0][0][1][0] == pytest.approx(4.7216)
    assert change.after["area_m2"] > change.before["area_m2"]


def test_quarantined_rows_keep_the_raw_row(session, tmp_path):
    row = cnig_row(site_statut="en friche", geompoint=INSIDE_POINT)
    report = run(session, write_csv(tmp_path / "f.csv", [row], sep=";"))
    q = session.scalars(
        select(QuarantineRow).where(QuarantineRow.batch_id == report.batch_id)
    ).one()
    assert q.payload == row
    assert q.row_number == 1 and q.site_id == "08105_T001" and q.epci_siren == "200041630"
    assert q.errors[0]["field"] == "site_statut"


def test_a_file_epci_column_is_checked_against_the_commune(session, tmp_path):
    row = {**cnig_row(), "epci_siren": "200043156", "epci_nom": "CC du Pays Rethélois"}
    report = run(session, write_csv(tmp_path / "f.csv", [row]))
    assert report.imported == 1
    s = site(session, "08105_T001")
    assert s.epci_siren == "200041630"
    assert "belongs to EPCI 200041630" in warnings_of(s, "epci_siren")[0]
