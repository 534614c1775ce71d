"""Streaming reader of Etalab cadastre GeoJSON files (``cadastre-<code>-<layer>.json[.gz]``).

Etalab writes one Feature per line (``{"type":"Feature","id":"…","geometry":…,
"properties":…}``). The parcel import reads such a file in large blocks of whole lines, which
a background thread decompresses (zlib releases the GIL, so this overlaps the parsing); a block
whose lines all have the Etalab layout is checked and split with a few C-level passes
(:func:`fast_block`), so that an unchanged parcel is recognised by its id and the hash of its
raw bytes, without parsing its JSON.

Changed parcels are encoded straight into PostgreSQL binary ``COPY`` rows, their geometry as
EWKB (:func:`encode_parcels`), a batch at a time with orjson and numpy: PostGIS's GeoJSON parser
costs about 16 µs a polygon, reading WKB 0.4 µs. Their validity is checked with GEOS through
shapely (:meth:`Geometries.invalid`, about 2 µs, in a worker thread) — the same library
PostGIS's ``ST_IsValid`` calls, which costs twice that in the server; repairs stay in PostGIS
(``ST_MakeValid``). Anything else (pretty-printed files, odd lines, odd geometries or
properties) goes through the general paths, which keep the historical behaviour (PostGIS parses
their GeoJSON). Nothing here touches the database.
"""

from __future__ import annotations

import queue
import re
import struct
import sys
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import ijson
import orjson
import xxhash

# ISA-L inflates gzip about 5x faster than zlib, with zlib's API (ADR 0006).
from isal import igzip
from isal import isal_zlib as inflater

if TYPE_CHECKING:
    import numpy as np

# numpy and shapely are imported where parcels are encoded, not here: they take a fifth of a
# second to load, which a re-import of an unchanged file (a few seconds) does not need.

_FEATURE_PREFIX = b'{"type":"Feature"'
#: Every Etalab feature line starts with this: the id follows at offset 24.
ID_PREFIX = b'{"type":"Feature","id":"'
ID_AT = len(ID_PREFIX)
_PROPS = b',"properties":'

#: The keys of a block's lines (see :func:`fast_block`), checked at once: the Etalab line start
#: and an IDU by the rule of ``app.sites.cnig.IDU_RE`` (ASCII only), with its closing quote.
_KEYS = re.compile(
    rb'(?:\{"type":"Feature","id":"(?:\d{2}|2[AB])\d{3}[0-9A-Z]{3}[0-9A-Z]{2}\d{4}")*'
)
KEY_LENGTH = 39

#: One 128-bit hash per feature, of its raw bytes: it is stored as the parcel's ``source_hash``.
digest = xxhash.xxh3_128_digest


@dataclass(slots=True)
class RawFeature:
    """One feature of a file: its line number, id, content hash and raw JSON bytes."""

    row: int
    id: str | None
    digest: bytes
    raw: bytes


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, transparently gunzipping ``.gz`` files."""
    if path.suffix == ".gz":
        return igzip.open(path, "rb")
    return path.open("rb")


def is_line_delimited(path: Path) -> bool:
    """Tell whether the file holds one feature per line (the Etalab layout)."""
    with open_binary(path) as fh:
        for _ in range(3):
            line = fh.readline().strip()
            if line.startswith(_FEATURE_PREFIX):
                return True
    return False


def clean(line: bytes) -> bytes | None:
    """Return the feature JSON of one line of a line-delimited file, or None for a frame line.

    The comma after a feature, the collection's closing ``]}`` and surrounding blanks are not
    part of the feature (nor of its hash); the collection's opening line is not a feature.
    """
    line = line.strip()
    if line.endswith(b"]}"):  # the last feature carries the end of the collection
        line = line[:-2].rstrip()
    raw = line.rstrip(b",")
    if not raw or raw in (b"]", b"}", b"]}") or b'"FeatureCollection"' in raw[:60]:
        return None
    return raw


def feature_id(raw: bytes) -> str | None:
    """Return a feature's id (``id``, else ``properties.id``), or None if unreadable."""
    if raw.startswith(ID_PREFIX):
        end = raw.find(b'"', ID_AT)
        return raw[ID_AT:end].decode()
    try:
        feat = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(feat, dict):
        return None
    fid = feat.get("id") or (feat.get("properties") or {}).get("id")
    return None if fid is None else str(fid)


def features(path: Path) -> Iterator[RawFeature]:
    """Yield the features of an Etalab layer file, streaming, with their content hash.

    In a one-feature-per-line file, every line but the collection's opening and closing ones
    is a feature: a line that is not valid JSON still yields a RawFeature (with no id), so that
    the caller reports it rather than losing it.
    """
    if is_line_delimited(path):
        with open_binary(path) as fh:
            row = 0
            for line in fh:
                raw = clean(line)
                if raw is None:
                    continue
                row += 1
                yield RawFeature(row, feature_id(raw), digest(raw), raw)
        return
    yield from pretty_features(path)


def pretty_features(path: Path) -> Iterator[RawFeature]:
    """Yield the features of a file that is not one feature per line (streamed with ijson)."""
    with open_binary(path) as fh:
        for row, feat in enumerate(ijson.items(fh, "features.item", use_float=True), start=1):
            raw = orjson.dumps(feat)
            fid = feat.get("id") or (feat.get("properties") or {}).get("id")
            yield RawFeature(row, None if fid is None else str(fid), digest(raw), raw)


# --------------------------------------------------------------------------- block reading


def blocks(path: Path, size: int = 4 << 20) -> Generator[bytes, None, None]:
    """Yield a file's content, decompressed, in blocks of whole lines (each ends with ``\\n``).

    A background thread reads and decompresses ahead (at most a few blocks), so that zlib, which
    releases the GIL, runs on the other core while the caller parses. The last block ends with
    ``\\n`` too, whether or not the file does.
    """
    # Read ahead up to 256 MB: while the caller waits on PostgreSQL (the stored parcels are
    # fetched after the first block), decompression goes on.
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(
        maxsize=max(2, (128 << 20) // size)
    )
    stop = threading.Event()

    def put(item: bytes | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with path.open("rb") as fh:
                # wbits 47: zlib detects a gzip or zlib header; a plain file is passed through.
                gz = path.suffix == ".gz"
                inflate = inflater.decompressobj(47) if gz else None
                while not stop.is_set():
                    data = fh.read(size // 8 if gz else size)
                    if not data:
                        break
                    while inflate is not None and data:
                        out = inflate.decompress(data)
                        # A file may hold several gzip members, one after the other.
                        rest = inflate.unused_data
                        data = b""
                        if inflate.eof and rest:
                            inflate, data = inflater.decompressobj(47), rest
                        if out and not put(out):
                            return
                    if inflate is None and not put(data):
                        return
                if inflate is not None and not inflate.eof:
                    raise EOFError(f"{path.name}: compressed file ended before its end marker")
            put(None)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(exc)

    worker = threading.Thread(target=produce, name=f"read {path.name}", daemon=True)
    # zlib gives the GIL back while it inflates, but needs it again between output buffers:
    # with the default switch interval (5 ms) the parsing thread keeps it so long that the
    # reader falls behind. 0.5 ms keeps it fed (-0.5 s on a million parcels); restored after.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    worker.start()
    try:
        carry = b""
        while True:
            item = chunks.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            cut = item.rfind(b"\n") + 1
            if not cut:
                carry += item
                continue
            block = carry + item[:cut] if carry else item[:cut]
            carry = item[cut:]
            yield block
        if carry:
            yield carry + b"\n"
    finally:
        stop.set()
        worker.join()
        sys.setswitchinterval(interval)


def first_id(block: bytes) -> str | None:
    """Return the id of the first Etalab feature line of a block, if it is a valid IDU."""
    at = block.find(b"\n" + ID_PREFIX)
    if block.startswith(ID_PREFIX):
        at = -1
    elif at < 0:
        return None
    key = block[at + 1 : at + 1 + KEY_LENGTH]
    return key[ID_AT:-1].decode() if _KEYS.fullmatch(key) else None


def fast_block(block: bytes) -> tuple[list[bytes], list[bytes]] | None:
    """Split a block whose lines are all Etalab feature lines; None if any line is not.

    Returns the lines (each still ending with its comma) and their keys: the first 39 bytes,
    ``{"type":"Feature","id":"`` + the 14-character id + its closing quote, which proves the id
    has 14 characters. The whole block is checked with a few C-level passes (one regular
    expression over the keys, one comparison of the line ends), so that a million lines cost
    a fraction of a second; the feature of a line is then ``line[:-1]``, exactly what
    :func:`clean` would return.
    """
    lines = block.split(b"\n")
    lines.pop()  # the empty string after the block's last newline
    keys = [line[:39] for line in lines]
    if _KEYS.fullmatch(b"".join(keys)) is None:
        return None
    # Every line must end with "}," (one comma: clean() would strip a second one).
    if b"".join([line[-2:] for line in lines]) != b"}," * len(lines):
        return None
    return lines, keys


# --------------------------------------------------------------------------- COPY encoding

#: Columns of the binary COPY rows made by :func:`encode_parcels`, in order.
COPY_COLUMNS = (
    "departement",
    "idu",
    "commune",
    "prefixe",
    "section",
    "numero",
    "contenance",
    "arpente",
    "source_created",
    "source_updated",
    "source_hash",
    "geom",
)

_POLYGON = b'","geometry":{"type":"Polygon","coordinates":[[['
_MULTI = b'","geometry":{"type":"MultiPolygon","coordinates":[[[['
_POLYGON_END = b']]]},"properties":{'
_MULTI_END = b']]]]},"properties":{'
_CONTENANCE = b',"contenance":'
_ARPENTE = b',"arpente":'
#: The end of an Etalab feature: the properties the table keeps, in Etalab's order (Etalab
#: leaves ``contenance`` out when the DGFiP has none).
_TAIL = re.compile(
    rb'(?:,"contenance":(\d{1,9}|null))?,"arpente":(true|false|null),'
    rb'"created":(?:"(\d{4}-\d\d-\d\d)"|null),"updated":(?:"(\d{4}-\d\d-\d\d)"|null)\}\}'
)
_NULL = b"\xff\xff\xff\xff"
_BOOL = {b"true": b"\x00\x00\x00\x01\x01", b"false": b"\x00\x00\x00\x01\x00", b"null": _NULL}
_HEAD2 = struct.Struct(">hi2si14si5si3si2si4s")  # field count, departement … numero
_HEAD3 = struct.Struct(">hi3si14si5si3si2si4s")  # overseas départements (971…)
_INT = struct.Struct(">ii")
_UINT_LE = struct.Struct("<I")
_HASH = b"\x00\x00\x00\x10"
#: EWKB MultiPolygon (little-endian, SRID 4326), then its polygons: 1 byte order + type + count.
_EWKB_MULTI = b"\x01\x06\x00\x00\x20\xe6\x10\x00\x00"
_WKB_POLYGON = b"\x01\x03\x00\x00\x00"
_EPOCH = date(2000, 1, 1).toordinal()
_dates: dict[bytes | None, bytes] = {None: _NULL}
_simple_geoms: dict[int, bytes] = {}


def _date_field(text: bytes | None) -> bytes | None:
    """Binary COPY field of a date (days since 2000-01-01); None if the date does not exist."""
    if text is None:
        return _NULL
    value = _dates.get(text)
    if value is None:
        try:
            days = date.fromisoformat(text.decode()).toordinal() - _EPOCH
        except ValueError:
            return None
        value = _dates[text] = _INT.pack(4, days)
    return value


def _simple_geom_head(points: int) -> bytes:
    """Field length and EWKB header of a MultiPolygon of one polygon of one ring."""
    head = _simple_geoms.get(points)
    if head is None:
        head = _simple_geoms[points] = (
            struct.pack(">i", 26 + 16 * points)
            + _EWKB_MULTI
            + b"\x01\x00\x00\x00"
            + _WKB_POLYGON
            + b"\x01\x00\x00\x00"
            + _UINT_LE.pack(points)
        )
    return head


@dataclass(slots=True)
class Geometries:
    """The polygons of a batch as ragged arrays, for a vectorised validity check."""

    coords: np.ndarray[Any, np.dtype[np.float64]]
    rings: Any = field(default_factory=list)  # points per ring (list or array)
    polygons: Any = field(default_factory=list)  # rings per polygon
    parts: Any = field(default_factory=list)  # polygons per geometry

    def __add__(self, other: Geometries) -> Geometries:
        import numpy as np

        return Geometries(
            np.concatenate((self.coords, other.coords)),
            np.concatenate((np.asarray(self.rings, np.int64), np.asarray(other.rings, np.int64))),
            np.concatenate(
                (np.asarray(self.polygons, np.int64), np.asarray(other.polygons, np.int64))
            ),
            np.concatenate((np.asarray(self.parts, np.int64), np.asarray(other.parts, np.int64))),
        )

    def invalid(self) -> list[int]:
        """Indexes of the geometries that GEOS finds invalid (releases the GIL)."""
        import numpy as np
        import shapely
        from shapely import GeometryType

        if not len(self.parts):
            return []
        parts = np.asarray(self.parts, dtype=np.int64)
        # Mostly one polygon each: checking Polygons spares building MultiPolygon wrappers.
        levels = (
            (self.rings, self.polygons)
            if (parts == 1).all()
            else (self.rings, self.polygons, parts)
        )
        offsets = tuple(
            np.concatenate(([0], np.cumsum(np.asarray(sizes, dtype=np.int64)))) for sizes in levels
        )
        kind = GeometryType.POLYGON if len(levels) == 2 else GeometryType.MULTIPOLYGON
        geoms = shapely.from_ragged_array(kind, self.coords.reshape(-1, 2), offsets)
        return np.flatnonzero(~shapely.is_valid(geoms)).tolist()


@dataclass(slots=True)
class EncodedParcels:
    """A batch of parcels as binary COPY rows, plus what the fast encoding could not take."""

    data: bytes  # COPY rows (no header), in COPY_COLUMNS order
    idus: list[bytes]  # id of each encoded row, in order (for validity results)
    geometries: Geometries
    odd: list[int]  # indexes (in the input) of the features left to the general path


def _structure(body: bytes, multi: bool, geoms: Geometries) -> None:
    """Record the ring / polygon sizes of a coordinates body (outer brackets removed)."""
    polygons = body.split(b"]]],[[[") if multi else [body]
    for polygon in polygons:
        rings = polygon.split(b"]],[[")
        geoms.rings.extend(ring.count(b"],[") + 1 for ring in rings)
        geoms.polygons.append(len(rings))
    geoms.parts.append(len(polygons))


def encode_parcels(
    feats: list[tuple[bytes, bytes, int]], *, overseas: bool = False
) -> EncodedParcels:
    """Encode features (raw JSON, hash, row) in the Etalab layout as binary COPY rows.

    A feature qualifies when its geometry is a Polygon or MultiPolygon written first, with
    2-D coordinates in closed rings of at least four points, and its properties end with
    ``contenance``, ``arpente``, ``created``, ``updated`` as Etalab writes them. Its geometry
    becomes an EWKB MultiPolygon (what ``ST_Multi`` would store); coordinates are parsed by
    orjson (correctly rounded, like PostGIS's parser). The others are returned in ``odd``.

    The common case (a Polygon with every property given, in a metropolitan département:
    ``overseas`` says the batch is not) is encoded with numpy, a whole batch at a time; the
    rest feature by feature.
    """
    if overseas:
        return _encode_general(feats, list(range(len(feats))))
    index: list[int] = []
    bodies: list[bytes] = []
    tails: list[bytes] = []
    others: list[int] = []
    take, body, tail, other = index.append, bodies.append, tails.append, others.append
    start = 38 + len(_POLYGON)
    for i, feat in enumerate(feats):
        raw = feat[0]
        if raw.startswith(_POLYGON, 38):
            # Coordinates hold no brace: the first one closes the geometry.
            end = raw.find(b"}", start) - 3
            if raw.startswith(_POLYGON_END, end):
                take(i)
                body(raw[start:end])
                tail(raw[-_TAIL_SIZE:])
                continue
        other(i)
    standard = _encode_standard(feats, index, bodies, tails) if index else None
    if standard is None:
        return _encode_general(feats, sorted(others + index))
    data, idus, geoms, rejected = standard
    if not others and not rejected:
        return EncodedParcels(data, idus, geoms, [])
    rest = _encode_general(feats, sorted(others + rejected))
    return EncodedParcels(data + rest.data, idus + rest.idus, geoms + rest.geometries, rest.odd)


_TAIL_SIZE = 100
_SENTINEL = b",9e99,"
_HOLES = re.compile(rb"\]\],\[\[")


def _bytes(text: bytes) -> np.ndarray[Any, np.dtype[np.uint8]]:
    import numpy as np

    return np.frombuffer(text, dtype=np.uint8)


_T_END = b'"}}'
_T_UPDATED = b'","updated":"'
_T_CREATED = b',"created":"'
_T_FALSE = b',"arpente":false'
_T_TRUE = b',"arpente":true'
#: Binary COPY row of a standard parcel, less its coordinates; zeros are filled per row.
_ROW = (
    b"\x00\x0c"
    + b"\x00\x00\x00\x02"
    + bytes(2)  # departement (at 6)
    + b"\x00\x00\x00\x0e"
    + bytes(14)  # idu (12)
    + b"\x00\x00\x00\x05"
    + bytes(5)  # commune (30)
    + b"\x00\x00\x00\x03"
    + bytes(3)  # prefixe (39)
    + b"\x00\x00\x00\x02"
    + bytes(2)  # section (46)
    + b"\x00\x00\x00\x04"
    + bytes(4)  # numero (52)
    + b"\x00\x00\x00\x04"
    + bytes(4)  # contenance (60)
    + b"\x00\x00\x00\x01"
    + bytes(1)  # arpente (68)
    + b"\x00\x00\x00\x04"
    + bytes(4)  # source_created (73)
    + b"\x00\x00\x00\x04"
    + bytes(4)  # source_updated (81)
    + _HASH
    + bytes(16)  # source_hash (89)
    + bytes(4)  # geometry length (105)
    + _EWKB_MULTI
    + b"\x01\x00\x00\x00"
    + _WKB_POLYGON
    + b"\x01\x00\x00\x00"
    + bytes(4)  # points (131)
)


def _days(chars: np.ndarray[Any, np.dtype[np.uint8]]) -> tuple[Any, Any]:
    """Parse (n, 10) ``YYYY-MM-DD`` bytes: days since 2000-01-01, and which dates exist."""
    import numpy as np

    digits = np.array([1, 1, 1, 1, 0, 1, 1, 0, 1, 1], dtype=bool)  # YYYY-MM-DD
    d = chars.astype(np.int64) - 48
    ok = ((d[:, digits] >= 0) & (d[:, digits] <= 9)).all(axis=1)
    ok &= (chars[:, 4] == 45) & (chars[:, 7] == 45)
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 5] * 10 + d[:, 6]
    day = d[:, 8] * 10 + d[:, 9]
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    value = first + np.where(ok, day - 1, 0)
    ok &= value < (months + 1).astype("datetime64[M]").astype("datetime64[D]")  # 30 February
    return (value - np.datetime64("2000-01-01", "D")).astype(np.int64), ok


def _encode_standard(
    feats: list[tuple[bytes, bytes, int]], index: list[int], bodies: list[bytes], tails: list[bytes]
) -> tuple[bytes, list[bytes], Geometries, list[int]] | None:
    """Encode Polygons with all properties given, with numpy.

    ``bodies`` are the coordinates less their outer ``[[[`` and ``]]]``, ``tails`` the ends of
    the features. Returns the COPY data, ids and geometries of the features encoded, and those
    left to the general path (holes, odd properties); None if the coordinates do not parse.
    """
    import numpy as np

    n = len(index)
    rejected: list[int] = []
    # One JSON array of all the coordinates, a sentinel between features ("x,y],[x,y" becomes
    # "x,y,x,y"; no coordinate is 9e99). A polygon with holes ("]],[[") goes to the general
    # path.
    text = _SENTINEL.join(bodies)
    holes = [m.start() for m in _HOLES.finditer(text)]
    if holes:
        lengths = np.fromiter(map(len, bodies), np.int64, n)
        at = np.cumsum(lengths + len(_SENTINEL)) - lengths - len(_SENTINEL)  # body starts
        drop = np.unique(np.searchsorted(at, holes, side="right") - 1)
        keep = np.ones(n, dtype=bool)
        keep[drop] = False
        rejected = [index[k] for k in drop.tolist()]
        kept_rows = np.flatnonzero(keep).tolist()
        if not kept_rows:
            return b"", [], Geometries(np.empty(0)), rejected
        # Runs of kept features are contiguous in the text: join the runs, not the bodies.
        runs = np.split(np.asarray(kept_rows), np.flatnonzero(np.diff(kept_rows) > 1) + 1)
        text = _SENTINEL.join(
            text[int(at[run[0]]) : int(at[run[-1]] + lengths[run[-1]])] for run in runs
        )
        index = [index[k] for k in kept_rows]
        tails = [tails[k] for k in kept_rows]
        n = len(index)
    text = text.translate(None, b"[]")
    if b"t" in text or b"f" in text or b"n" in text or b'"' in text:
        return None  # true, false, null or strings where numbers are expected
    try:
        numbers = orjson.loads(b"[" + text + b"]")
        values = np.fromiter(numbers, dtype="<f8", count=len(numbers))
    except (orjson.JSONDecodeError, ValueError, TypeError):
        return None
    gaps = np.flatnonzero(values == 9e99)  # the sentinels between features
    if len(gaps) != n - 1:
        return None
    counts = np.diff(np.concatenate(([-1], gaps, [len(values)]))) - 1
    if (counts % 2).any():
        return None  # 3-D points, or numbers where a point was expected
    coords = np.delete(values, gaps)
    sizes = counts // 2
    xy = coords.reshape(-1, 2)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    ok = (sizes >= 4) & (xy[starts] == xy[np.maximum(ends - 1, 0)]).all(axis=1)
    # The properties, read at fixed offsets from the end of each feature.
    t = _bytes(b"".join(tails)).reshape(n, _TAIL_SIZE)
    ok &= (t[:, -3:] == _bytes(_T_END)).all(axis=1)
    ok &= (t[:, -26:-13] == _bytes(_T_UPDATED)).all(axis=1)
    ok &= (t[:, -48:-36] == _bytes(_T_CREATED)).all(axis=1)
    false = (t[:, -64:-48] == _bytes(_T_FALSE)).all(axis=1)
    ok &= false | (t[:, -63:-48] == _bytes(_T_TRUE)).all(axis=1)
    arpente_at = np.where(false, _TAIL_SIZE - 64, _TAIL_SIZE - 63)
    rows = np.arange(n)[:, None]
    window = t[rows, arpente_at[:, None] + np.arange(-9, 0)]  # contenance: up to 9 digits
    digit = (window >= 48) & (window <= 57)
    length = np.cumprod(digit[:, ::-1], axis=1).sum(axis=1)
    ok &= length >= 1
    key = t[rows, (arpente_at - length)[:, None] + np.arange(-len(_CONTENANCE), 0)]
    ok &= (key == _bytes(_CONTENANCE)).all(axis=1)
    in_number = np.arange(9) >= (9 - length)[:, None]
    contenance = ((window.astype(np.int64) - 48) * in_number * 10 ** np.arange(8, -1, -1)).sum(
        axis=1
    )
    created, created_ok = _days(t[:, -36:-26])
    updated, updated_ok = _days(t[:, -13:-3])
    ok &= created_ok & updated_ok
    keep = np.flatnonzero(ok)
    if len(keep) < n:
        rejected += [index[k] for k in np.flatnonzero(~ok).tolist()]
    m = len(keep)
    if not m:
        return b"", [], Geometries(np.empty(0)), rejected
    kept = keep.tolist() if m < n else range(n)
    raws = [feats[index[k]] for k in kept]
    idus = [feat[0][24:38] for feat in raws]
    ids = _bytes(b"".join(idus)).reshape(m, 14)
    head = np.empty((m, len(_ROW)), dtype=np.uint8)
    head[:] = _bytes(_ROW)
    head[:, 6:8] = ids[:, :2]
    head[:, 12:26] = ids
    head[:, 30:35] = ids[:, :5]
    head[:, 39:42] = ids[:, 5:8]
    head[:, 46:48] = ids[:, 8:10]
    head[:, 52:56] = ids[:, 10:14]
    head[:, 60:64] = contenance[keep].astype(">i4").view(np.uint8).reshape(m, 4)
    head[:, 68] = ~false[keep]
    head[:, 73:77] = created[keep].astype(">i4").view(np.uint8).reshape(m, 4)
    head[:, 81:85] = updated[keep].astype(">i4").view(np.uint8).reshape(m, 4)
    head[:, 89:105] = _bytes(b"".join([feat[1] for feat in raws])).reshape(m, 16)
    kept_sizes = sizes[keep]
    head[:, 105:109] = (26 + 16 * kept_sizes).astype(">i4").view(np.uint8).reshape(m, 4)
    head[:, 131:135] = kept_sizes.astype("<u4").view(np.uint8).reshape(m, 4)
    width = len(_ROW)
    heads = head.tobytes()
    buf = coords.tobytes()
    offsets = (16 * starts[keep]).tolist()
    spans = (16 * (starts[keep] + kept_sizes)).tolist()
    data = b"".join(
        chain.from_iterable(
            zip(
                [heads[j : j + width] for j in range(0, m * width, width)],
                [buf[a:b] for a, b in zip(offsets, spans, strict=True)],
                strict=True,
            )
        )
    )
    if m < n:
        xy = xy[np.repeat(ok, sizes)]
    geoms = Geometries(xy.reshape(-1), kept_sizes, np.ones(m, np.int64), np.ones(m, np.int64))
    return data, idus, geoms, rejected


def _encode_general(feats: list[tuple[bytes, bytes, int]], indexes: list[int]) -> EncodedParcels:
    """Encode the features ``indexes`` one by one (any Polygon or MultiPolygon, any nulls)."""
    import numpy as np

    bodies: list[bytes] = []
    taken: list[tuple[int, bool, Any]] = []
    odd: list[int] = []
    dates = _dates
    for i in indexes:
        raw = feats[i][0]
        if raw.startswith(_POLYGON, 38):
            start, multi = 38 + len(_POLYGON), False
            end = raw.find(_POLYGON_END, start)
        elif raw.startswith(_MULTI, 38):
            start, multi = 38 + len(_MULTI), True
            end = raw.find(_MULTI_END, start)
        else:
            odd.append(i)
            continue
        at = raw.rfind(_CONTENANCE)
        tail = _TAIL.fullmatch(raw, at if at > 0 else raw.rfind(_ARPENTE)) if end > 0 else None
        if tail is None:
            odd.append(i)
            continue
        contenance, arpente, created, updated = tail.groups()
        created_f = dates.get(created) or _date_field(created)
        updated_f = dates.get(updated) or _date_field(updated)
        if created_f is None or updated_f is None:
            odd.append(i)  # an impossible date: PostgreSQL judges it on the general path
            continue
        props = (
            _NULL if contenance is None or contenance == b"null" else _INT.pack(4, int(contenance)),
            _BOOL[arpente],
            created_f,
            updated_f,
        )
        bodies.append(raw[start:end])
        taken.append((i, multi, props))
    if not taken:
        return EncodedParcels(b"", [], Geometries(np.empty(0)), odd)
    data, idus, geoms, rejected = _encode_bisect(feats, bodies, taken)
    return EncodedParcels(data, idus, geoms, sorted(odd + rejected))


def _encode_bisect(
    feats: list[tuple[bytes, bytes, int]], bodies: list[bytes], taken: list[tuple[int, bool, Any]]
) -> tuple[bytes, list[bytes], Geometries, list[int]]:
    """Encode a batch; if its coordinates do not parse, find the culprits by halving it."""
    import numpy as np

    encoded = _encode_taken(feats, bodies, taken)
    if encoded is not None:
        return encoded
    if len(taken) == 1:
        return b"", [], Geometries(np.empty(0)), [taken[0][0]]
    half = len(taken) // 2
    first = _encode_bisect(feats, bodies[:half], taken[:half])
    second = _encode_bisect(feats, bodies[half:], taken[half:])
    geoms = Geometries(
        np.concatenate((first[2].coords, second[2].coords)),
        first[2].rings + second[2].rings,
        first[2].polygons + second[2].polygons,
        first[2].parts + second[2].parts,
    )
    return first[0] + second[0], first[1] + second[1], geoms, first[3] + second[3]


def _encode_taken(
    feats: list[tuple[bytes, bytes, int]], bodies: list[bytes], taken: list[tuple[int, bool, Any]]
) -> tuple[bytes, list[bytes], Geometries, list[int]] | None:
    """Encode features whose layout qualified; None if their coordinates do not parse."""
    import numpy as np

    geoms = Geometries(np.empty(0))
    for body, (_, multi, _) in zip(bodies, taken, strict=True):
        if b"]],[[" in body:
            _structure(body, multi, geoms)
        else:  # the common case: one polygon, one ring
            geoms.rings.append(body.count(b"],[") + 1)
            geoms.polygons.append(1)
            geoms.parts.append(1)
    text = b",".join(bodies)
    if b"]],[[" in text:
        text = text.translate(None, b"[]")
    else:
        text = text.replace(b"],[", b",")
    if b"t" in text or b"f" in text or b'"' in text:
        return None  # true, false or strings where numbers are expected
    try:
        coords = np.array(orjson.loads(b"[" + text + b"]"), dtype="<f8")
    except (orjson.JSONDecodeError, ValueError, TypeError):
        return None
    sizes = np.asarray(geoms.rings, dtype=np.int64)
    if coords.ndim != 1 or len(coords) != 2 * int(sizes.sum()) or np.isnan(coords).any():
        return None  # 3-D points, nulls, or numbers where a point was expected
    xy = coords.reshape(-1, 2)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    ok_rings = (sizes >= 4) & (xy[starts] == xy[ends - 1]).all(axis=1)
    if not ok_rings.all():
        # Unclosed or too short rings: PostGIS refuses them as WKB; the general path parses
        # them as GeoJSON, as before. Drop those features from the arrays.
        ring_row = np.repeat(
            np.repeat(np.arange(len(taken)), geoms.parts), geoms.polygons
        )  # feature of each ring
        bad_rows = set(ring_row[~ok_rings].tolist())
        bad = [taken[k][0] for k in sorted(bad_rows)]
        keep = [k for k in range(len(taken)) if k not in bad_rows]
        if not keep:
            return b"", [], Geometries(np.empty(0)), bad
        result = _encode_bisect(feats, [bodies[k] for k in keep], [taken[k] for k in keep])
        return result[0], result[1], result[2], sorted(bad + result[3])
    geoms.coords = coords
    buf = coords.data.cast("B")
    parts: list[bytes | memoryview] = []
    append = parts.append
    keys: list[bytes] = []
    heads = _simple_geoms
    offset = ring = polygon = 0
    for k, (i, _, props) in enumerate(taken):
        raw, dig = feats[i][0], feats[i][1]
        idu = raw[24:38]
        if idu[:2] == b"97":
            append(_HEAD3.pack(12, 3, idu, 14, idu, 5, idu, 3, idu[5:], 2, idu[8:], 4, idu[10:]))
        else:
            append(_HEAD2.pack(12, 2, idu, 14, idu, 5, idu, 3, idu[5:], 2, idu[8:], 4, idu[10:]))
        parts.extend(props)
        append(_HASH)
        append(dig)
        n_polygons = geoms.parts[k]
        if n_polygons == 1 and geoms.polygons[polygon] == 1:
            points = geoms.rings[ring]
            append(heads.get(points) or _simple_geom_head(points))
            append(buf[offset : offset + 16 * points])
            offset += 16 * points
            ring += 1
            polygon += 1
        else:
            wkb = [_EWKB_MULTI, _UINT_LE.pack(n_polygons)]
            for _ in range(n_polygons):
                n_rings = geoms.polygons[polygon]
                wkb.append(_WKB_POLYGON + _UINT_LE.pack(n_rings))
                for _ in range(n_rings):
                    points = geoms.rings[ring]
                    wkb.append(_UINT_LE.pack(points))
                    wkb.append(bytes(buf[offset : offset + 16 * points]))
                    offset += 16 * points
                    ring += 1
                polygon += 1
            body = b"".join(wkb)
            append(struct.pack(">i", len(body)))
            append(body)
        keys.append(idu)
    return b"".join(parts), keys, geoms, []


# --------------------------------------------------------------------------- general helpers


def split(raw: bytes) -> tuple[bytes | None, dict[str, Any]]:
    """Return (geometry JSON bytes, properties dict) of a feature, cheaply when possible."""
    cut = raw.rfind(_PROPS)
    geo = raw.find(b'"geometry":')
    if cut > 0 and 0 < geo < cut and raw.endswith(b"}"):
        try:
            props = orjson.loads(raw[cut + len(_PROPS) : -1])
            geometry = raw[geo + len(b'"geometry":') : cut]
            return (None if geometry == b"null" else geometry), props or {}
        except orjson.JSONDecodeError:
            pass
    feat = orjson.loads(raw)
    geometry = feat.get("geometry")
    return (None if geometry is None else orjson.dumps(geometry)), feat.get("properties") or {}


def layer_of(path: Path) -> str:
    """Return the Etalab layer of a file name: ``parcelles``, ``batiments``…"""
    name = path.name.split(".")[0]
    return name.rsplit("-", 1)[-1] if name.startswith("cadastre-") else "unknown"


def code_of(path: Path) -> str | None:
    """Return the commune or département code of an Etalab file name, if it has one."""
    name = path.name.split(".")[0]
    parts = name.split("-")
    return parts[1] if len(parts) == 3 and parts[0] == "cadastre" else None


def copy_escape(value: bytes) -> bytes:
    """Escape bytes for PostgreSQL's COPY text format."""
    if b"\\" in value or b"\t" in value or b"\n" in value or b"\r" in value:
        value = (
            value.replace(b"\\", b"\\\\")
            .replace(b"\t", b"\\t")
            .replace(b"\n", b"\\n")
            .replace(b"\r", b"\\r")
        )
    return value
