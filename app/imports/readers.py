"""Read a friches file (CSV or GeoJSON, gzip-compressed or not) into raw rows.

Nothing is interpreted here beyond the container: the encoding (UTF-8, with a BOM or not, else
Windows-1252), the CSV separator (sniffed from the header: ``,``, ``;`` or tab; never ``|``,
which CNIG uses inside multi-valued fields), and the GeoJSON ``crs`` member. Each row keeps its
cells as read, for the quarantine's ``payload``.
"""

import csv
import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import FieldError, InvalidInput
from app.geo.crs import ACCEPTED_INPUT_SRIDS, STORAGE_SRID, parse_crs

#: Separators a CSV header is sniffed for, most common first.
SEPARATORS = (",", ";", "\t")
#: Key under which a GeoJSON feature's geometry is kept in a row's payload.
GEOMETRY_KEY = "geometry"


class UnreadableFile(InvalidInput):
    """The file is not a CSV or GeoJSON friches file that can be read at all (422)."""

    code = "unreadable_file"


@dataclass
class RawRow:
    """One row as read: 1-based ``number`` (data rows, header excluded) and its cells."""

    number: int
    payload: dict[str, Any]
    #: Cells in a CSV record when they do not match the header's columns.
    width: int | None = None


@dataclass
class SourceFile:
    """What was read from a file: its container facts and its rows."""

    name: str
    container: str  # "csv" or "geojson"
    columns: list[str]
    rows: list[RawRow]
    encoding: str = "utf-8"
    separator: str | None = None
    #: SRID of the GeoJSON geometries (from a legacy ``crs`` member; WGS84 otherwise).
    srid: int = STORAGE_SRID
    notes: list[str] = field(default_factory=list)


def _decode(data: bytes, notes: list[str]) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text, encoding = data.decode("cp1252"), "cp1252"
        notes.append("the file is not UTF-8: read as Windows-1252 (cp1252)")
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
        notes.append("the file is neither UTF-8 nor Windows-1252: read as Latin-1")
    return text, encoding


def sniff_separator(header: str) -> str:
    """Return the separator of a CSV header line: the most frequent of , ; and tab."""
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_csv(name: str, text: str, encoding: str, notes: list[str]) -> SourceFile:
    header = text.split("\n", 1)[0]
    separator = sniff_separator(header)
    if separator != ",":
        notes.append(f"separator {separator!r} instead of ','")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        columns = [c.strip() for c in next(reader)]
    except StopIteration:
        raise UnreadableFile(f"{name} is empty") from None
    rows: list[RawRow] = []
    for number, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue  # blank line (often the last one)
        payload = dict(zip(columns, cells, strict=False))
        width = None if len(cells) == len(columns) else len(cells)
        rows.append(RawRow(number, payload, width))
    return SourceFile(
        name, "csv", columns, rows, encoding=encoding, separator=separator, notes=notes
    )


def _read_geojson(name: str, text: str, encoding: str, notes: list[str]) -> SourceFile:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            f"{name} is not JSON", errors=[FieldError("file", f"{exc.msg} at line {exc.lineno}")]
        ) from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        raise UnreadableFile(f"{name} is not a GeoJSON FeatureCollection")
    srid = STORAGE_SRID
    crs_name = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    if crs_name:
        declared = parse_crs(str(crs_name))
        if declared not in ACCEPTED_INPUT_SRIDS:
            raise UnreadableFile(
                f"{name} declares an unsupported CRS {crs_name!r}",
                errors=[
                    FieldError("crs", "unsupported", allowed=["CRS84 / EPSG:4326", "EPSG:2154"])
                ],
            )
        srid = declared
    rows: list[RawRow] = []
    columns: dict[str, None] = {}
    for number, feature in enumerate(doc["features"], start=1):
        props = (feature or {}).get("properties") or {}
        payload = dict(props) if isinstance(props, dict) else {}
        columns.update(dict.fromkeys(payload))
        payload[GEOMETRY_KEY] = (feature or {}).get("geometry")
        if feature and feature.get("id") is not None and "site_id" not in payload:
            payload["id"] = feature["id"]
            columns["id"] = None
        rows.append(RawRow(number, payload))
    return SourceFile(
        name, "geojson", list(columns), rows, encoding=encoding, srid=srid, notes=notes
    )


def parse(name: str, data: bytes) -> SourceFile:
    """Read the bytes of a .csv, .csv.gz, .geojson, .geojson.gz (or .json) friches file."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    notes: list[str] = []
    text, encoding = _decode(data, notes)
    suffixes = [s.lower() for s in Path(name).suffixes if s.lower() != ".gz"]
    is_json = bool(suffixes) and suffixes[-1] in (".geojson", ".json")
    if is_json or text.lstrip()[:1] == "{":
        return _read_geojson(name, text, encoding, notes)
    return _read_csv(name, text, encoding, notes)


def read(path: Path) -> SourceFile:
    """Read a friches file from disk (see :func:`parse`)."""
    return parse(path.name, path.read_bytes())
