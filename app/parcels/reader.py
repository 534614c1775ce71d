"""Streaming reader of Etalab cadastre GeoJSON files (``cadastre-<code>-<layer>.json[.gz]``).

Etalab writes one Feature per line (``{"type":"Feature","id":"…","geometry":…,
"properties":…}``): the fast path reads those lines as bytes, takes the id by slicing and hashes
the line, so that an unchanged parcel is recognised without parsing its JSON. Files laid out
otherwise (pretty-printed GeoJSON) are streamed feature by feature with ijson, memory bounded
whatever their size. Nothing here touches the database.
"""

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson
import orjson
import xxhash

_FEATURE_PREFIX = b'{"type":"Feature"'
_ID_PREFIX = b'{"type":"Feature","id":"'
_PROPS = b',"properties":'


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
        return gzip.open(path, "rb")
    return path.open("rb")


def _is_line_delimited(path: Path) -> bool:
    with open_binary(path) as fh:
        for _ in range(3):
            line = fh.readline().strip()
            if line.startswith(_FEATURE_PREFIX):
                return True
    return False


def _clean(line: bytes) -> bytes:
    line = line.strip()
    if line.endswith(b"]}"):  # the last feature carries the end of the collection
        line = line[:-2].rstrip()
    return line.rstrip(b",")


def _feature_id(raw: bytes) -> str | None:
    if raw.startswith(_ID_PREFIX):
        end = raw.find(b'"', len(_ID_PREFIX))
        return raw[len(_ID_PREFIX) : end].decode()
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
    if _is_line_delimited(path):
        with open_binary(path) as fh:
            row = 0
            for line in fh:
                raw = _clean(line)
                if not raw or raw in (b"]", b"}", b"]}") or b'"FeatureCollection"' in raw[:60]:
                    continue
                row += 1
                yield RawFeature(row, _feature_id(raw), xxhash.xxh3_128_digest(raw), raw)
        return
    with open_binary(path) as fh:
        for row, feat in enumerate(ijson.items(fh, "features.item", use_float=True), start=1):
            raw = orjson.dumps(feat)
            fid = feat.get("id") or (feat.get("properties") or {}).get("id")
            yield RawFeature(
                row, None if fid is None else str(fid), xxhash.xxh3_128_digest(raw), raw
            )


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
