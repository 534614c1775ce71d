"""CQL2 (text or JSON) translated to SQL with bound values (OGC API - Features Part 3).

The ``cql2`` package (cql2-rs, maintained by the OGC API community) parses and validates the
filter into CQL2-JSON; this module walks that tree and writes SQL. Property names are looked up in
the collection's whitelist and literals are bound as parameters, cast to the property's type, so
no value from the request is ever written into the SQL text.

Supported: basic CQL2 (comparisons, ``IS NULL``, ``AND``/``OR``/``NOT``), advanced comparisons
(``LIKE``, ``BETWEEN``, ``IN``), ``CASEI``, property-property comparisons and the spatial
functions (``S_INTERSECTS``, ``S_EQUALS``, ``S_DISJOINT``, ``S_TOUCHES``, ``S_WITHIN``,
``S_OVERLAPS``, ``S_CROSSES``, ``S_CONTAINS``) on any geometry literal or ``BBOX``.
"""

import json
from datetime import date, datetime
from typing import Any

import cql2

from app.ogc.collections import SQL_TYPES, Collection
from app.ogc.errors import InvalidParameter

#: The name of the geometry in filters (as in the queryables).
GEOMETRY = "geometry"

_COMPARISONS = {"=": "=", "<>": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_SPATIAL = {
    "s_intersects": "ST_Intersects",
    "s_equals": "ST_Equals",
    "s_disjoint": "ST_Disjoint",
    "s_touches": "ST_Touches",
    "s_within": "ST_Within",
    "s_overlaps": "ST_Overlaps",
    "s_crosses": "ST_Crosses",
    "s_contains": "ST_Contains",
}
_GEOJSON_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}


def parse(text: str, lang: str) -> dict[str, Any]:
    """Parse a CQL2 filter (``cql2-text`` or ``cql2-json``) into CQL2-JSON, or raise 400."""
    try:
        if lang == "cql2-json":
            expr = cql2.parse_json(text)
        else:
            expr = cql2.parse_text(text)
        tree = expr.to_json()
    except Exception as exc:  # cql2 raises its own ParseError/ValidationError types
        raise InvalidParameter(f"filter: not valid {lang}: {exc}") from exc
    if not isinstance(tree, dict | bool):
        raise InvalidParameter("filter: a filter must be a boolean expression")
    return tree  # type: ignore[return-value]


class Translator:
    """Turns one CQL2-JSON tree into a SQL predicate, collecting the bound parameters."""

    def __init__(self, collection: Collection, *, srid: int, prefix: str = "f") -> None:
        self.collection = collection
        #: SRID of geometry literals (``filter-crs``); transformed to storage before comparing.
        self.srid = srid
        self.prefix = prefix
        self.params: dict[str, Any] = {}

    def bind(self, value: Any, kind: str | None) -> str:
        """Bind ``value`` and return its placeholder, cast to the SQL type of ``kind``."""
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        if kind is None:
            return f":{name}"
        return f"CAST(:{name} AS {SQL_TYPES[kind]})"

    def predicate(self, node: Any) -> str:
        """Return the SQL of a boolean node."""
        if isinstance(node, bool):
            return "TRUE" if node else "FALSE"
        if not isinstance(node, dict) or "op" not in node:
            raise InvalidParameter(f"filter: expected a predicate, got {json.dumps(node)}")
        op = str(node["op"]).lower()
        args = node.get("args") or []
        if op in ("and", "or"):
            return "(" + f" {op.upper()} ".join(self.predicate(a) for a in args) + ")"
        if op == "not":
            return f"(NOT {self.predicate(args[0])})"
        if op in _COMPARISONS:
            kind = self._kind_of_pair(args[0], args[1])
            left, right = self.value(args[0], kind), self.value(args[1], kind)
            return f"({left} {_COMPARISONS[op]} {right})"
        if op == "isnull":
            return f"({self.value(args[0], None)} IS NULL)"
        if op == "like":
            left = self.value(args[0], "string")
            return f"({left} LIKE {self.value(args[1], 'string')})"
        if op == "between":
            kind = self._kind_of_pair(args[0], args[1])
            low, high = self.value(args[1], kind), self.value(args[2], kind)
            return f"({self.value(args[0], kind)} BETWEEN {low} AND {high})"
        if op == "in":
            if not isinstance(args[1], list):
                raise InvalidParameter("filter: IN expects a list")
            kind = self._kind_of(args[0])
            values = ", ".join(self.value(v, kind) for v in args[1])
            return f"({self.value(args[0], kind)} IN ({values}))"
        if op in _SPATIAL:
            return f"{_SPATIAL[op]}({self.geometry(args[0])}, {self.geometry(args[1])})"
        raise InvalidParameter(f"filter: the operator {op!r} is not supported")

    def _kind_of(self, node: Any) -> str | None:
        if isinstance(node, dict):
            if "property" in node:
                return self.prop(node["property"]).kind
            if "date" in node:
                return "date"
            if "timestamp" in node:
                return "date-time"
            if node.get("op", "").lower() == "casei":
                return "string"
        return None

    def _kind_of_pair(self, left: Any, right: Any) -> str | None:
        kind = self._kind_of(left) or self._kind_of(right)
        if kind is None:
            for node in (left, right):
                if isinstance(node, bool):
                    return "boolean"
                if isinstance(node, str):
                    return "string"
                if isinstance(node, int | float):
                    return "number"
        return kind

    def prop(self, name: str) -> Any:
        """Return the whitelisted property called ``name``, or raise 400."""
        found = self.collection.by_name.get(name)
        if found is None:
            raise InvalidParameter(
                f"filter: unknown property {name!r}; see the collection's queryables"
            )
        return found

    def value(self, node: Any, kind: str | None) -> str:
        """Return the SQL of a scalar node (property, literal, CASEI), cast to ``kind``."""
        if isinstance(node, dict):
            if "property" in node:
                name = node["property"]
                if name == GEOMETRY:
                    raise InvalidParameter("filter: compare the geometry with S_* functions")
                return str(self.prop(name).sql)
            if "date" in node:
                return self.bind(_date(node["date"]), "date")
            if "timestamp" in node:
                return self.bind(_timestamp(node["timestamp"]), "date-time")
            if str(node.get("op", "")).lower() == "casei":
                return f"lower({self.value(node['args'][0], 'string')})"
            raise InvalidParameter(f"filter: unsupported value {json.dumps(node)}")
        if isinstance(node, list):
            raise InvalidParameter("filter: a list is only allowed after IN")
        literal = _coerce(node, kind)
        if kind == "integer" and isinstance(literal, float):
            kind = "number"  # 2.5 against an integer property: compare as numbers
        return self.bind(literal, kind)

    def geometry(self, node: Any) -> str:
        """Return the SQL of a geometry operand (the collection's geometry or a literal)."""
        if isinstance(node, dict):
            if node.get("property") == GEOMETRY:
                return self.collection.geom_sql
            if "bbox" in node:
                box = [float(v) for v in node["bbox"]]
                if len(box) == 6:
                    box = [box[0], box[1], box[3], box[4]]
                if len(box) != 4:
                    raise InvalidParameter("filter: BBOX takes 4 or 6 numbers")
                names = [self.bind(v, "number") for v in box]
                env = f"ST_MakeEnvelope({', '.join(names)}, {self.srid})"
                return env if self.srid == 4326 else f"ST_Transform({env}, 4326)"
            if node.get("type") in _GEOJSON_TYPES:
                lit = f"ST_SetSRID(ST_GeomFromGeoJSON({self.bind(json.dumps(node), 'string')}), "
                lit += f"{self.srid})"
                return lit if self.srid == 4326 else f"ST_Transform({lit}, 4326)"
            if "property" in node:
                raise InvalidParameter(f"filter: {node['property']!r} is not a geometry")
        raise InvalidParameter(f"filter: expected a geometry, got {json.dumps(node)}")


def _coerce(value: Any, kind: str | None) -> Any:
    """Check a literal against the property's kind in Python, so that SQL never fails on it."""
    try:
        if kind in ("integer", "number"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError
            return int(value) if kind == "integer" and float(value).is_integer() else value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if kind == "date":
            return _date(value)
        if kind == "date-time":
            return _timestamp(value)
        if kind == "string" and not isinstance(value, str):
            raise ValueError
    except ValueError:
        raise InvalidParameter(f"filter: {json.dumps(value)} is not a valid {kind}") from None
    return value


def _date(value: Any) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InvalidParameter(f"filter: {value!r} is not a date") from None


def _timestamp(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"filter: {value!r} is not a timestamp") from None


def to_sql(
    collection: Collection, tree: dict[str, Any] | bool, *, srid: int = 4326, prefix: str = "f"
) -> tuple[str, dict[str, Any]]:
    """Translate a CQL2-JSON tree into (SQL predicate, bound parameters)."""
    translator = Translator(collection, srid=srid, prefix=prefix)
    return translator.predicate(tree), translator.params
