"""Load the polluted-site registers shipped in data/sites-pollues (see its SOURCES.md).

Known deviations of the real files, handled here: BASOL gives projected points (Lambert-93,
but the local UTM CRS for overseas sites such as 972.0006 in Martinique), its INSEE code with
the population appended ("60542 (832 habitants)") and a float id (60.0126); ADEME drops the
leading zero of INSEE codes ("8190" for 08190), gives 29 of its 419 sites no geometry (Lambert
II étendu coordinates, EPSG:27572, are used when present; else the site is placed on its
commune and flagged ``position_precision = 'commune'``, which the 500 m rule ignores), and
spells one status "terminée".
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.db.copy import copy_into_temp
from app.geo.crs import local_srid
from app.pollution import repository
from app.territories.sources import features

BASOL = Path("sites-pollues") / "basol" / "basol.geojson.gz"
ADEME = Path("sites-pollues") / "ademe-srd" / "donnees-ademe-sites-pollues.geojson.gz"
#: Radius within which a site "knows" a polluted site (issue: BASOL/ADEME within 500 m).
NEARBY_RADIUS_M = 500.0
_INSEE = re.compile(r"^\s*(\d[\dAB]\d{2,3})")


@dataclass
class RegisterReport:
    """Rows read, loaded and skipped (with reasons) per register."""

    rows: int = 0
    loaded: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)


def _insee(value: Any) -> str | None:
    match = _INSEE.match(str(value or ""))
    return match.group(1).zfill(5) if match else None


def _basol_rows(path: Path, report: RegisterReport) -> list[tuple[Any, ...]]:
    rows = []
    for n, f in enumerate(features(path), start=1):
        report.rows += 1
        p = f["properties"]
        coords = (f.get("geometry") or {}).get("coordinates") or [
            p.get("LAMBERT93_X"),
            p.get("LAMBERT93_Y"),
        ]
        if None in coords:
            report.skipped.append({"register": "basol", "row": n, "reason": "no position"})
            continue
        register_id = f"{float(p['id']):.4f}" if isinstance(p.get("id"), float) else str(p["id"])
        insee = _insee(p.get("code_insee"))
        rows.append(
            (
                "basol",
                register_id,
                p.get("nom_du_site"),
                insee,
                p.get("commune"),
                p.get("etat_de_la_surveillance"),
                None,
                None,
                json.dumps(p, ensure_ascii=False),
                coords[0],
                coords[1],
                local_srid(insee) if insee else 2154,
            )
        )
    return rows


def _ademe_rows(path: Path, report: RegisterReport) -> list[tuple[Any, ...]]:
    rows = []
    for n, f in enumerate(features(path), start=1):
        report.rows += 1
        p = f["properties"]
        geometry = f.get("geometry")
        if geometry:
            (x, y), srid = geometry["coordinates"][:2], 4326
        elif p.get("CoordXLambert2Etendue") and p.get("CoordYLambert2Etendue"):
            x, y, srid = p["CoordXLambert2Etendue"], p["CoordYLambert2Etendue"], 27572
        elif _insee(p.get("Code_INSEE")):
            x, y, srid = None, None, 0  # placed on its commune, flagged (see repository)
        else:
            report.skipped.append({"register": "ademe-srd", "row": n, "reason": "no position"})
            continue
        status = (p.get("Etat_operation") or "").strip()
        status = status[:1].upper() + status[1:] if status else None
        surface = str(p.get("Surface_site_m2") or "").replace(" ", "")
        url = str(p.get("Liens_vers_BASOL_BASIAS") or "").replace("http//", "http://") or None
        rows.append(
            (
                "ademe-srd",
                str(f.get("id") or p.get("_id")),
                p.get("Nom_site"),
                _insee(p.get("Code_INSEE")),
                p.get("Commune"),
                status,
                surface if surface.replace(".", "").isdigit() else None,
                url,
                json.dumps(p, ensure_ascii=False),
                x,
                y,
                srid,
            )
        )
    return rows


def load_registers(session: Session, *, data_dir: Path) -> RegisterReport:
    """Upsert the BASOL and ADEME registers; return what was loaded and skipped."""
    report = RegisterReport()
    rows = _basol_rows(data_dir / BASOL, report) + _ademe_rows(data_dir / ADEME, report)
    copy_into_temp(
        session,
        "stage_polluted",
        (
            "register",
            "register_id",
            "nom",
            "insee",
            "commune",
            "statut",
            "surface",
            "url",
            "props",
            "x",
            "y",
            "srid",
        ),
        rows,
    )
    left_out = repository.upsert_staged(session)
    report.skipped.extend(
        {
            "register": register,
            "id": register_id,
            "reason": "position outside the French départements and commune unknown",
        }
        for register, register_id in left_out
    )
    report.loaded = len(rows) - len(left_out)
    return report
