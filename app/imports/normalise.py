"""Turn a raw friches row into CNIG Friches v1.0.6 values, naming every deviation.

Pure Python, no database: the service then checks communes, geometry and territory in bulk.

Which file layouts are read (data/friches and data/cnig-friches SOURCES.md):

- CNIG Friches CSV v1.0.1 to v1.0.6: the version is told by the columns (``urba_zaer`` came with
  v1.0.6, ``site_reconv_*`` with v1.0.4, ``urba_zone_formedomi`` was renamed ``formdomi`` in
  v1.0.3); obsolete enumeration values are mapped to v1.0.6 ones with a warning.
- Cartofriches' own model (``derived_f.xy``): ``longitude``/``latitude`` columns, PostgreSQL
  array text ``{"A","B"}`` for multi-values, ``l_idpar`` for the parcels, years written as POSIX
  timestamps and R's integer NA (-2147483648).
- Cartofriches' CNIG export (``friches_standard_test.csv``): ``;``, ``NA``, ``DD/MM/YYYY``.
- The Ardennes observatory: ``proprio_type(catpro3)`` with space-separated codes, and a GeoJSON
  whose names are ``FRICHE`` and ``COMMUNE``.

A deviation that can be read without guessing the producer's intent is a *warning* (kept with the
site); a value that breaks the standard and cannot be read is an *error* (the row is quarantined).
"""

import json
import math
import re
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from pydantic import ValidationError

from app.geo import validate
from app.geo.crs import LAMBERT93, STORAGE_SRID
from app.imports.readers import GEOMETRY_KEY, RawRow
from app.sites import cnig
from app.sites.schemas import SiteProperties

#: Values that mean "no value" in real files (R and spreadsheet exports).
MISSING = {"", "NA", "N/A", "NULL", "null", "NaN", "nan", "None"}
#: R's NA_integer_ as written by exporters that do not know it.
R_NA_INTEGER = "-2147483648"
#: Largest value of the integer columns (PostgreSQL ``integer``).
INT_MAX = 2_147_483_647
#: How Cartofriches writes the name of an owner who is a physical person (anonymised).
ANONYMISED = "_X_"
#: Longest text SiteProperties accepts (app.sites.schemas.Text).
TEXT_CAP = 4000
PARIS = ZoneInfo("Europe/Paris")

#: File column → CNIG field, for names other than the v1.0.6 ones (case-insensitive).
COLUMN_ALIASES = {
    "urba_zone_formedomi": "urba_zone_formdomi",  # v1.0.1–v1.0.2
    "local_ancienne_annee": "local_ancien_annee",  # Cartofriches
    "l_idpar": "unite_fonciere_refcad",  # Cartofriches
    "friche": "site_nom",  # Ardennes observatory GeoJSON
    "commune": "comm_nom",  # Ardennes observatory GeoJSON
    "id": "site_id",  # a GeoJSON Feature's id
}
LONGITUDE = ("longitude", "lon", "lng", "x")
LATITUDE = ("latitude", "lat", "y")

#: Enumeration values of older CNIG versions → v1.0.6 (other changes were of case only).
OBSOLETE = {
    # v1.0.1–v1.0.5 had one "mixte"; v1.0.6 split it by dominant use, "autre" is the safe side.
    "site_type": {"mixte": "mixte - autre"},
    # v1.0.1 had AU beside AUc: AU was the strict zone, renamed AUs in v1.0.2.
    "urba_zone_type": {"AU": "AUs"},
}
#: Values seen in real files that mean one v1.0.6 value (compared case- and accent-folded).
SYNONYMS = {
    "site_type": {
        "agro-industrielle": "friche agro-industrielle",
        "friche d'habitation": "friche d'habitat",
        "friche touristique": "friche loisir tourisme hôtellerie",
        "friche mixte": "mixte - autre",
    },
    "bati_vacance": {"partiellement inoccupé": "partiellement occupé"},
    # POS (plans d'occupation des sols) lapsed in 2017–2020; CNIG has no value for them.
    "urba_doc_type": {"POS": "autre", "carte communale": "CC", "PLU intercommunal": "PLUI"},
}
#: CNIG PLU FORMDOMI labels → codes (labels are what Cartofriches' CNIG export writes).
FORMDOMI_CODES = {
    "habitat": "01",
    "activite": "02",
    "mixte habitat / activite": "03",
    "loisir et tourisme": "04",
    "loisirs et tourisme": "04",
    "equipement": "05",
    "agricole": "06",
    "naturelle": "07",
}

_FIELDS = {f["name"]: f for f in cnig.schema()["fields"]}
_ENUMS = cnig.enumerations()
_MULTI = set(cnig.MULTI_ITEM_PATTERNS) | set(cnig.MULTI_ITEM_ENUMS)
#: Multi-valued fields of codes (no blanks inside an item).
_CODE_LISTS = {"activite_code", "proprio_type", "unite_fonciere_refcad"}
_INTEGERS = {n for n, f in _FIELDS.items() if f.get("type") == "integer"}
_YEARS = {n for n, f in _FIELDS.items() if f.get("type") == "date" and f.get("format") == "%Y"}
_DATES = {n for n, f in _FIELDS.items() if f.get("type") == "date" and n not in _YEARS}
_PROPERTIES = set(SiteProperties.model_fields)
_SITE_ID = re.compile(r"^(?:\d{2}|2[AB])\d{3}_[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_POINT_WKT = re.compile(
    r"^\s*(?:SRID=(\d+)\s*;)?\s*POINT\s*(?:Z|M|ZM)?\s*\(\s*([-+0-9.eE]+)[\s,]+([-+0-9.eE]+)"
    r"(?:\s+[-+0-9.eE]+)*\s*\)\s*$",
    re.IGNORECASE,
)
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?E[+-]?\d+$", re.IGNORECASE)
#: Little-endian EWKB of a 2D point with an SRID.
_EWKB_POINT = struct.Struct("<BIIdd")
_NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?$")


def fold(value: str) -> str:
    """Fold case, accents, apostrophes and blanks, to compare enumeration values."""
    text = unicodedata.normalize("NFKD", cnig.normalise_text(value))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().split())


_ENUM_INDEX = {name: {fold(v): v for v in values} for name, values in _ENUMS.items()}
_ENUM_INDEX.update(
    {name: {fold(v): v for v in values} for name, values in cnig.MULTI_ITEM_ENUMS.items()}
)
_OBSOLETE = {name: {fold(k): v for k, v in m.items()} for name, m in OBSOLETE.items()}
_SYNONYMS = {name: {fold(k): v for k, v in m.items()} for name, m in SYNONYMS.items()}


@dataclass(frozen=True)
class Issue:
    """One deviation or error on one field of one row; ``kind`` groups them in reports."""

    field: str
    reason: str
    kind: str

    def as_dict(self) -> dict[str, str]:
        """Return the ``{field, reason}`` form stored with sites and quarantined rows."""
        return {"field": self.field, "reason": self.reason}


@dataclass
class Shape:
    """A geometry read from a row, as EWKB hex, and the same with its axes swapped."""

    ewkb: str
    flipped: str | None
    bbox: tuple[float, float, float, float]
    srid: int
    is_point: bool


@dataclass
class Layout:
    """How a file's columns map to CNIG fields (told once per file from its header)."""

    source: dict[str, str]
    version: str
    lonlat: tuple[str, str] | None = None
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The file is a GeoJSON: each row's geometry is in the payload.
    geojson: bool = False
    #: SRID of the GeoJSON geometries.
    srid: int = STORAGE_SRID
    #: Number of columns of the header.
    width: int = 0
    #: A column giving the EPCI (the Ardennes observatory's): checked against the commune's.
    epci_column: str | None = None


@dataclass
class PreparedRow:
    """A row read and checked field by field (no database yet)."""

    number: int
    payload: dict[str, Any]
    site_id: str | None = None
    insee: str | None = None
    #: SiteProperties values of the fields the file carries (set on create and on update).
    values: dict[str, Any] = field(default_factory=dict)
    #: Values used only when the site is created (stand-ins for missing required fields).
    defaults: dict[str, Any] = field(default_factory=dict)
    point: Shape | None = None
    surface: Shape | None = None
    refcad: list[str] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)

    def warn(self, name: str, reason: str, kind: str) -> None:
        """Record a non-blocking deviation."""
        self.warnings.append(Issue(name, reason, kind))

    def fail(self, name: str, reason: str, kind: str = "invalid") -> None:
        """Record a blocking error."""
        self.errors.append(Issue(name, reason, kind))


# --- layout --------------------------------------------------------------------------------


def _key(column: str) -> str:
    # "proprio_type(catpro3)" (Ardennes) → "proprio_type"
    return re.sub(r"\s*\(.*\)\s*$", "", column.strip().lstrip("\ufeff")).lower()


def layout_of(columns: list[str], *, geojson: bool = False, srid: int = STORAGE_SRID) -> Layout:
    """Tell how a file's columns map to CNIG fields, and which CNIG version they follow."""
    names = set(cnig.field_names())
    source: dict[str, str] = {}
    notes: list[str] = []
    ignored: list[str] = []
    keys = {_key(c): c for c in columns}
    for key, column in keys.items():
        if key in names:
            source[key] = column
    for key, column in keys.items():
        target = COLUMN_ALIASES.get(key)
        if target and target not in source:
            source[target] = column
            notes.append(f"column {column!r} read as {target!r}")
    lonlat = None
    lon = next((keys[k] for k in LONGITUDE if k in keys), None)
    lat = next((keys[k] for k in LATITUDE if k in keys), None)
    if lon and lat:
        lonlat = (lon, lat)
    used = set(source.values()) | set(lonlat or ())
    ignored = [c for c in columns if c not in used]
    if "urba_zaer" in keys:
        version = "1.0.6"
    elif "site_reconv_annee" in keys or "site_reconv_type" in keys:
        version = "1.0.4–1.0.5"
    elif "urba_zone_formedomi" in keys:
        version = "1.0.1–1.0.2"
    elif "urba_zone_formdomi" in keys and "site_type" in keys:
        version = "1.0.3"
    else:
        version = "partial CNIG columns"
    if "l_idpar" in keys and lonlat:
        version = "cartofriches"
    return Layout(
        source, version, lonlat, ignored, notes, geojson, srid, len(columns), keys.get("epci_siren")
    )


# --- values --------------------------------------------------------------------------------


def parse_pg_array(text: str) -> list[str]:
    """Split PostgreSQL array text ``{a,"b, c",NULL}`` into its items (NULL dropped)."""
    items: list[str] = []
    body = text[1:-1]
    i, n = 0, len(body)
    while i < n:
        if body[i] == '"':
            i += 1
            chars: list[str] = []
            while i < n and body[i] != '"':
                if body[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(body[i])
                i += 1
            items.append("".join(chars))
            i += 1  # closing quote
            while i < n and body[i] != ",":
                i += 1
        else:
            j = body.find(",", i)
            j = n if j < 0 else j
            item = body[i:j].strip()
            if item and item.upper() != "NULL":
                items.append(item)
            i = j
        i += 1  # the comma
    return items


def _is_pg_array(text: str) -> bool:
    return len(text) >= 2 and text[0] == "{" and text[-1] == "}"


def _multi(row: PreparedRow, name: str, text: str) -> str | None:
    """Return a |-separated value, reading other separators with a warning."""
    if name in _CODE_LISTS and _SCIENTIFIC.match(text):
        row.fail(
            name,
            f"{text!r} is a number in scientific notation: a spreadsheet read the code as a "
            "number and its digits are lost",
            "spreadsheet",
        )
        return None
    if _is_pg_array(text):
        items = parse_pg_array(text)
        row.warn(name, f"PostgreSQL array {_short(text)} read as a |-separated list", "pg-array")
    elif name in _CODE_LISTS and re.search(r"[\s,;]", text.strip()):
        # Codes never contain blanks: "P3a P5a" or "P5a|G2a X1a" (Ardennes) are lists.
        items = [i for i in re.split(r"[|\s,;]+", text) if i]
        row.warn(name, f"items separated by blanks or commas instead of '|': {text!r}", "separator")
    elif "|" in text:
        items = [i.strip() for i in text.split("|")]
    elif name in cnig.MULTI_ITEM_ENUMS and "," in text:
        items = [i.strip() for i in text.split(",")]
        row.warn(name, f"items separated by ',' instead of '|': {text!r}", "separator")
    else:
        items = [text]
    items = [i for i in items if i not in MISSING]
    if name in cnig.MULTI_ITEM_ENUMS:
        items = [_enum_item(row, name, i) for i in items]
    if name == "unite_fonciere_refcad":
        items = [i.upper() for i in items]
    return "|".join(items) or None


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _enum_item(row: PreparedRow, name: str, value: str) -> str:
    allowed = _ENUMS.get(name) or cnig.MULTI_ITEM_ENUMS[name]
    if value in allowed:
        return value
    folded = fold(value)
    hit = _ENUM_INDEX[name].get(folded)
    if hit is not None:
        if cnig.normalise_text(value) != hit:  # typographic apostrophes alone are no deviation
            row.warn(name, f"{value!r} read as {hit!r} (case, accents or blanks)", "spelling")
        return hit
    hit = _OBSOLETE.get(name, {}).get(folded)
    if hit is not None:
        row.warn(
            name, f"obsolete value {value!r} (CNIG before v1.0.6) mapped to {hit!r}", "obsolete"
        )
        return hit
    hit = _SYNONYMS.get(name, {}).get(folded)
    if hit is None and name == "site_type":
        hit = _ENUM_INDEX[name].get(f"friche {folded}")
    if hit is None and name == "urba_zone_type":
        hit = _zone_type(value)
    if hit is not None:
        row.warn(name, f"non-standard value {value!r} mapped to {hit!r}", "synonym")
        return hit
    return value  # left for SiteProperties to refuse, with the allowed values


def _zone_type(value: str) -> str | None:
    """Map a PLU zone label (UX, 1AUe, Nh…) to its CNIG PLU TYPEZONE."""
    text = value.strip()
    if re.match(r"^1AU", text, re.IGNORECASE):
        return "AUc"  # 1AU zones are open to building
    if re.match(r"^2AU", text, re.IGNORECASE):
        return "AUs"  # 2AU zones need a PLU change first
    if re.match(r"^U[A-Za-z0-9]*$", text):
        return "U"
    if re.match(r"^N[a-z0-9]+$", text):
        return "N"
    if re.match(r"^A[a-z0-9]+$", text):
        return "A"
    return None


def _date(row: PreparedRow, name: str, text: str) -> date | str | None:
    if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        return text  # ISO 8601: SiteProperties checks the calendar
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?$", text)
    if m:
        row.warn(
            name,
            f"date-time {text!r} read as the date {m.group(1)}-{m.group(2)}-{m.group(3)}",
            "date-format",
        )
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", text)
    if m:
        a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        day, month, how = a, b, "DD/MM/YYYY"
        if b > 12 >= a:
            day, month, how = b, a, "MM/DD/YYYY"
        try:
            value = date(year, month, day)
        except ValueError:
            row.fail(name, f"{text!r} is not a date")
            return None
        row.warn(
            name, f"date {text!r} read as {value.isoformat()} ({how}, not ISO 8601)", "date-format"
        )
        return value
    m = re.match(r"^(\d{4})/(\d{1,2})/(\d{1,2})$", text)
    if m:
        try:
            value = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            row.fail(name, f"{text!r} is not a date")
            return None
        row.warn(name, f"date {text!r} read as {value.isoformat()} (YYYY/MM/DD)", "date-format")
        return value
    row.fail(name, f"{text!r} is not a date (expected YYYY-MM-DD)")
    return None


def _year(row: PreparedRow, name: str, text: str) -> int | None:
    if re.match(r"^\d{4}$", text):
        return int(text)
    if re.match(r"^\d{4}\.0+$", text):
        return int(float(text))  # a spreadsheet's number format: lossless
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        row.warn(name, f"date {text!r} where a year is expected: year {text[:4]} kept", "year")
        return int(text[:4])
    if re.match(r"^-?\d+\.\d+$", text) or (_NUMBER.match(text) and abs(float(text)) >= 10_000):
        # R's Date/POSIXct written as seconds since the epoch (Cartofriches' derived export).
        moment = datetime.fromtimestamp(float(text), PARIS)
        reason = (
            f"POSIX timestamp {text} ({moment:%Y-%m-%d} Europe/Paris) read as the year "
            f"{moment.year}"
        )
        if moment.date() == date(1970, 1, 1):
            reason += "; 1970-01-01 is the epoch itself: the year is probably unknown"
        row.warn(name, reason, "timestamp")
        return moment.year
    row.fail(name, f"{text!r} is not a year (expected YYYY)")
    return None


def _integer(row: PreparedRow, name: str, text: str) -> int | None:
    compact = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if re.match(r"^\d+$", compact):
        value = int(compact)
    elif _NUMBER.match(compact):
        number = float(compact.replace(",", "."))
        value = round(number)
        if number != value:
            row.warn(
                name, f"decimal {text!r} rounded to {value} (an integer is expected)", "rounded"
            )
    else:
        row.fail(name, f"{text!r} is not an integer")
        return None
    if value > INT_MAX:
        row.fail(name, f"{value} is out of range (at most {INT_MAX})")
        return None
    return value


def _formdomi(row: PreparedRow, text: str) -> str:
    code = FORMDOMI_CODES.get(fold(text))
    if code is None:
        return text
    row.warn(
        "urba_zone_formdomi",
        f"label {text!r} replaced by its CNIG PLU FORMDOMI code {code!r}",
        "synonym",
    )
    return code


def _text(value: Any) -> str | None:
    """Return a cell as stripped text, or None for the markers of a missing value."""
    if value is None:
        return None
    if type(value) is str:
        text = value.strip()
    elif isinstance(value, bool):
        text = "oui" if value else "non"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    return None if text in MISSING else text


def _plain(row: PreparedRow, name: str, text: str) -> str:
    return text


def _handler(name: str) -> Callable[[PreparedRow, str, str], Any]:
    if name in _MULTI:
        return _multi
    if name in _ENUMS:
        return _enum_item
    if name in _DATES:
        return _date
    if name in _YEARS:
        return _year
    if name in _INTEGERS:
        return _integer
    if name == "urba_zone_formdomi":
        return lambda row, _, text: _formdomi(row, text)
    return _plain


def _cell(row: PreparedRow, name: str, raw: Any, markers: list[str]) -> Any:
    """Normalise one cell of CNIG field ``name``; None when missing."""
    if raw is None or raw == "":
        return None
    text = _text(raw)
    if text is None:
        markers.append(f"{name} ({str(raw).strip()!r})")
        return None
    if text == R_NA_INTEGER and (name in _INTEGERS or name in _YEARS):
        markers.append(f"{name} (R's NA_integer_ {R_NA_INTEGER})")
        return None
    if text[0] == "{" and name not in _MULTI and _is_pg_array(text):
        items = parse_pg_array(text)
        row.warn(name, f"PostgreSQL array {_short(text)} read as a |-separated list", "pg-array")
        text = "|".join(items)
        if not text:
            return None
    return _HANDLERS[name](row, name, text)


_HANDLERS = {name: _handler(name) for name in cnig.field_names()}


# --- geometry ------------------------------------------------------------------------------


def _shape(geom: shapely.Geometry, srid: int, *, is_point: bool) -> Shape:
    geom = shapely.force_2d(geom)
    flipped = None
    x0, y0, x1, y1 = shapely.bounds(geom).tolist()
    if srid == STORAGE_SRID and max(abs(y0), abs(y1)) <= 180 and max(abs(x0), abs(x1)) <= 90:
        swapped = shapely.transform(geom, lambda c: c[:, ::-1])
        flipped = shapely.to_wkb(shapely.set_srid(swapped, srid), hex=True, include_srid=True)
    ewkb = shapely.to_wkb(shapely.set_srid(geom, srid), hex=True, include_srid=True)
    return Shape(ewkb, flipped, (x0, y0, x1, y1), srid, is_point)


def _srid_of(row: PreparedRow, name: str, bbox: tuple[float, float, float, float]) -> int | None:
    if all(abs(v) <= 180 for v in bbox) and abs(bbox[1]) <= 90 and abs(bbox[3]) <= 90:
        return STORAGE_SRID
    box = validate.LAMBERT93_BOX
    if box[0] <= bbox[0] and box[1] <= bbox[1] and bbox[2] <= box[2] and bbox[3] <= box[3]:
        row.warn(
            name,
            "coordinates in Lambert-93 metres (EPSG:2154), not degrees: transformed to WGS84",
            "lambert93",
        )
        return LAMBERT93
    row.fail(
        name,
        f"coordinates {', '.join(f'{v:g}' for v in bbox)} are neither degrees nor "
        "Lambert-93 metres",
        "geometry",
    )
    return None


def _point(row: PreparedRow, name: str, x: float, y: float, srid: int | None) -> Shape | None:
    if not (math.isfinite(x) and math.isfinite(y)):
        row.fail(name, "coordinates are not finite numbers", "geometry")
        return None
    if srid is None:
        srid = _srid_of(row, name, (x, y, x, y))
        if srid is None:
            return None
    # EWKB of a point written directly: shapely per point is the slowest step of a big file.
    ewkb = _EWKB_POINT.pack(1, 0x20000001, srid, x, y).hex()
    flipped = None
    if srid == STORAGE_SRID and abs(x) <= 90:
        flipped = _EWKB_POINT.pack(1, 0x20000001, srid, y, x).hex()
    return Shape(ewkb, flipped, (x, y, x, y), srid, is_point=True)


def _float(text: str) -> float | None:
    text = text.strip()
    if re.match(r"^[-+]?\d+,\d+$", text):
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _parse_geompoint(row: PreparedRow, raw: Any) -> Shape | None:
    text = _text(raw)
    if text is None:
        return None
    m = _POINT_WKT.match(text)
    if m:
        srid = int(m.group(1)) if m.group(1) else None
        x, y = _float(m.group(2)), _float(m.group(3))
        if x is None or y is None:
            row.fail("geompoint", f"{_short(text)} is not a WKT POINT", "geometry")
            return None
        if srid not in (None, STORAGE_SRID, LAMBERT93):
            row.fail("geompoint", f"unsupported SRID {srid} (EPSG:4326 or 2154)", "geometry")
            return None
        return _point(row, "geompoint", x, y, srid)
    if text.startswith("{"):
        try:
            geometry = json.loads(text)
            validate.check_structure(geometry, allowed_types=("Point",))
        except (ValueError, validate.GeometryIssue) as exc:
            row.fail("geompoint", f"not a WKT POINT nor a GeoJSON Point: {exc}", "geometry")
            return None
        row.warn("geompoint", "GeoJSON instead of WKT", "geojson-text")
        x, y = geometry["coordinates"][:2]
        return _point(row, "geompoint", float(x), float(y), None)
    row.fail("geompoint", f"{_short(text)} is not a WKT POINT", "geometry")
    return None


def _parse_surface(
    row: PreparedRow, name: str, value: Any, *, srid: int | None, max_vertices: int
) -> Shape | None:
    """Read a polygonal geometry from WKT, GeoJSON text or a GeoJSON object."""
    geometry: Any = value
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("{"):
            return _parse_wkt_surface(row, name, text, srid=srid, max_vertices=max_vertices)
        try:
            geometry = json.loads(text)
        except ValueError as exc:
            row.fail(name, f"neither WKT nor GeoJSON: {exc}", "geometry")
            return None
        row.warn(name, "GeoJSON instead of WKT", "geojson-text")
    try:
        validate.check_structure(
            geometry,
            allowed_types=(*validate.POLYGONAL_TYPES, "Point"),
            max_vertices=max_vertices,
        )
    except validate.GeometryIssue as issue:
        row.fail(name, str(issue), "geometry")
        return None
    geom = shapely.geometry.shape(geometry)
    return _checked_shape(row, name, geom, srid)


def _parse_wkt_surface(
    row: PreparedRow, name: str, text: str, *, srid: int | None, max_vertices: int
) -> Shape | None:
    m = re.match(r"^SRID=(\d+)\s*;(.*)$", text, re.IGNORECASE | re.DOTALL)
    if m:
        srid, text = int(m.group(1)), m.group(2)
        if srid not in (STORAGE_SRID, LAMBERT93):
            row.fail(name, f"unsupported SRID {srid} (EPSG:4326 or 2154)", "geometry")
            return None
    try:
        geom = shapely.from_wkt(text)
    except shapely.errors.ShapelyError as exc:
        row.fail(name, f"not readable as WKT: {str(exc).splitlines()[0]}", "geometry")
        return None
    if geom is None or geom.is_empty:
        row.fail(name, "empty geometry", "geometry")
        return None
    if shapely.get_num_coordinates(geom) > max_vertices:
        row.fail(name, f"too many vertices: more than {max_vertices}", "geometry")
        return None
    return _checked_shape(row, name, geom, srid)


def _checked_shape(
    row: PreparedRow, name: str, geom: shapely.Geometry, srid: int | None
) -> Shape | None:
    if geom.geom_type == "Point":
        return _point(row, name, geom.x, geom.y, srid)
    if geom.geom_type not in validate.POLYGONAL_TYPES:
        row.fail(name, f"a {geom.geom_type} is not a surface (Polygon or MultiPolygon)", "geometry")
        return None
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in coords.ravel().tolist()):
        row.fail(name, "coordinates are not finite numbers", "geometry")
        return None
    if srid is None:
        srid = _srid_of(row, name, tuple(shapely.bounds(geom).tolist()))  # type: ignore[arg-type]
        if srid is None:
            return None
    return _shape(geom, srid, is_point=False)


# --- the row -------------------------------------------------------------------------------


def _required_stand_ins(row: PreparedRow, layout: Layout, source_name: str) -> None:
    """Fill required CNIG fields that the row lacks, with a warning each (create only)."""
    cells = row.values
    if cells.get("site_type") is None:
        row.defaults["site_type"] = "inconnu"
        row.warn("site_type", "required by CNIG, missing (a new site gets 'inconnu')", "missing")
    if cells.get("site_nom") is None:
        libelle = cells.get("activite_libelle")
        name = f"Friche ({libelle})" if libelle else "Friche sans nom"
        row.defaults["site_nom"] = name[:200]
        row.warn("site_nom", f"required by CNIG, missing (a new site is named {name!r})", "missing")
    for name in ("site_identif_date", "site_actu_date"):
        if cells.get(name) is None and name in layout.source:
            row.warn(name, "required by CNIG, missing", "missing")
    if cells.get("urba_zaer") is None:
        row.defaults["urba_zaer"] = "inconnu"
        if "urba_zaer" in layout.source:
            row.warn("urba_zaer", "required by CNIG, missing: 'inconnu'", "missing")
    if cells.get("source_nom") is None:
        row.defaults["source_nom"] = source_name
        if "source_nom" in layout.source:
            row.warn(
                "source_nom",
                f"required by CNIG, missing (a new site gets {source_name!r})",
                "missing",
            )
    if cells.get("comm_nom") is None and "comm_nom" in layout.source:
        row.warn("comm_nom", "required by CNIG, missing: the reference name is used", "missing")
    # A missing value of a field that has a stand-in never erases the stored one on update.
    for name in ("site_type", "site_nom", "urba_zaer", "source_nom", "comm_nom"):
        if cells.get(name) is None:
            cells.pop(name, None)


def _identity(row: PreparedRow, cells: dict[str, Any]) -> None:
    site_id = _text(cells.get("site_id"))
    insee = _text(cells.get("comm_insee"))
    if insee and re.match(r"^\d{4}$", insee):
        row.warn(
            "comm_insee", f"{insee!r} lost its leading zero: read as '0{insee}'", "leading-zero"
        )
        insee = "0" + insee
    if site_id is None:
        row.fail("site_id", "required: the CNIG id <INSEE>_<local id> of the site", "missing")
    elif not _SITE_ID.match(site_id):
        row.fail(
            "site_id",
            f"{_short(site_id)} is not of the form <INSEE>_<local id> "
            "(e.g. 08105_12, at most 64 characters after the '_')",
        )
    else:
        prefix = site_id.split("_", 1)[0]
        if insee is None:
            insee = prefix
            row.warn(
                "comm_insee", f"required by CNIG, missing: {prefix!r} taken from site_id", "missing"
            )
        elif prefix != insee:
            row.warn(
                "site_id",
                f"its INSEE prefix {prefix!r} differs from comm_insee {insee!r}"
                " (the commune may have merged since)",
                "site-id-insee",
            )
    if insee is None:
        row.fail("comm_insee", "required", "missing")
    elif not cnig.INSEE_RE.match(insee):
        row.fail("comm_insee", f"{insee!r} is not an INSEE commune code")
        insee = None
    row.site_id = site_id
    row.insee = insee


def _desserte(row: PreparedRow, payload: dict[str, Any]) -> str | None:
    """Cartofriches splits desserte_distance into four columns, NA when unknown."""
    parts = {}
    for mode in ("route", "ferroviaire", "fluvial", "maritime"):
        text = _text(payload.get(f"desserte_distance_{mode}"))
        parts[mode] = None if text in (None, R_NA_INTEGER) else _float(text)
    water = [v for v in (parts["fluvial"], parts["maritime"]) if v is not None]
    if parts["route"] is None or parts["ferroviaire"] is None or not water:
        return None
    value = f"{round(parts['route'])}|{round(parts['ferroviaire'])}|{round(min(water))}"
    row.warn(
        "desserte_distance",
        f"built from Cartofriches' desserte_distance_* columns: {value}",
        "desserte",
    )
    return value


def prepare(
    raw: RawRow, layout: Layout, *, source_name: str, max_vertices: int = 100_000
) -> PreparedRow:
    """Read one raw row into CNIG v1.0.6 values; every deviation is a warning or an error."""
    row = PreparedRow(raw.number, raw.payload)
    if raw.width is not None and raw.width > layout.width:
        row.fail(
            "row",
            f"{raw.width} cells where the header has {layout.width} columns: the values are "
            "shifted (a separator or a quote inside a value?)",
            "structure",
        )
    elif raw.width is not None:
        row.warn(
            "row",
            f"{raw.width} cells where the header has {layout.width} columns: the missing "
            "trailing cells are read as empty",
            "structure",
        )
    payload = raw.payload
    cells = {name: payload.get(column) for name, column in layout.source.items()}
    _identity(row, cells)
    markers: list[str] = []
    values: dict[str, Any] = {}
    for name, raw_value in cells.items():
        if name in ("site_id", "comm_insee", "geompoint", "geomsurf"):
            continue
        if name in _PROPERTIES:
            values[name] = _cell(row, name, raw_value, markers)
    if row.insee is not None:
        values["comm_insee"] = row.insee
    if "desserte_distance_route" in payload and values.get("desserte_distance") is None:
        desserte = _desserte(row, payload)
        if desserte:
            values["desserte_distance"] = desserte
    if values.get("proprio_personne") == "personne physique" and values.get("proprio_nom") not in (
        None,
        ANONYMISED,
    ):
        # Imported sites are published: a private owner's name is personal data.
        row.warn(
            "proprio_nom",
            f"the name of a physical person is not published: replaced by {ANONYMISED!r} "
            "(the marker Cartofriches uses)",
            "anonymised",
        )
        values["proprio_nom"] = ANONYMISED
    if markers:
        row.warn(
            "row", "missing values written as markers, read as empty: " + ", ".join(markers), "na"
        )
    row.values = values
    _required_stand_ins(row, layout, source_name)
    _validate(row)
    row.refcad = sorted(set((values.get("unite_fonciere_refcad") or "").split("|")) - {""})
    _geometry(row, layout, cells, max_vertices=max_vertices)
    return row


def _validate(row: PreparedRow) -> None:
    """Check the values against SiteProperties (enumerations, ranges, per-item patterns)."""
    candidate = {k: v for k, v in {**row.defaults, **row.values}.items() if v is not None}
    # SiteProperties caps free text at TEXT_CAP characters (a guard of the API); CNIG sets no
    # limit and real files exceed it (long histories, hundreds of parcels): check such values
    # item by item here and keep them whole.
    long = {k: v for k, v in candidate.items() if isinstance(v, str) and len(v) > TEXT_CAP}
    for name, value in long.items():
        del candidate[name]
        if name in _MULTI:
            try:
                long[name] = cnig.check_multi(name, value)
            except ValueError as exc:
                row.fail(name, str(exc))
    try:
        model = SiteProperties.model_validate(candidate)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "row"
            given = candidate.get(name)
            reason = err["msg"]
            ctx = err.get("ctx") or {}
            if err.get("type") == "literal_error" and name in _ENUMS:
                reason = f"{given!r} is not one of: {', '.join(_ENUMS[name])}"
            elif given is not None and "expected" not in ctx:
                reason = f"{_short(str(given))}: {reason}"
            row.fail(name, reason)
        return
    clean = {**model.model_dump(exclude_unset=True), **long}
    row.values = {k: clean.get(k) if k in clean else None for k in row.values}
    row.defaults = {k: clean[k] for k in row.defaults if k in clean}


def _geometry(
    row: PreparedRow, layout: Layout, cells: dict[str, Any], *, max_vertices: int
) -> None:
    surface_value = cells.get("geomsurf")
    geometry = row.payload.get(GEOMETRY_KEY) if layout.geojson else None
    if geometry is not None:
        shape = _parse_surface(
            row, "geometry", geometry, srid=layout.srid, max_vertices=max_vertices
        )
        if shape is not None and shape.is_point:
            row.point = row.point or shape
        else:
            row.surface = shape
    if row.surface is None and _text(surface_value) is not None:
        row.surface = _parse_surface(
            row, "geomsurf", _text(surface_value), srid=None, max_vertices=max_vertices
        )
        if row.surface is not None and row.surface.is_point:
            row.fail("geomsurf", "a POINT is not a surface (Polygon or MultiPolygon)", "geometry")
            row.surface = None
    point = _parse_geompoint(row, cells.get("geompoint"))
    if point is None and layout.lonlat and not any(i.field == "geompoint" for i in row.errors):
        lon, lat = (_text(row.payload.get(c)) for c in layout.lonlat)
        if lon is not None and lat is not None:
            x, y = _float(lon), _float(lat)
            if x is None or y is None:
                row.fail(
                    "geompoint", f"longitude {lon!r}, latitude {lat!r} are not numbers", "geometry"
                )
            else:
                point = _point(row, "geompoint", x, y, None)
                if point is not None and "geompoint" in layout.source:
                    row.warn(
                        "geompoint",
                        "missing: taken from the longitude and latitude columns",
                        "missing",
                    )
    row.point = point or row.point
    has_geometry = row.point or row.surface or row.refcad
    if not has_geometry and not any(
        i.field in ("geompoint", "geomsurf", "geometry") for i in row.errors
    ):
        row.fail("geompoint", "required: no point, surface or parcels to place the site", "missing")
    elif row.point is None and not any(i.field == "geompoint" for i in row.errors):
        row.warn(
            "geompoint",
            "required by CNIG, missing: a point on the site's surface is used",
            "missing",
        )
