"""SQL of the OGC layer: GeoJSON pages, single features, extents and vector tiles.

Each response body is built by PostGIS in one statement and read back as raw bytes (ADR 0002,
ADR 0007): Features are concatenated as text (``ST_AsGeoJSON`` of the geometry and
``row_to_json`` of the properties), which is about twice as fast as ``json_build_object`` because
nothing is parsed again. Identifiers come from :mod:`app.ogc.collections`; values are bound.

Every function takes a psycopg connection (the OGC layer's read pool, or a test's session
connection: :func:`app.ogc.dependencies.read_connection`) and runs its statement there directly:
the same text each time, so psycopg prepares it after a few runs and PostgreSQL stops planning it.
"""

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.adapt import Loader

from app.geo.crs import departement_of
from app.ogc import cql
from app.ogc.collections import SQL_TYPES, Collection
from app.ogc.dependencies import Crs, ItemsQuery
from app.ogc.errors import InvalidParameter


class _RawText(Loader):
    """Return text columns as the bytes PostgreSQL sent: no decoding of megabytes of JSON."""

    def load(self, data: Any) -> bytes:
        return bytes(data)


_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def _pyformat(sql: str) -> str:
    """Turn ``:name`` placeholders into psycopg's ``%(name)s`` (``::`` casts are kept)."""
    return _BIND.sub(r"%(\1)s", sql.replace("%", "%%"))


#: A connection the OGC layer reads on.
Connection = psycopg.Connection[Any]


def _raw_execute(conn: Connection, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """Run one statement with text results kept as bytes; return its one row.

    Prepared after a few runs, the sites page (93 columns) is no longer planned each time (3 ms).
    """
    with conn.cursor() as cur:
        cur.adapters.register_loader("text", _RawText)
        cur.adapters.register_loader("json", _RawText)
        cur.execute(_pyformat(sql), params)  # type: ignore[call-overload]
        row = cur.fetchone()
    assert row is not None
    return tuple(row)


def _geojson_sql(collection: Collection, crs: Crs, geom: str | None = None) -> str:
    g = geom or collection.geom_sql
    if crs.srid != 4326:
        g = f"ST_Transform({g}, {crs.srid})"
    elif crs.lat_first:
        g = f"ST_FlipCoordinates({g})"
    return f"coalesce(ST_AsGeoJSON({g}, {crs.digits}), 'null')"


def _lateral_props(row: str, names: list[str]) -> str:
    """A LATERAL projection of the properties of ``row``, so that row_to_json names them."""
    return f"LATERAL (SELECT {', '.join(f'{row}.{chr(34)}{n}{chr(34)}' for n in names)}) _p"


def _feature_sql(collection: Collection, crs: Crs, row: str) -> str:
    """SQL text of one Feature from ``row`` (``_id``, ``_g``) and its LATERAL properties ``_p``."""
    geometry = _geojson_sql(collection, crs, f"{row}._g")
    return (
        '\'{"type":"Feature","id":\' || to_json('
        + row
        + "._id)::text || ',\"geometry\":' || "
        + geometry
        + " || ',\"properties\":' || row_to_json(_p)::text || '}'"
    )


@dataclass
class Conditions:
    """A WHERE clause and its bound parameters."""

    clauses: list[str]
    params: dict[str, Any]

    def sql(self) -> str:
        """Return the clauses joined with AND."""
        return " AND ".join(self.clauses) or "TRUE"


def conditions(collection: Collection, q: ItemsQuery) -> Conditions:
    """Translate bbox, datetime, property equality and CQL2 filters into SQL with bound values."""
    where = Conditions([collection.where_sql], {})
    if q.bbox is not None:
        x0, y0, x1, y1 = q.bbox
        where.params.update(bx0=x0, by0=y0, bx1=x1, by1=y1)
        srid = q.bbox_crs.srid
        env = f"ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, {srid})"
        if srid != 4326:
            env = f"ST_Transform({env}, 4326)"
        elif x0 > x1:  # across the antimeridian
            env = "ST_Collect(ST_MakeEnvelope(:bx0, :by0, 180, :by1, 4326), "
            env += "ST_MakeEnvelope(-180, :by0, :bx1, :by1, 4326))"
        where.clauses.append(f"ST_Intersects({collection.geom_sql}, {env})")
    if q.interval is not None and collection.datetime_prop:
        prop = collection.by_name[collection.datetime_prop]
        start, end = q.interval
        cast = SQL_TYPES[prop.kind]
        if start is not None and start == end:
            where.clauses.append(f"{prop.sql} = CAST(:dt0 AS {cast})")
            where.params["dt0"] = start if prop.kind != "date" else start.date()
        else:
            if start is not None:
                where.clauses.append(f"{prop.sql} >= CAST(:dt0 AS {cast})")
                where.params["dt0"] = start if prop.kind != "date" else start.date()
            if end is not None:
                where.clauses.append(f"{prop.sql} <= CAST(:dt1 AS {cast})")
                where.params["dt1"] = end if prop.kind != "date" else end.date()
    for i, (name, value) in enumerate(q.equals):
        prop = collection.by_name[name]
        where.clauses.append(f"{prop.sql} = CAST(:eq{i} AS {SQL_TYPES[prop.kind]})")
        where.params[f"eq{i}"] = value
    if q.filter is not None:
        sql, params = cql.to_sql(collection, q.filter, srid=q.filter_crs.srid)
        where.clauses.append(sql)
        where.params.update(params)
    return where


@dataclass
class Order:
    """The keyset order of a page: SQL expressions, directions and SQL types."""

    exprs: list[str]
    desc: list[bool]
    types: list[str]
    #: Leading sort expressions may be null (sorted last); the collection keys never are.
    nullable: list[bool]
    signature: str

    def order_by(self) -> str:
        """Return the ORDER BY list."""
        return ", ".join(
            f"{e} {'DESC' if d else 'ASC'}{' NULLS LAST' if n else ''}"
            for e, d, n in zip(self.exprs, self.desc, self.nullable, strict=True)
        )

    def after(self, values: list[Any], params: dict[str, Any]) -> str:
        """Return the predicate "row comes after the row whose keys are ``values``"."""
        if len(values) != len(self.exprs):
            raise InvalidParameter("cursor: not a cursor of this query")
        names = []
        for i, value in enumerate(values):
            names.append(f"CAST(:ck{i} AS {self.types[i]})")
            if value is not None:
                params[f"ck{i}"] = value
        if not any(self.nullable) and not any(self.desc):
            return f"({', '.join(self.exprs)}) > ({', '.join(names)})"
        clause = "FALSE"
        for i in reversed(range(len(self.exprs))):
            expr, name, value = self.exprs[i], names[i], values[i]
            op = "<" if self.desc[i] else ">"
            if value is None:
                greater, equal = "FALSE", f"{expr} IS NULL"
            elif self.nullable[i]:
                greater, equal = f"({expr} {op} {name} OR {expr} IS NULL)", f"{expr} = {name}"
            else:
                greater, equal = f"{expr} {op} {name}", f"{expr} = {name}"
            clause = f"({greater} OR ({equal} AND {clause}))"
        return clause


def order(collection: Collection, q: ItemsQuery) -> Order:
    """Return the keyset order of a query: its ``sortby`` first, then the collection's keys."""
    exprs, desc, types, nullable = [], [], [], []
    for name, is_desc in q.sortby:
        prop = collection.by_name[name]
        exprs.append(prop.sql)
        desc.append(is_desc)
        types.append(SQL_TYPES[prop.kind])
        nullable.append(True)
    for key in collection.keys:
        exprs.append(key)
        desc.append(False)
        types.append(
            "bigint" if collection.id_kind == "integer" and key == collection.id_sql else "text"
        )
        nullable.append(False)
    signature = ",".join(f"{'-' if d else '+'}{n}" for n, d in q.sortby)
    return Order(exprs, desc, types, nullable, signature)


def count_from(collection: Collection, where: Conditions) -> str:
    """Return the FROM clause of a count: the base table alone when the filters allow it."""
    if collection.count_from_sql is None:
        return collection.from_sql
    aliases = "|".join(re.escape(a) for a in collection.joined_aliases)
    if aliases and re.search(rf"\b({aliases})\.", where.sql()):
        return collection.from_sql
    return collection.count_from_sql


@dataclass
class Page:
    """One page of Features: the JSON text of the array's content and the paging facts."""

    matched: int
    returned: int
    features: bytes
    #: Keys of the last Feature returned, when more remain.
    next_keys: list[Any] | None


def items_page(conn: Connection, collection: Collection, q: ItemsQuery) -> Page:
    """Return one page of Features, counted and keyset-paged, in one statement."""
    where = conditions(collection, q)
    keyset = order(collection, q)
    cursor = q.cursor or {}
    if q.cursor is not None and cursor.get("s", "") != keyset.signature:
        raise InvalidParameter("cursor: it belongs to another sortby; start from the first page")
    page_where = Conditions(list(where.clauses), dict(where.params))
    if q.cursor is not None:
        page_where.clauses.append(keyset.after(list(cursor["k"]), page_where.params))
    names = q.properties if q.properties is not None else [p.name for p in collection.props]
    selected = ", ".join(f'{collection.by_name[n].sql} AS "{n}"' for n in names)
    keys = ", ".join(f"{e} AS _k{i}" for i, e in enumerate(keyset.exprs))
    last_keys = ", ".join(f"_r._k{i}" for i in range(len(keyset.exprs)))
    # The count is taken on the first page only and carried in the cursor: the next pages of a
    # whole-layer download (GDAL, QGIS) then cost one index range scan each.
    known = cursor.get("n")
    matched_sql = (
        ":known"
        if isinstance(known, int)
        else f"(SELECT count(*) FROM {count_from(collection, where)} WHERE {where.sql()})"
    )
    sql = f"""
        WITH _page AS MATERIALIZED (
          SELECT {collection.id_sql} AS _id, {collection.geom_sql} AS _g, {keys}
                 {", " + selected if selected else ""}
          FROM {collection.from_sql}
          WHERE {page_where.sql()}
          ORDER BY {keyset.order_by()}
          LIMIT :limit_plus_one),
        -- The materialized page is scanned in its ORDER BY order, and so numbered and
        -- aggregated: no second sort of megabytes of text (the paging tests check the order).
        _rows AS (SELECT row_number() OVER () AS _rn, _page.* FROM _page)
        SELECT CAST({matched_sql} AS bigint) AS matched,
               count(*) AS fetched,
               coalesce(string_agg({_feature_sql(collection, q.crs, "_r")}, ',')
                          FILTER (WHERE _r._rn <= :limit), '') AS features,
               max(CASE WHEN _r._rn = :limit THEN json_build_array({last_keys})::text END)
                 AS last_keys
        FROM _rows _r, {_lateral_props("_r", names)}
    """
    params = {**page_where.params, "limit": q.limit, "limit_plus_one": q.limit + 1}
    if isinstance(known, int):
        params["known"] = known
    matched, fetched, features, last = _raw_execute(conn, sql, params)
    more = int(fetched) > q.limit
    return Page(
        matched=int(matched),
        returned=min(int(fetched), q.limit),
        features=bytes(features),
        next_keys=json.loads(last) if more and last is not None else None,
    )


def feature(conn: Connection, collection: Collection, feature_id: str, crs: Crs) -> bytes | None:
    """Return one Feature as GeoJSON bytes, or None."""
    params: dict[str, Any] = {}
    clauses = [collection.where_sql]
    if collection.id_kind == "integer":
        try:
            params["fid"] = int(feature_id)
        except ValueError:
            return None
        clauses.append(f"{collection.id_sql} = :fid")
    else:
        params["fid"] = feature_id
        clauses.append(f"{collection.id_sql} = :fid")
    if collection.partition_of_id:
        clauses.append(f"{collection.partition_of_id} = :part")
        params["part"] = departement_of(feature_id)
    names = [p.name for p in collection.props]
    selected = ", ".join(f'{p.sql} AS "{p.name}"' for p in collection.props)
    sql = f"""
        WITH _one AS (
          SELECT {collection.id_sql} AS _id, {collection.geom_sql} AS _g, {selected}
          FROM {collection.from_sql} WHERE {" AND ".join(clauses)})
        SELECT (SELECT {_feature_sql(collection, crs, "_r")}
                FROM _one _r, {_lateral_props("_r", names)} LIMIT 1)
    """
    (value,) = _raw_execute(conn, sql, params)
    return None if value is None else bytes(value)


def extent(conn: Connection, collection: Collection) -> dict[str, Any]:
    """Return the spatial extent (CRS84 bbox) and, if any, the temporal interval."""
    temporal = ""
    if collection.datetime_prop:
        prop = collection.by_name[collection.datetime_prop]
        temporal = f", min({prop.sql})::text AS t0, max({prop.sql})::text AS t1"
    else:
        temporal = ", NULL AS t0, NULL AS t1"
    if collection.id == "parcels":
        # ~90 M rows nationally: the extent of the départements that hold parcels (one index
        # probe per département) instead of a scan of every parcel.
        sql = (
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), NULL, NULL FROM ("
            "SELECT ST_Extent(d.geom) AS e FROM departement d WHERE EXISTS ("
            "SELECT 1 FROM parcel p WHERE p.departement = d.code)) q"
        )
    else:
        sql = (
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM ("
            f"SELECT ST_Extent({collection.geom_sql}) AS e {temporal} "
            f"FROM {collection.from_sql} WHERE {collection.where_sql}) q"
        )
    row = conn.execute(sql).fetchone()  # type: ignore[call-overload]
    assert row is not None
    x0, y0, x1, y1, t0, t1 = row
    out: dict[str, Any] = {}
    if x0 is not None:
        out["spatial"] = {
            "bbox": [[round(x0, 6), round(y0, 6), round(x1, 6), round(y1, 6)]],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        }
    if collection.datetime_prop:
        out["temporal"] = {
            "interval": [[f"{t0}T00:00:00Z" if t0 else None, f"{t1}T00:00:00Z" if t1 else None]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return out


#: SQL of the tiles, by collection and whether geometries are simplified first: built once.
_TILE_SQL: dict[tuple[str, bool], str] = {}
TILE_EXTENT = 4096
TILE_BUFFER = 64


def _tile_sql(collection: Collection, simplify: bool) -> str:
    """Return the (psycopg-formatted) statement of a collection's tiles."""
    key = (collection.id, simplify)
    cached = _TILE_SQL.get(key)
    if cached is not None:
        return cached
    geom = collection.geom_sql
    if simplify:
        geom = f"ST_Simplify({geom}, :tol, true)"
    columns = [
        f'{collection.by_name[n].sql} AS "{n}"'
        for n in ("id", *collection.tile_props)
        if n in collection.by_name
    ]
    if collection.id_kind == "integer":
        columns.insert(0, f"{collection.id_sql} AS fid")
    elif "id" not in collection.by_name:
        columns.insert(0, f"{collection.id_sql} AS id")
    sql = f"""
        WITH t AS (
          SELECT {", ".join(columns)},
                 ST_AsMVTGeom(ST_Transform({geom}, 3857),
                              ST_MakeEnvelope(:mx0, :my0, :mx1, :my1, 3857),
                              {TILE_EXTENT}, {TILE_BUFFER}, true) AS geom
          FROM {collection.from_sql}
          WHERE {collection.where_sql}
            AND {collection.geom_sql} && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)
          LIMIT :cap)
        SELECT coalesce(ST_AsMVT(t.*, :layer, {TILE_EXTENT}, 'geom'
                                 {", 'fid'" if collection.id_kind == "integer" else ""}), '')
        FROM t WHERE t.geom IS NOT NULL
    """
    _TILE_SQL[key] = _pyformat(sql)
    return _TILE_SQL[key]


def tile(
    conn: Connection,
    collection: Collection,
    *,
    bounds_3857: tuple[float, float, float, float],
    bounds_4326: tuple[float, float, float, float],
    simplify: float | None,
) -> bytes:
    """Return one Mapbox Vector Tile of ``collection``, built by ``ST_AsMVT`` in one statement.

    The result comes in binary: the tile's bytes as PostgreSQL holds them, not hex text to decode
    (12 % of a 400 kB tile).
    """
    mx0, my0, mx1, my1 = bounds_3857
    x0, y0, x1, y1 = bounds_4326
    params: dict[str, Any] = {
        "mx0": mx0,
        "my0": my0,
        "mx1": mx1,
        "my1": my1,
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
        "cap": collection.tile_max_features,
        "layer": collection.id,
    }
    # Territories and parcels: vertices closer than half a pixel merge anyway. Points and the
    # small footprints of sites gain nothing from it.
    simplified = bool(simplify) and collection.geometry_format == "geometry-multipolygon"
    if simplified:
        params["tol"] = simplify
    with conn.cursor(binary=True) as cur:
        cur.execute(_tile_sql(collection, simplified), params)  # type: ignore[call-overload]
        row = cur.fetchone()
    return bytes(row[0]) if row and row[0] else b""
