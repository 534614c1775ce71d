"""Import Etalab cadastre parcel files (``cadastre-<INSEE>-parcelles.json[.gz]``).

Rows go to PostgreSQL by COPY into a staging table, then one upsert statement: re-importing the
same file changes nothing; invalid geometries are repaired with ST_MakeValid and flagged.
"""

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.db.copy import copy_into_temp
from app.errors import FieldError
from app.parcels import repository
from app.sites.cnig import IDU_RE
from app.territories.sources import features


@dataclass
class ImportReport:
    """What an import did with every row."""

    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: int = 0
    quarantined: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-able data."""
        return asdict(self)


def cadastre_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their ``*-parcelles.json[.gz]`` files."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(path.rglob("*parcelles.json*")))
        else:
            out.append(path)
    return out


def _rows(path: Path, report: ImportReport) -> Iterable[tuple[Any, ...]]:
    for n, feat in enumerate(features(path), start=1):
        report.rows += 1
        p = feat.get("properties") or {}
        idu = str(p.get("id") or feat.get("id") or "")
        if not IDU_RE.match(idu) or not feat.get("geometry"):
            reason = "no geometry" if IDU_RE.match(idu) else f"malformed IDU {idu!r}"
            report.quarantined += 1
            report.errors.append(asdict(FieldError(f"{path.name}:{n}", reason)))
            continue
        yield (
            idu,
            idu[:5],
            idu[5:8],
            idu[8:10],
            idu[10:14],
            "" if p.get("contenance") is None else str(int(p["contenance"])),
            "" if p.get("arpente") is None else str(bool(p["arpente"])).lower(),
            p.get("created") or "",
            p.get("updated") or "",
            json.dumps(feat["geometry"], separators=(",", ":")),
        )


def import_cadastre(session: Session, paths: Iterable[Path]) -> ImportReport:
    """Import parcel files into the partitioned ``parcel`` table; return the report."""
    report = ImportReport()
    for path in cadastre_files(paths):
        copy_into_temp(
            session,
            "stage_parcel",
            (
                "idu",
                "commune",
                "prefixe",
                "section",
                "numero",
                "contenance",
                "arpente",
                "created",
                "updated",
                "g",
            ),
            _rows(path, report),
        )
        imported, updated, repaired = repository.upsert_staged(session)
        report.imported += imported
        report.updated += updated
        report.repaired += repaired
    report.unchanged = report.rows - report.imported - report.updated - report.quarantined
    return report
