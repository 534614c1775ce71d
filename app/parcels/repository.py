"""Parcel and building storage: bulk loading, set-based upserts, partition swaps, GeoJSON reads.

A parcel import (``app.parcels.service``) writes the new or changed parcels of a file into a
*load table*: a plain table shaped like a ``parcel`` partition, created in the import's
transaction and filled by binary ``COPY … FREEZE`` (no index to maintain, rows written frozen).
Then either

* the load table is upserted into ``parcel`` (a few changed parcels: the next millésime), or
* it becomes the département's partition (a first load, or a file that rewrites a large part
  of it): the parcels it does not replace are copied in, the indexes are built in one pass
  each (sorted GiST build, parallel B-tree builds), and it is swapped in with DETACH / ATTACH
  PARTITION. A CHECK constraint equal to the partition bound lets ATTACH skip its validation
  scan. Everything stays in the caller's transaction: a killed import leaves nothing.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from psycopg import Connection, Copy, Cursor, sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.parcels import reader

#: Département of an IDU or INSEE code, in SQL (overseas codes have 3 digits).
_DEP = "left({c}, CASE WHEN {c} LIKE '97%' THEN 3 ELSE 2 END)"
#: Binary COPY header: signature, flags, header extension length.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"
#: Columns written by both the binary COPY and the GeoJSON path, in order (the reader encodes
#: its binary rows in this order).
PARCEL_COLUMNS = reader.COPY_COLUMNS
_ALL_COLUMNS = (*PARCEL_COLUMNS, "geom_repaired", "imported_at")
_CODE = re.compile(r"(?:\d{2}|2[AB]|97\d)")


def _driver(session: Session) -> Connection[Any]:
    return session.connection().connection.driver_connection  # type: ignore[return-value]


def start_batch(session: Session, *, source_name: str) -> int:
    """Record the start of a cadastre file's import (``import_batch``); return its id.

    Plain SQL rather than the ORM class: loading every model costs a third of a second, a
    tenth of a re-import of an unchanged département.
    """
    return int(
        session.execute(
            text(
                "INSERT INTO import_batch (kind, source_name, status)"
                " VALUES ('cadastre', :n, 'running') RETURNING id"
            ),
            {"n": source_name},
        ).scalar_one()
    )


def finish_batch(session: Session, batch_id: int, report: dict[str, Any]) -> None:
    """Record the end of a file's import and its report."""
    session.execute(
        text("UPDATE import_batch SET status = 'done', report = CAST(:r AS jsonb) WHERE id = :i"),
        {"r": orjson.dumps(report).decode(), "i": batch_id},
    )


def prepare_bulk_session(session: Session) -> None:
    """Settings for this transaction's bulk work (``SET LOCAL``: they end with it).

    JIT compilation costs about a second on the large statements and saves nothing on
    them; index builds sort in memory rather than on disk.
    """
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))


def stored_hashes(
    session: Session, *, departement: str, commune: str | None = None
) -> dict[bytes, bytes | int]:
    """Return the stored parcels of a département (or of one of its communes) by key.

    The key is ``{"type":"Feature","id":"<IDU>"``, the start of the parcel's line in an Etalab
    file (``app.parcels.reader.fast_block``); the value is the stored ``source_hash`` (16 bytes;
    empty when unknown).
    """
    query = (
        'SELECT convert_to(\'{"type":"Feature","id":"\' || idu || \'"\', \'UTF8\'),'
        " coalesce(uuid_send(source_hash), ''::bytea)"
        " FROM parcel WHERE departement = %s"
    )
    params: tuple[str, ...] = (departement,)
    if commune is not None:
        # By IDU prefix (what the file's lines are) or by commune (what deletions look at).
        query += " AND (idu BETWEEN %s AND %s OR commune = %s)"
        params += (commune, commune + "~", commune)
    with _driver(session).cursor(binary=True) as cur:
        cur.execute(query, params)
        return dict(cur.fetchall())


def partition_of(session: Session, departement: str) -> tuple[str, str] | None:
    """Return (name, bound) of the ``parcel`` partition of exactly this département, if any."""
    row = session.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'parcel'::regclass AND c.relkind = 'r'"
            " AND pg_get_expr(c.relpartbound, c.oid)"
            " = format('FOR VALUES IN (%L)', CAST(:d AS text))"
        ),
        {"d": departement},
    ).first()
    return None if row is None else (str(row[0]), str(row[1]))


def create_load_table(session: Session, name: str, departement: str) -> None:
    """Create an empty table shaped like a ``parcel`` partition of this département.

    Its CHECK constraint is the partition's bound, so that ATTACH PARTITION can trust it.
    """
    if not _CODE.fullmatch(departement):  # it is spelled into DDL, which takes no parameters
        raise ValueError(f"not a département code: {departement!r}")
    session.execute(
        text(
            f"CREATE TABLE {name} (LIKE parcel INCLUDING DEFAULTS,"
            f" CONSTRAINT {name}_departement CHECK (departement IS NOT NULL"
            f" AND departement = '{departement}'))"
        )
    )


class LoadWriter:
    """Binary ``COPY … FREEZE`` into load tables, kept open across blocks of rows.

    A queued writer sends the data from a thread, so that the caller goes on encoding while
    PostgreSQL ingests. :meth:`pause` ends the COPY before the session runs another statement.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        # (table, cursor, COPY context manager, Copy) of the running COPY
        self._open: tuple[str, Cursor[Any], Any, Copy] | None = None

    def write(self, table: str, data: bytes) -> None:
        """Append binary COPY rows (no header) to ``table``."""
        if not data:
            return
        if self._open is None or self._open[0] != table:
            self.pause()
            cursor = _driver(self._session).cursor()
            columns = sql.SQL(", ").join(map(sql.Identifier, PARCEL_COLUMNS))
            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary, FREEZE)").format(
                sql.Identifier(table), columns
            )
            manager = cursor.copy(statement, writer=QueuedLibpqWriter(cursor))
            self._open = (table, cursor, manager, manager.__enter__())
            data = _COPY_HEADER + data
        self._open[3].write(data)

    def pause(self) -> None:
        """End the running COPY, if any (the next write starts another)."""
        if self._open is not None:
            _, cursor, manager, stream = self._open
            self._open = None
            try:
                stream.write(_COPY_TRAILER)
                manager.__exit__(None, None, None)
            finally:
                cursor.close()

    def abort(self, exc: BaseException) -> None:
        """End the running COPY after an error (PostgreSQL discards what it received)."""
        if self._open is not None:
            _, cursor, manager, _ = self._open
            self._open = None
            try:
                manager.__exit__(type(exc), exc, exc.__traceback__)
            finally:
                cursor.close()


def _copy_text(session: Session, table: str, columns: Sequence[str], rows: Iterable[bytes]) -> None:
    """COPY pre-formatted text rows (or blocks of rows) into a fresh temporary text table."""
    with _driver(session).cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(
            f"CREATE TEMP TABLE {table} ({', '.join(c + ' text' for c in columns)}) ON COMMIT DROP"
        )
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write(row)


_INSERT_GEOJSON = """
    WITH src AS (
      SELECT s.idu, s.departement, s.commune, s.prefixe, s.section, s.numero,
             nullif(s.contenance, '')::int AS contenance, nullif(s.arpente, '')::boolean AS arpente,
             nullif(s.created, '')::date AS created, nullif(s.updated, '')::date AS updated,
             s.hash::uuid AS hash, {parse} AS raw
      FROM stage_parcel s),
    checked AS (
      SELECT src.*, ST_IsValid(raw) AS valid
      FROM src WHERE GeometryType(raw) IN ('POLYGON', 'MULTIPOLYGON')),
    fixed AS (
      SELECT checked.*, NOT valid AS repaired,
             ST_Multi(CASE WHEN valid THEN raw
                           ELSE ST_CollectionExtract(ST_MakeValid(raw), 3) END) AS geom
      FROM checked),
    ins AS (
      INSERT INTO {target} (departement, idu, commune, prefixe, section, numero, contenance,
                            arpente, source_created, source_updated, source_hash,
                            geom_repaired, geom)
      SELECT departement, idu, commune, prefixe, section, numero, contenance, arpente, created,
             updated, hash, repaired, geom FROM fixed WHERE NOT ST_IsEmpty(geom)
      RETURNING idu, geom_repaired)
    SELECT idu, geom_repaired FROM ins
"""

#: Text columns of the GeoJSON staging table (the general path).
GEOJSON_COLUMNS = (
    "idu",
    "departement",
    "commune",
    "prefixe",
    "section",
    "numero",
    "contenance",
    "arpente",
    "created",
    "updated",
    "hash",
    "g",
)


def insert_geojson(session: Session, target: str, rows: Iterable[bytes]) -> list[tuple[str, bool]]:
    """Insert parcels given as GeoJSON text rows into ``target``; return (idu, repaired).

    This is the general path, for features the binary encoding does not take: PostGIS parses
    the GeoJSON, repairs invalid polygons (ST_MakeValid) and leaves out what is unreadable or
    not polygonal (the caller reports those rows). The fast statement parses GeoJSON directly;
    if one row makes PostGIS raise, it is retried with a parser that yields NULL instead.
    """
    _copy_text(session, "stage_parcel", GEOJSON_COLUMNS, rows)
    statement = _INSERT_GEOJSON.replace("{target}", target)
    try:
        with session.begin_nested():
            result = session.execute(
                text(statement.format(parse="ST_SetSRID(ST_GeomFromGeoJSON(s.g), 4326)"))
            ).all()
    except DBAPIError:
        result = session.execute(text(statement.format(parse="foncier_try_geojson(s.g)"))).all()
    return [(r[0], bool(r[1])) for r in result]


def repair(session: Session, table: str, idus: list[str]) -> list[tuple[str, bool]]:
    """Repair the invalid geometries among ``idus`` in a load table; return (idu, emptied).

    ``idus`` are those GEOS found invalid in the reader's check; PostGIS (the same library)
    confirms each before repairing it. As on the general path: ST_MakeValid, polygons kept,
    flagged ``geom_repaired``. A parcel that nothing polygonal survives is deleted (the caller
    reports it).
    """
    rows = session.execute(
        text(
            f"UPDATE {table} SET geom_repaired = true,"
            " geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3))"
            " WHERE idu = ANY(:idus) AND NOT ST_IsValid(geom) RETURNING idu, ST_IsEmpty(geom)"
        ),
        {"idus": idus},
    ).all()
    emptied = [r[0] for r in rows if r[1]]
    if emptied:
        session.execute(text(f"DELETE FROM {table} WHERE idu = ANY(:idus)"), {"idus": emptied})
    return [(r[0], bool(r[1])) for r in rows]


def delete_gone(session: Session, *, departement: str, idus: list[str], communes: list[str]) -> int:
    """Delete parcels ``idus`` of the département that belong to ``communes``; return count.

    The ids go as one array, wrapped in ``ARRAY(SELECT unnest(…))``: the planner then does
    not know its length and probes the primary key for each id, whereas for a known array
    of thousands it prefers to read the whole index (20 times slower here).
    """
    if not idus:
        return 0
    result = session.execute(
        text(
            "DELETE FROM parcel WHERE departement = :d"
            " AND idu = ANY(ARRAY(SELECT unnest(CAST(:i AS text[])))) AND commune = ANY(:c)"
        ),
        {"d": departement, "i": idus, "c": communes},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def upsert_from(session: Session, table: str) -> None:
    """Upsert a load table into ``parcel`` (new parcels inserted, known ones replaced)."""
    columns = ", ".join(_ALL_COLUMNS[:-1])
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _ALL_COLUMNS[2:-1])
    session.execute(
        text(
            f"INSERT INTO parcel AS p ({columns}) SELECT {columns} FROM {table}"
            f" ON CONFLICT (departement, idu) DO UPDATE SET {updates}, imported_at = now()"
        )
    )


@dataclass(frozen=True)
class _Index:
    name: str
    definition: str
    constraint: str | None  # 'p' or 'u' when the index backs a constraint


def _parent_indexes(session: Session) -> list[_Index]:
    rows = session.execute(
        text(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), k.contype FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid"
            " LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid"
            " AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u')"
            " WHERE i.indrelid = 'parcel'::regclass ORDER BY c.relname"
        )
    ).all()
    return [_Index(r[0], r[1], r[2]) for r in rows]


def _child_indexes(session: Session, table: str) -> dict[str, str]:
    """Map each partitioned index of ``parcel`` to its child index on ``table``."""
    rows = session.execute(
        text(
            "SELECT p.relname, c.relname FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_inherits h ON h.inhrelid = c.oid"
            " JOIN pg_class p ON p.oid = h.inhparent"
            " WHERE i.indrelid = CAST(:t AS regclass)"
        ),
        {"t": table},
    ).all()
    return {r[0]: r[1] for r in rows}


_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON ONLY \S+ (USING .*)$")


def swap_in(session: Session, *, table: str, partition: str, bound: str, copy_rest: bool) -> None:
    """Make load table ``table`` the partition ``partition`` of ``parcel``.

    With ``copy_rest``, the partition's parcels that the load table does not replace are
    copied in first. The load table then gets the parent's indexes, each built in one pass
    (about 10 times cheaper than maintaining them row by row), before the swap: the lock that
    DETACH takes on ``parcel`` is held only for the catalogue changes and the commit.
    """
    if copy_rest:
        columns = ", ".join(_ALL_COLUMNS)
        session.execute(
            text(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {partition} p"
                f" WHERE NOT EXISTS (SELECT 1 FROM {table} l WHERE l.idu = p.idu)"
            )
        )
    for n, index in enumerate(_parent_indexes(session)):
        match = _INDEX_DEF.match(index.definition)
        if match is None:
            raise RuntimeError(f"unexpected definition of index {index.name}: {index.definition}")
        name = f"{table}_{n}"
        session.execute(
            text(f"CREATE {match.group(1) or ''}INDEX {name} ON {table} {match.group(2)}")
        )
        if index.constraint:
            kind = "PRIMARY KEY" if index.constraint == "p" else "UNIQUE"
            session.execute(
                text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {name}")
            )
    old_names = _child_indexes(session, partition)
    session.execute(text(f"ALTER TABLE parcel DETACH PARTITION {partition}"))
    session.execute(text(f"DROP TABLE {partition}"))
    session.execute(text(f"ALTER TABLE {table} RENAME TO {partition}"))
    session.execute(text(f"ALTER TABLE parcel ATTACH PARTITION {partition} {bound}"))
    for parent, child in _child_indexes(session, partition).items():
        if parent in old_names and old_names[parent] != child:
            session.execute(text(f"ALTER INDEX {child} RENAME TO {old_names[parent]}"))
    session.execute(text(f"ALTER TABLE {partition} DROP CONSTRAINT {table}_departement"))


def drop_table(session: Session, table: str) -> None:
    """Drop a load table."""
    session.execute(text(f"DROP TABLE {table}"))


def stage_buildings(session: Session, chunks: Iterable[bytes]) -> None:
    """Stage buildings (COPY text rows) for :func:`replace_buildings`."""
    columns = ("departement", "commune", "type", "nom", "updated", "hash", "g")
    _copy_text(session, "stage_building", columns, chunks)


def replace_buildings(session: Session) -> tuple[int, int]:
    """Replace the buildings of the staged communes whose content changed.

    Returns (unchanged rows, inserted rows). A commune is unchanged when the sorted hashes of
    its staged features equal those it has stored.
    """
    unchanged = session.execute(
        text(
            "DELETE FROM stage_building s USING ("
            " SELECT n.commune FROM (SELECT commune, array_agg(hash::uuid ORDER BY hash::uuid) AS h"
            "   FROM stage_building GROUP BY commune) n"
            " JOIN (SELECT commune, array_agg(source_hash ORDER BY source_hash) AS h"
            "   FROM building WHERE commune IN (SELECT commune FROM stage_building)"
            "   GROUP BY commune) o USING (commune) WHERE o.h = n.h) same "
            "WHERE s.commune = same.commune"
        )
    ).rowcount
    session.execute(
        text(
            "DELETE FROM building b USING "
            "(SELECT DISTINCT departement, commune FROM stage_building) c "
            "WHERE b.departement = c.departement AND b.commune = c.commune"
        )
    )
    inserted = session.execute(
        text(
            "INSERT INTO building (departement, commune, type, nom, source_updated, source_hash, "
            "geom) SELECT departement, commune, nullif(type, ''), nullif(nom, ''), "
            "nullif(updated, '')::date, hash::uuid, ST_Multi(ST_CollectionExtract(ST_MakeValid("
            "foncier_try_geojson(g)), 3)) FROM stage_building "
            "WHERE GeometryType(foncier_try_geojson(g)) IN ('POLYGON', 'MULTIPOLYGON')"
        )
    ).rowcount
    return int(unchanged or 0), int(inserted or 0)


def parcel_feature_page(
    session: Session, *, where: list[str], params: dict[str, Any], limit: int, offset: int
) -> tuple[int, int, str]:
    """Return (numberMatched, numberReturned, Features JSON text) of parcels."""
    cond = " AND ".join(where) or "TRUE"
    all_params = {**params, "limit": limit, "offset": offset}
    matched = session.execute(
        text(f"SELECT count(*) FROM parcel p WHERE {cond}"), all_params
    ).scalar_one()
    returned, features = session.execute(
        text(
            f"SELECT count(*), coalesce(json_agg({_PARCEL_FEATURE} ORDER BY p.idu), '[]')::text "
            f"FROM (SELECT * FROM parcel p WHERE {cond} ORDER BY p.idu LIMIT :limit OFFSET :offset)"
            " p"
        ),
        all_params,
    ).one()
    return int(matched), int(returned), str(features)


_PARCEL_FEATURE = (
    "json_build_object('type', 'Feature', 'id', p.idu, 'geometry', ST_AsGeoJSON(p.geom, 7)::json,"
    " 'properties', json_build_object('idu', p.idu, 'commune', p.commune, 'prefixe', p.prefixe,"
    " 'section', p.section, 'numero', p.numero, 'contenance', p.contenance, 'arpente', p.arpente,"
    " 'source_updated', p.source_updated, 'geom_repaired', p.geom_repaired,"
    " 'area_m2', round(ST_Area(ST_Transform(p.geom, CASE WHEN p.departement LIKE '97%' THEN"
    " (CASE p.departement WHEN '973' THEN 2972 WHEN '974' THEN 2975 WHEN '976' THEN 4471"
    " ELSE 5490 END) ELSE 2154 END))::numeric, 1)))"
)


def parcel_feature(session: Session, idu: str) -> str | None:
    """Return one parcel as GeoJSON Feature text (partition-pruned by département)."""
    value = session.execute(
        text(
            f"SELECT {_PARCEL_FEATURE}::text FROM parcel p "
            f"WHERE p.departement = {_DEP.format(c=':idu')} AND p.idu = :idu"
        ),
        {"idu": idu},
    ).scalar()
    return None if value is None else str(value)
