"""Import Etalab cadastre layers (``cadastre-<code>-parcelles.json[.gz]``, ``-batiments``).

Parcels, in two passes over each file (DOMAIN.md §3, Etalab cadastre GeoJSON):

1. stream the features, take each IDU and a hash of its raw bytes, and COPY (idu, hash) into a
   staging table; one query returns the IDUs that are new or changed, and the parcels of the
   file's communes that the file no longer lists are deleted (a newer millésime);
2. only the new or changed features are split (geometry bytes kept as they are, properties
   parsed) and COPYed, then upserted in one statement that parses the geometry in PostGIS,
   repairs invalid polygons with ST_MakeValid (flagged ``geom_repaired``), never drops them.

Re-importing an unchanged file therefore parses no JSON and writes nothing. Every row is
accounted for: ``rows = imported + updated + unchanged + quarantined``. An import runs in the
caller's transaction: all files or nothing. Buildings have no stable id: a commune's buildings
are replaced as a whole.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app.geo.crs import departement_of
from app.models import ImportBatch
from app.parcels import reader, repository
from app.sites.cnig import IDU_RE

T = TypeVar("T")
Progress = Callable[[Iterable[T], str], Iterable[T]]


def _no_progress(items: Iterable[T], _: str) -> Iterable[T]:
    return items


@dataclass
class ImportReport:
    """What an import did with every row."""

    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    deleted: int = 0
    repaired: int = 0
    buildings: int = 0
    files: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-able data."""
        return asdict(self)

    def add(self, other: "ImportReport") -> None:
        """Accumulate another file's report."""
        for name in (
            "rows",
            "imported",
            "updated",
            "unchanged",
            "quarantined",
            "deleted",
            "repaired",
            "buildings",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.files.extend(other.files)
        self.errors.extend(other.errors)


def cadastre_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their ``cadastre-*-parcelles`` and ``-batiments`` files."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(
                    p
                    for p in path.rglob("*.json*")
                    if reader.layer_of(p) in ("parcelles", "batiments")
                )
            )
        else:
            out.append(path)
    return out


def _copy(session: Session, table: str, columns: str, chunks: Iterator[bytes]) -> None:
    """COPY pre-formatted text rows into a fresh temporary table of text columns."""
    conn = session.connection().connection.driver_connection
    with conn.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(
            f"CREATE TEMP TABLE {table} ({', '.join(c + ' text' for c in columns.split(','))})"
            " ON COMMIT DROP"
        )
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write(chunk)


def _batched(lines: Iterable[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    buf: list[bytes] = []
    n = 0
    for line in lines:
        buf.append(line)
        n += len(line)
        if n >= size:
            yield b"".join(buf)
            buf, n = [], 0
    if buf:
        yield b"".join(buf)


def _quarantine(report: ImportReport, name: str, row: int, field_: str, reason: str) -> None:
    report.quarantined += 1
    report.errors.append({"file": name, "row": row, "field": field_, "reason": reason})


def _import_parcels(session: Session, path: Path, progress: Progress) -> ImportReport:
    report = ImportReport(files=[path.name])
    kept: dict[str, reader.RawFeature] = {}

    def hash_rows() -> Iterator[bytes]:
        for feat in progress(reader.features(path), f"{path.name} (scan)"):
            report.rows += 1
            idu = feat.id
            if idu is None or not IDU_RE.match(idu):
                _quarantine(
                    report,
                    path.name,
                    feat.row,
                    "id",
                    f"malformed parcel id {idu!r}: expected 14 characters "
                    "(INSEE 5, prefix 3, section 2, number 4)",
                )
                continue
            if idu in kept:
                _quarantine(
                    report,
                    path.name,
                    feat.row,
                    "id",
                    f"duplicate parcel id {idu} (first seen at row {kept[idu].row})",
                )
                continue
            kept[idu] = feat
            dep = departement_of(idu)
            yield f"{idu}\t{dep}\t{idu[:5]}\t{feat.digest.hex()}\n".encode()

    _copy(session, "stage_hash", "idu,departement,commune,hash", _batched(hash_rows()))
    changed = repository.changed_ids(session)
    report.deleted = repository.delete_gone(session)
    report.unchanged = len(kept) - len(changed)
    if not changed:
        return report

    bad_geometry: dict[str, int] = {}

    def doc_rows() -> Iterator[bytes]:
        for idu in progress(changed, f"{path.name} (write)"):
            feat = kept[idu]
            geometry, props = reader.split(feat.raw)
            if geometry is None:
                bad_geometry[idu] = feat.row
                continue
            contenance = props.get("contenance")
            arpente = props.get("arpente")
            yield (
                b"\t".join(
                    (
                        idu.encode(),
                        departement_of(idu).encode(),
                        idu[:5].encode(),
                        idu[5:8].encode(),
                        idu[8:10].encode(),
                        idu[10:14].encode(),
                        b"" if contenance is None else str(int(contenance)).encode(),
                        b"" if arpente is None else (b"true" if arpente else b"false"),
                        str(props.get("created") or "").encode(),
                        str(props.get("updated") or "").encode(),
                        feat.digest.hex().encode(),
                        reader.copy_escape(geometry),
                    )
                )
                + b"\n"
            )

    _copy(
        session,
        "stage_parcel",
        "idu,departement,commune,prefixe,section,numero,contenance,arpente,created,updated,hash,g",
        _batched(doc_rows()),
    )
    before = repository.count_existing_staged(session)
    written = repository.upsert_staged(session)
    done = {idu for idu, _ in written}
    report.repaired = sum(1 for _, repaired in written if repaired)
    report.updated = before
    report.imported = len(written) - before
    for idu in changed:
        if idu not in done:
            row = kept[idu].row
            reason = (
                "no geometry" if idu in bad_geometry else "unreadable or non-polygonal geometry"
            )
            _quarantine(report, path.name, row, "geometry", reason)
    return report


def _import_buildings(session: Session, path: Path, progress: Progress) -> ImportReport:
    report = ImportReport(files=[path.name])

    def rows() -> Iterator[bytes]:
        for feat in progress(reader.features(path), f"{path.name} (buildings)"):
            report.rows += 1
            geometry, props = reader.split(feat.raw)
            commune = str(props.get("commune") or "")
            if geometry is None or len(commune) != 5:
                field_ = "geometry" if geometry is None else "commune"
                _quarantine(report, path.name, feat.row, field_, "missing")
                continue
            fields = (
                departement_of(commune).encode(),
                commune.encode(),
                str(props.get("type") or "").encode(),
                reader.copy_escape(str(props.get("nom") or "").encode()),
                str(props.get("updated") or "").encode(),
                feat.digest.hex().encode(),
                reader.copy_escape(geometry),
            )
            yield b"\t".join(fields) + b"\n"

    _copy(
        session, "stage_building", "departement,commune,type,nom,updated,hash,g", _batched(rows())
    )
    report.unchanged, inserted = repository.replace_buildings(session)
    report.buildings = inserted
    report.imported = inserted
    # Rows PostGIS could not read as polygons were not inserted: account for them.
    for _ in range(report.rows - report.quarantined - report.unchanged - inserted):
        _quarantine(report, path.name, 0, "geometry", "unreadable or non-polygonal geometry")
    return report


def import_cadastre(
    session: Session, paths: Iterable[Path], *, progress: Progress = _no_progress
) -> ImportReport:
    """Import Etalab cadastre files (parcels, buildings) in the caller's transaction."""
    total = ImportReport()
    for path in cadastre_files(paths):
        layer = reader.layer_of(path)
        batch = ImportBatch(kind="cadastre", source_name=path.name, status="running")
        session.add(batch)
        session.flush()
        if layer == "batiments":
            report = _import_buildings(session, path, progress)
        elif layer == "parcelles":
            report = _import_parcels(session, path, progress)
        else:
            report = ImportReport(
                files=[path.name],
                errors=[
                    {
                        "file": path.name,
                        "row": 0,
                        "field": "file",
                        "reason": f"unsupported layer {layer!r}: expected parcelles or batiments",
                    }
                ],
            )
        batch.status = "done"
        batch.report = {k: v for k, v in report.as_dict().items() if k != "errors"} | {
            "errors": report.errors[:1000]
        }
        total.add(report)
    session.flush()
    return total
