"""``foncier import zan-consumption``: the real Lyon file (loaded by the demo), re-imports, a new
millésime, malformed rows. Expected figures are sums of the file's columns, checked against
data/zan/SOURCES.md (Métropole de Lyon: 827.75 ha over 2011–2020, 149.89 ha over 2021–2023)."""

import csv
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from app import PROJECT_ROOT
from app.cli import cli
from app.zan import service
from app.zan.errors import ZanFileInvalid

LYON_FILE = PROJECT_ROOT / "data" / "zan" / "derived_conso_communes_wide_cerema_columns.csv.gz"
METROPOLE = "200046977"


def lyon_rows() -> tuple[list[str], list[dict[str, str]]]:
    with gzip.open(LYON_FILE, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=";")
        return list(reader.fieldnames or []), list(reader)


def write(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, delimiter=";", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def snapshot(session) -> list[tuple]:
    return list(
        session.execute(
            text(
                "SELECT territory_type, code, year, total_m2, activite_m2, habitat_m2, millesime "
                "FROM zan_consumption ORDER BY 1, 2, 3"
            )
        )
    )


def total(session, territory_type: str, code: str, first: int, last: int) -> float:
    return session.execute(
        text(
            "SELECT sum(total_m2) FROM zan_consumption WHERE territory_type = :t AND code = :c "
            "AND year BETWEEN :a AND :b"
        ),
        {"t": territory_type, "c": code, "a": first, "b": last},
    ).scalar_one()


def test_demo_loads_the_58_lyon_communes_and_their_epci(session):
    communes = session.execute(
        text(
            "SELECT count(*), count(c.insee), count(*) FILTER (WHERE c.epci_siren = :m) "
            "FROM zan_territory z LEFT JOIN commune c ON c.insee = z.code "
            "WHERE z.territory_type = 'commune'"
        ),
        {"m": METROPOLE},
    ).one()
    # 58 communes, all in the COG 2024 commune table, all in the Métropole de Lyon.
    assert tuple(communes) == (58, 58, 58)
    assert session.execute(text("SELECT nom FROM commune WHERE insee = '69123'")).scalar() == "Lyon"
    epci = session.execute(
        text(
            "SELECT nom, millesime, first_year, last_year FROM zan_territory "
            "WHERE territory_type = 'epci' AND code = :m"
        ),
        {"m": METROPOLE},
    ).one()
    assert tuple(epci) == ("Métropole de Lyon", 2024, 2009, 2023)
    assert total(session, "epci", METROPOLE, 2011, 2020) == 8_277_454  # 827.75 ha
    assert total(session, "epci", METROPOLE, 2021, 2023) == 1_498_944  # 149.89 ha
    # Lyon by hand: 9237+14975+13285+7301+1657+6425+2463+5177+14061+0
    assert total(session, "commune", "69123", 2011, 2020) == 74_581
    lyon_2023 = session.execute(
        text(
            "SELECT total_m2, activite_m2, habitat_m2, mixte_m2, route_m2, ferroviaire_m2, "
            "inconnu_m2 FROM zan_consumption WHERE code = '69123' AND year = 2023"
        )
    ).one()
    assert tuple(lyon_2023) == (1348, 0, 1265, 0, 0, 83, 0)  # naf23art24, art23hab24, art23fer24


def test_epci_is_the_sum_of_its_communes_every_year(session):
    mismatches = session.execute(
        text(
            "SELECT e.year FROM zan_consumption e JOIN (SELECT year, sum(total_m2) AS s, "
            "sum(inconnu_m2) AS inc FROM zan_consumption WHERE territory_type = 'commune' "
            "GROUP BY year) c ON c.year = e.year "
            "WHERE e.territory_type = 'epci' AND (e.total_m2 <> c.s OR e.inconnu_m2 <> c.inc)"
        )
    ).all()
    assert mismatches == []
    assert (
        session.execute(
            text("SELECT count(*) FROM zan_consumption WHERE territory_type = 'epci'")
        ).scalar()
        == 15
    )  # 2009..2023


def test_reimporting_the_same_file_changes_nothing(session):
    before = snapshot(session)
    report = service.import_consumption(session, LYON_FILE)
    assert (
        report.rows == 58 and report.millesime == 2024 and report.years == list(range(2009, 2024))
    )
    assert report.changed is False
    assert (report.communes_unchanged, report.communes_inserted, report.communes_updated) == (
        58,
        0,
        0,
    )
    assert report.consumption_inserted == report.consumption_updated == 0
    assert report.epcis == 1 and report.epci_rows_changed == 0
    assert report.unknown_communes == []
    assert snapshot(session) == before


def test_a_new_millesime_replaces_the_figures(session, tmp_path):
    header, rows = lyon_rows()
    # The 2025 layout: flows 2011–2024 only, epci25 / surfcom2025 suffixes.
    dropped = [h for h in header if h[3:5] in ("09", "10") and h.startswith(("naf", "art"))]
    header = [
        {"epci24": "epci25", "epci24txt": "epci25txt", "surfcom2024": "surfcom2025"}.get(h, h)
        for h in header
        if h not in dropped
    ]
    header += ["naf24art25", "art24act25", "art24hab25", "art24mix25", "art24rou25",
               "art24fer25", "art24inc25"]  # fmt: skip
    for row in rows:
        row["epci25"], row["epci25txt"] = row["epci24"], row["epci24txt"]
        row["surfcom2025"] = row["surfcom2024"]
        row.update(naf24art25="100", art24act25="100", art24hab25="0", art24mix25="0",
                   art24rou25="0", art24fer25="0", art24inc25="0")  # fmt: skip
        if row["idcom"] == "69123":
            row["naf23art24"], row["art23hab24"] = "2348", "2265"  # revised: +1 000 m²
    path = write(tmp_path / "conso2009-2025-resultats-com.csv", header, rows)

    report = service.import_consumption(session, path)
    assert report.millesime == 2025 and report.years == list(range(2011, 2025))
    assert report.communes_updated == 58
    assert report.consumption_inserted == 58  # the 2024 flow of each commune
    # The 58 communes' 2011–2022 rows change millésime; Lyon's 2023 too; all others' 2023 too.
    assert report.consumption_updated == 58 * 13
    assert report.consumption_deleted == 58 * 2  # 2009 and 2010 are no longer in the file
    assert total(session, "commune", "69123", 2023, 2023) == 2348
    assert total(session, "commune", "69123", 2009, 2010) is None
    # EPCI: 1 498 944 + 1 000 (Lyon's revision) + 58 × 100 (2024)
    assert total(session, "epci", METROPOLE, 2021, 2024) == 1_498_944 + 1_000 + 5_800
    assert total(session, "epci", METROPOLE, 2009, 2010) is None
    assert session.execute(
        text("SELECT millesime, first_year FROM zan_territory WHERE code = :m"), {"m": METROPOLE}
    ).one() == (2025, 2011)

    # The older millésime afterwards does not overwrite the newer one.
    before = snapshot(session)
    older = service.import_consumption(session, LYON_FILE)
    assert len(older.communes_skipped_newer) == 58 and older.changed is False
    assert snapshot(session) == before


def test_malformed_rows_are_named_and_nothing_is_lost(session, tmp_path):
    header, rows = lyon_rows()
    rows[2]["naf15art16"] = "12a4"  # Cailloux-sur-Fontaines (69033)
    rows[5]["naf21art22"] = "-30"
    rows[7]["idcom"] = "6912X"
    rows[9]["epci24"] = "20004697"
    path = write(tmp_path / "broken.csv", header, rows)
    before = snapshot(session)
    with pytest.raises(ZanFileInvalid) as exc:
        service.import_consumption(session, path)
    errors = [(e.field, e.where, e.reason) for e in exc.value.errors]
    assert errors[0] == (
        "naf15art16",
        "row 3 (line 4, idcom 69033)",
        "'12a4' is not a number (m²)",
    )
    assert errors[1][0] == "naf21art22" and errors[1][1].startswith("row 6 (line 7")
    assert errors[1][2] == "negative NAF consumption (-30 m²)"
    assert errors[2][:2] == ("idcom", "row 8 (line 9, idcom 6912X)")
    assert "not an INSEE commune code" in errors[2][2]
    assert errors[3][0] == "epci24" and "not an EPCI SIREN" in errors[3][2]
    assert len(errors) == 4
    assert "nothing was imported" in exc.value.message
    assert snapshot(session) == before


def test_a_file_that_is_not_cerema_names_what_is_missing(session, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("code;conso\n69123;12\n", encoding="utf-8")
    with pytest.raises(ZanFileInvalid) as exc:
        service.import_consumption(session, path)
    fields = {e.field for e in exc.value.errors}
    assert fields == {"idcom", "naf{AA}art{BB}"}


def test_repeated_commune_and_short_row(session, tmp_path):
    header, rows = lyon_rows()
    path = tmp_path / "dup.csv"
    write(path, header, [rows[0], rows[1], rows[0]])
    with path.open("a", encoding="utf-8") as fh:
        fh.write("69999;Nowhere;69\n")
    with pytest.raises(ZanFileInvalid) as exc:
        service.import_consumption(session, path)
    first, second = exc.value.errors
    assert first.field == "idcom" and "already given in row 1" in first.reason
    assert second.field == "row" and second.where.startswith("row 4 (line 5, idcom 69999)")
    assert "3 values for" in second.reason


def test_windows_1252_file_with_lost_leading_zero_and_blank_year(session, tmp_path):
    # Ambérieu-en-Bugey (01004), as a spreadsheet would save it: cp1252, code 1004, a blank year.
    header = ["idcom", "idcomtxt", "epci23", "surfcom2023"] + [
        f"naf{y:02d}art{y + 1:02d}" for y in range(9, 23)
    ]
    values = ["1004", "Ambérieu-en-Bugey", "", "24600000"] + ["1000"] * 14
    values[4 + 6] = ""  # 2015: no figure
    path = tmp_path / "ain.csv"
    path.write_bytes((";".join(header) + "\n" + ";".join(values) + "\n").encode("cp1252"))
    report = service.import_consumption(session, path)
    assert report.millesime == 2023 and report.rows == 1 and report.epcis == 0
    assert report.warnings[0]["field"] == "idcom" and "'01004'" in report.warnings[0]["reason"]
    nom = session.execute(text("SELECT nom FROM zan_territory WHERE code = '01004'")).scalar()
    assert nom == "Ambérieu-en-Bugey"
    assert total(session, "commune", "01004", 2009, 2022) == 13_000  # 14 years, one blank
    answer = service.territory_zan(session, "01004")
    assert answer.envelope is None and answer.missing_years == [2015]
    assert "2015" in (answer.message or "")


def test_cli_reimport_of_the_demo_file_reports_no_change(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("FONCIER_DATABASE_URL", database_url)
    from app.config import get_settings
    from app.db.session import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        report = tmp_path / "report.json"
        result = CliRunner().invoke(
            cli, ["import", "zan-consumption", str(LYON_FILE), "--report", str(report)]
        )
        assert result.exit_code == 0, result.output
        assert "58 communes (0 new, 0 updated, 58 unchanged" in result.output
        assert json.loads(report.read_text())["changed"] is False
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()


def test_cli_names_the_row_and_column_of_a_malformed_value(tmp_path):
    header, rows = lyon_rows()
    rows[0]["art12act13"] = "n/a?"
    path = write(tmp_path / "bad.csv", header, rows)
    result = CliRunner().invoke(cli, ["import", "zan-consumption", str(path)])
    assert result.exit_code == 1
    assert "row 1 (line 2, idcom 69003): art12act13: 'n/a?' is not a number (m²)" in result.output
