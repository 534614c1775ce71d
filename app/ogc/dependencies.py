"""Query parameters of the OGC endpoints, parsed by hand so that every error is an OGC 400.

FastAPI's own validation answers 422 and lets unknown parameters through; OGC API - Features
wants 400 for both (``/req/core/query-param-invalid``, ``/req/core/query-param-unknown``).
"""

import base64
import binascii
import json
import math
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fastapi import Request

from app.ogc import cql
from app.ogc.collections import Collection, Prop
from app.ogc.errors import InvalidParameter, NotAcceptable

#: Page sizes: declared in ``components.parameters.limit`` of the OpenAPI document (QGIS and
#: GDAL read their page size there); a larger ``limit`` is clamped, not refused.
LIMIT_DEFAULT = 10
LIMIT_MAX = 10_000

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


@dataclass(frozen=True)
class Crs:
    """A CRS offered for output or for ``bbox``/filter coordinates."""

    uri: str
    srid: int
    #: EPSG:4326 is latitude first (OGC API - Features Part 2); CRS84 is longitude first.
    lat_first: bool = False

    @property
    def digits(self) -> int:
        """Decimal digits of output coordinates: 1e-7° or 1 cm."""
        return 7 if self.srid == 4326 else 2


CRS_LIST = (
    Crs(CRS84, 4326),
    Crs(EPSG.format(4326), 4326, lat_first=True),
    Crs(EPSG.format(2154), 2154),
    Crs(EPSG.format(3857), 3857),
)
_CRS_BY_NAME: dict[str, Crs] = {}
for _crs in CRS_LIST:
    _CRS_BY_NAME[_crs.uri.lower()] = _crs
    _CRS_BY_NAME[_crs.uri.lower().replace("http://", "https://")] = _crs
for _name, _crs in {
    "crs84": CRS_LIST[0],
    "ogc:crs84": CRS_LIST[0],
    "urn:ogc:def:crs:ogc:1.3:crs84": CRS_LIST[0],
    "epsg:4326": CRS_LIST[1],
    "urn:ogc:def:crs:epsg::4326": CRS_LIST[1],
    "epsg:2154": CRS_LIST[2],
    "urn:ogc:def:crs:epsg::2154": CRS_LIST[2],
    "epsg:3857": CRS_LIST[3],
    "urn:ogc:def:crs:epsg::3857": CRS_LIST[3],
}.items():
    _CRS_BY_NAME[_name] = _crs


def parse_crs(value: str, param: str) -> Crs:
    """Return the offered CRS named by ``value`` (URI, ``<URI>``, URN or ``EPSG:n``), or 400."""
    crs = _CRS_BY_NAME.get(value.strip().strip("<>").lower())
    if crs is None:
        offered = ", ".join(c.uri for c in CRS_LIST)
        raise InvalidParameter(f"{param}: {value!r} is not offered; use one of {offered}")
    return crs


def output_format(request: Request, *, html: bool = True) -> str:
    """Return ``json`` or ``html`` from ``f`` or, failing that, the ``Accept`` header."""
    f = request.query_params.get("f")
    if f is not None:
        f = f.lower()
        if f in ("json", "geojson", "application/json", "application/geo+json"):
            return "json"
        if html and f in ("html", "text/html"):
            return "html"
        raise NotAcceptable(f"f: {f!r} is not offered; use json" + (" or html" if html else ""))
    accept = request.headers.get("accept", "")
    if html and "text/html" in accept:
        json_at = min((accept.find(t) for t in ("json",) if t in accept), default=len(accept))
        if accept.find("text/html") < json_at:
            return "html"
    return "json"


def check_known(
    request: Request, allowed: AbstractSet[str], extra: AbstractSet[str] | None = None
) -> None:
    """Refuse any query parameter that is neither standard here nor a property filter (400)."""
    unknown = sorted(set(request.query_params) - allowed - (extra or set()))
    if unknown:
        raise InvalidParameter(
            f"unknown query parameter(s): {', '.join(unknown)}; allowed: "
            f"{', '.join(sorted(allowed))} and the collection's queryable properties"
        )


def _single(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise InvalidParameter(f"{name}: given {len(values)} times")
    return values[0] if values else None


def parse_scalar(prop: Prop, raw: str, param: str) -> Any:
    """Parse a query-string value for ``prop`` (property equality filters, cursors)."""
    try:
        if prop.kind == "integer":
            return int(raw)
        if prop.kind == "number":
            number = float(raw)
            if not math.isfinite(number):
                raise ValueError
            return number
        if prop.kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError
            return raw.lower() == "true"
        if prop.kind == "date":
            return date.fromisoformat(raw)
        if prop.kind == "date-time":
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"{param}: {raw!r} is not a valid {prop.kind}") from None
    return raw


def _floats(raw: str, param: str) -> list[float]:
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        raise InvalidParameter(f"{param}: expected comma-separated numbers, got {raw!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise InvalidParameter(f"{param}: numbers must be finite")
    return values


def _instant(raw: str) -> datetime | None:
    if raw in ("..", ""):
        return None
    try:
        if len(raw) == 10:
            return datetime.fromisoformat(raw)
        return datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"datetime: {raw!r} is not an RFC 3339 date or date-time") from None


@dataclass
class ItemsQuery:
    """The parsed parameters of ``/collections/{id}/items``."""

    limit: int = LIMIT_DEFAULT
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: Crs = CRS_LIST[0]
    crs: Crs = CRS_LIST[0]
    #: (start, end) of the interval; an instant has start == end; None means open.
    interval: tuple[datetime | None, datetime | None] | None = None
    properties: list[str] | None = None
    sortby: list[tuple[str, bool]] = field(default_factory=list)
    filter: dict[str, Any] | bool | None = None
    filter_crs: Crs = CRS_LIST[0]
    equals: list[tuple[str, Any]] = field(default_factory=list)
    cursor: dict[str, Any] | None = None
    format: str = "json"


#: The standard query parameters of ``/items``, in the order the API definition lists them.
ITEMS_PARAMS = (
    "limit",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "properties",
    "sortby",
    "filter",
    "filter-lang",
    "filter-crs",
    "cursor",
    "f",
)
_ITEMS_ALLOWED = frozenset(ITEMS_PARAMS)


def parse_items_query(request: Request, collection: Collection) -> ItemsQuery:
    """Parse and check the items parameters of ``collection`` (400 on any problem)."""
    check_known(request, _ITEMS_ALLOWED, set(collection.by_name))
    q = ItemsQuery(format=output_format(request))

    raw = _single(request, "limit")
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            raise InvalidParameter(f"limit: {raw!r} is not an integer") from None
        if limit < 1:
            raise InvalidParameter("limit: must be at least 1")
        q.limit = min(limit, LIMIT_MAX)

    raw = _single(request, "bbox-crs")
    if raw is not None:
        q.bbox_crs = parse_crs(raw, "bbox-crs")
    raw = _single(request, "bbox")
    if raw is not None:
        values = _floats(raw, "bbox")
        if len(values) == 6:
            values = [values[0], values[1], values[3], values[4]]
        if len(values) != 4:
            raise InvalidParameter("bbox: expected 4 or 6 numbers")
        if q.bbox_crs.lat_first:
            values = [values[1], values[0], values[3], values[2]]
        x0, y0, x1, y1 = values
        if y0 > y1:
            raise InvalidParameter("bbox: the lower corner is above the upper corner")
        if q.bbox_crs.srid == 4326 and (abs(y0) > 90 or abs(y1) > 90):
            raise InvalidParameter("bbox: latitudes must lie within [-90, 90]")
        q.bbox = (x0, y0, x1, y1)

    raw = _single(request, "crs")
    if raw is not None:
        q.crs = parse_crs(raw, "crs")

    raw = _single(request, "datetime")
    if raw is not None:
        if "/" in raw:
            start_raw, _, end_raw = raw.partition("/")
            start, end = _instant(start_raw), _instant(end_raw)
            if start is None and end is None:
                raise InvalidParameter("datetime: an interval needs at least one bound")
            if start and end and _naive(start) > _naive(end):
                raise InvalidParameter("datetime: the start is after the end")
            q.interval = (start, end)
        else:
            instant = _instant(raw)
            if instant is None:
                raise InvalidParameter("datetime: expected a date, date-time or interval")
            q.interval = (instant, instant)

    raw = _single(request, "properties")
    if raw is not None:
        names = [n.strip() for n in raw.split(",") if n.strip()]
        unknown = [n for n in names if n not in collection.by_name]
        if unknown:
            raise InvalidParameter(f"properties: unknown {', '.join(unknown)}")
        q.properties = names

    raw = _single(request, "sortby")
    if raw is not None:
        for item in (s.strip() for s in raw.split(",")):
            if not item:
                continue
            desc = item.startswith("-")
            # An unencoded "+" arrives as a space, which the strip above already removed.
            name = item.lstrip("+-").strip()
            if name not in collection.by_name:
                raise InvalidParameter(f"sortby: unknown property {name!r}")
            q.sortby.append((name, desc))

    raw = _single(request, "filter-crs")
    if raw is not None:
        q.filter_crs = parse_crs(raw, "filter-crs")
    lang = (_single(request, "filter-lang") or "cql2-text").lower()
    if lang == "cql-text":
        # The draft name, still what GDAL 3.6 (Debian 12) looks for before it sends filters to
        # the server: its simple comparisons are valid CQL2 text.
        lang = "cql2-text"
    if lang not in ("cql2-text", "cql2-json"):
        raise InvalidParameter("filter-lang: use cql2-text or cql2-json")
    raw = _single(request, "filter")
    if raw is not None and raw.strip():
        q.filter = cql.parse(raw, lang)

    for name in collection.by_name:
        value = _single(request, name)
        if value is not None:
            q.equals.append((name, parse_scalar(collection.by_name[name], value, name)))

    raw = _single(request, "cursor")
    if raw is not None:
        q.cursor = decode_cursor(raw)
    return q


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


def encode_cursor(payload: dict[str, Any]) -> str:
    """Return the opaque cursor of a page (the keyset position and the matched count)."""
    text = json.dumps(payload, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> dict[str, Any]:
    """Read a cursor made by :func:`encode_cursor`, or raise 400."""
    try:
        padded = raw + "=" * (-len(raw) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidParameter("cursor: not a cursor of this service") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("k"), list):
        raise InvalidParameter("cursor: not a cursor of this service")
    return payload
