"""Build a département-sized Etalab cadastre file (>= 1 000 000 parcels) and its next millésime.

The three real commune files of ``data/cadastre/etalab/`` (15 205 parcels) are tiled: copy ``k``
shifts every coordinate by a multiple of 0.1° in lon/lat (a grid around the originals, inside
France) and renumbers the communes ``45001``, ``45002``, … (Loiret), so that every IDU is new and
unique and every parcel lands in the real ``parcel_45`` partition. Prefix, section and number are
kept, so an IDU stays ``commune(5) + prefixe(3) + section(2) + numero(4)``.

Two files are written, in the Etalab layout (first line ``{"type":"FeatureCollection",
"features":[``, then one Feature per line, comma-terminated, the last one closed by ``]}``):

* ``out/millesime-1/cadastre-45-parcelles.json.gz``: the first load;
* ``out/millesime-2/cadastre-45-parcelles.json.gz``: the "next millésime", identical byte for
  byte except ≈ 2 % of parcels changed (geometry moved by a few cm and/or ``contenance`` changed,
  ``updated`` later), ≈ 0.5 % new parcels (new numbers in the same section) and ≈ 0.5 % removed.

``out/manifest.json`` records the counts and the IDU samples the benchmark checks. The output is
deterministic (seeded, gzip mtime 0): same arguments, same bytes.

Shifting by whole tenths of a degree only changes the leading digits of a coordinate
(``2.3264631`` + 0.1 → ``2.4264631``), so each source feature is turned once into a
``str.format_map`` template and each copy is one C-level format call: no float is parsed or
printed for the 98 % of parcels that are copied verbatim. Memory stays under ~200 MB.

Run: ``.venv/bin/python bench/ingest/make_dataset.py [--tiles 66] [--out bench/ingest/out]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import queue
import random
import re
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "data" / "cadastre" / "etalab").glob("cadastre-*-parcelles.json.gz"))
HEADER = b'{"type":"FeatureCollection","features":[\n'
FOOTER = b"]}"
DEPARTEMENT = "45"  # Loiret: parcel_45 exists in the migrations' list of partitions.
#: Grid of offsets in tenths of a degree: lon −0.2 … +0.6, lat −0.4 … +0.4 (9 × 9 = 81 slots).
LON_STEPS = range(-2, 7)
LAT_STEPS = range(-4, 5)
#: France (mainland) bounds that every shifted coordinate must stay in.
LON_BOUNDS, LAT_BOUNDS = (-5.0, 9.5), (42.0, 51.0)
NEXT_UPDATED = "2025-12-01"  # later than every `updated` of the sources (max 2025-08-04)
P_REMOVED, P_CHANGED, P_NEW = 0.005, 0.02, 0.005

_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_GEOMETRY = re.compile(rb'"geometry":(\{.*?\}),"properties":')


@dataclass
class Template:
    """One source feature, ready to be copied with another commune code and offset."""

    idu_rest: str  # prefixe + section + numero (9 characters)
    section_key: tuple[int, str]  # (source index, prefixe + section), to number new parcels
    numero: int
    text: str  # str.format_map template: {c} = commune code, {hN} = shifted leading digits


@dataclass
class Heads:
    """Distinct leading parts (``2.3``, ``48.6``) of the coordinates, per axis."""

    keys: dict[tuple[int, int], str] = field(default_factory=dict)  # (axis, tenths) → "hN"

    def key(self, axis: int, tenths: int) -> str:
        """Return the template field name for this axis and leading value (in tenths)."""
        k = (axis, tenths)
        if k not in self.keys:
            self.keys[k] = f"h{len(self.keys)}"
        return self.keys[k]

    def mapping(self, dlon: int, dlat: int) -> dict[str, str]:
        """Return the field values for an offset of (dlon, dlat) tenths of a degree."""
        out = {}
        for (axis, tenths), name in self.keys.items():
            t = tenths + (dlon if axis == 0 else dlat)
            if t < 0:
                raise SystemExit("an offset would make a coordinate change sign; move the grid")
            out[name] = f"{t // 10}.{t % 10}"
        return out


def _escape(s: str) -> str:
    return s.replace("{", "{{").replace("}", "}}")


def _geometry_template(geom: bytes, heads: Heads, bbox: list[float]) -> str:
    """Replace each coordinate ``I.Dtail`` by ``{hN}tail`` (hN = I.D shifted)."""
    parts: list[str] = []
    last = 0
    for n, m in enumerate(_NUMBER.finditer(geom)):
        axis = n % 2
        s = m.group().decode()
        if s.startswith("-") or "e" in s.lower():
            raise SystemExit(f"unsupported coordinate {s!r} (negative or exponent)")
        whole, _, frac = s.partition(".")
        frac = frac or "0"
        tenths = int(whole) * 10 + int(frac[0])
        v = float(s)
        bbox[axis] = min(bbox[axis], v)
        bbox[axis + 2] = max(bbox[axis + 2], v)
        parts.append(_escape(geom[last : m.start()].decode()))
        parts.append("{" + heads.key(axis, tenths) + "}" + frac[1:])
        last = m.end()
    parts.append(_escape(geom[last:].decode()))
    return "".join(parts)


def load_templates() -> tuple[list[Template], Heads, list[float], dict[tuple[int, str], int]]:
    """Read the source files into templates; check the layout; return the section maxima."""
    if len(SOURCES) != 3:
        print(f"warning: expected 3 source files, found {len(SOURCES)}", file=sys.stderr)
    heads = Heads()
    bbox = [999.0, 999.0, -999.0, -999.0]
    templates: list[Template] = []
    section_max: dict[tuple[int, str], int] = defaultdict(int)
    for src_index, path in enumerate(SOURCES):
        raw = gzip.decompress(path.read_bytes())
        lines = raw.split(b"\n")
        if lines[0] + b"\n" != HEADER or not lines[-1].endswith(b"}" + FOOTER):
            raise SystemExit(f"{path.name}: not the Etalab one-feature-per-line layout")
        body = lines[1:]
        for i, line in enumerate(body):
            last = i == len(body) - 1
            text = line[: -len(FOOTER)] if last else line.rstrip(b",")
            if not last and not line.endswith(b","):
                raise SystemExit(f"{path.name}:{i + 2}: feature line not comma-terminated")
            feat = json.loads(text)
            props = feat["properties"]
            idu = props["id"]
            if feat.get("id") != idu or len(idu) != 14 or props["commune"] != idu[:5]:
                raise SystemExit(f"{path.name}:{i + 2}: unexpected ids {feat.get('id')!r}")
            gm = _GEOMETRY.search(text)
            if gm is None or json.loads(gm.group(1)) != feat["geometry"]:
                raise SystemExit(f"{path.name}:{i + 2}: geometry not found where expected")
            geom_t = _geometry_template(gm.group(1), heads, bbox)
            marker = "@@COMMUNE@@"
            props_t = _escape(
                json.dumps(
                    {**props, "id": marker + idu[5:], "commune": marker},
                    separators=(",", ":"),
                    ensure_ascii=False,
                )
            ).replace(marker, "{c}")
            feature_t = (
                '{{"type":"Feature","id":"{c}'
                + idu[5:]
                + '","geometry":'
                + geom_t
                + ',"properties":'
                + props_t
                + "}}"
            )
            # The template must give back the source line exactly (code + zero offset).
            if feature_t.format_map({"c": idu[:5], **heads.mapping(0, 0)}).encode() != text:
                raise SystemExit(f"{path.name}:{i + 2}: template does not round-trip")
            key = (src_index, idu[5:10])
            numero = int(idu[10:14])
            section_max[key] = max(section_max[key], numero)
            templates.append(Template(idu[5:], key, numero, feature_t))
    return templates, heads, bbox, section_max


def _move(geometry: dict, dx: float, dy: float) -> dict:
    """Translate a (Multi)Polygon by (dx, dy) degrees, keeping 7 decimals as Etalab does."""

    def ring(r: list) -> list:
        return [[round(x + dx, 7), round(y + dy, 7)] for x, y in r]

    c = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in c]}
    return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in p] for p in c]}


def _dump(feat: dict) -> bytes:
    return json.dumps(feat, separators=(",", ":"), ensure_ascii=False).encode()


class GzipWriter:
    """A gzip file written by its own thread: zlib releases the GIL, so two files use two cores."""

    def __init__(self, path: Path, level: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = path.open("wb")
        # filename="" and mtime=0: the same input gives the same bytes.
        self._gz = gzip.GzipFile(
            filename="", mode="wb", compresslevel=level, mtime=0, fileobj=self._raw
        )
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while (data := self._queue.get()) is not None:
                self._gz.write(data)
            self._gz.close()
            self._raw.close()
        except BaseException as exc:  # noqa: BLE001 - reported by close()
            self._error = exc
            while self._queue.get() is not None:  # drain so that write() never blocks
                pass

    def write(self, data: bytes) -> None:
        """Queue ``data`` for compression."""
        self._queue.put(data)

    def close(self) -> None:
        """Flush, close the file and re-raise a writer error."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def _gzip(path: Path, level: int, stack: contextlib.ExitStack) -> GzipWriter:
    writer = GzipWriter(path, level)
    stack.callback(writer.close)
    return writer


def _offsets(tiles: int) -> list[tuple[int, int]]:
    """Grid slots nearest the centre first, so that fewer tiles stay more compact."""
    slots = [(i, j) for j in LAT_STEPS for i in LON_STEPS]
    ci = (LON_STEPS.start + LON_STEPS.stop - 1) / 2
    cj = (LAT_STEPS.start + LAT_STEPS.stop - 1) / 2
    slots.sort(key=lambda s: ((s[0] - ci) ** 2 + (s[1] - cj) ** 2, s[1], s[0]))
    if tiles > len(slots):
        raise SystemExit(f"at most {len(slots)} tiles")
    return slots[:tiles]


def main(argv: list[str] | None = None) -> int:
    """Write the two millésimes and the manifest; print the counts."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiles", type=int, default=66, help="copies of the sources (default 66)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    ap.add_argument("--seed", type=int, default=20251201)
    ap.add_argument("--level", type=int, default=6, help="gzip level (default 6, as gzip(1))")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    templates, heads, bbox, section_max = load_templates()
    n_sources = len(SOURCES)
    if args.tiles * n_sources > 999:
        raise SystemExit("too many tiles: commune codes 45001..45999 only")
    offsets = _offsets(args.tiles)
    lon_lo = bbox[0] + min(o[0] for o in offsets) / 10
    lon_hi = bbox[2] + max(o[0] for o in offsets) / 10
    lat_lo = bbox[1] + min(o[1] for o in offsets) / 10
    lat_hi = bbox[3] + max(o[1] for o in offsets) / 10
    if not (
        LON_BOUNDS[0] <= lon_lo
        and lon_hi <= LON_BOUNDS[1]
        and LAT_BOUNDS[0] <= lat_lo
        and lat_hi <= LAT_BOUNDS[1]
    ):
        raise SystemExit(f"tiles leave France: lon {lon_lo}..{lon_hi}, lat {lat_lo}..{lat_hi}")

    rng = random.Random(args.seed)
    first = args.out / "millesime-1" / f"cadastre-{DEPARTEMENT}-parcelles.json.gz"
    nxt = args.out / "millesime-2" / f"cadastre-{DEPARTEMENT}-parcelles.json.gz"
    kinds = (
        "rows_first",
        "rows_next",
        "unchanged",
        "changed",
        "changed_geometry",
        "changed_contenance",
        "new",
        "removed",
    )
    counts = dict.fromkeys(kinds, 0)
    samples: dict[str, list[str]] = {"unchanged": [], "changed": [], "new": [], "removed": []}
    md5 = {"first": hashlib.md5(), "next": hashlib.md5()}  # noqa: S324 - checksum, not security
    sep1 = sep2 = b""
    with contextlib.ExitStack() as stack:
        gz1, gz2 = _gzip(first, args.level, stack), _gzip(nxt, args.level, stack)
        gz1.write(HEADER)
        gz2.write(HEADER)
        for k, (dlon, dlat) in enumerate(offsets):
            mapping = heads.mapping(dlon, dlat)
            codes = [f"{DEPARTEMENT}{k * n_sources + s + 1:03d}" for s in range(n_sources)]
            next_numero = dict(section_max)
            chunk1: list[bytes] = []
            chunk2: list[bytes] = []
            for t in templates:
                code = codes[t.section_key[0]]
                line = t.text.format_map({"c": code, **mapping}).encode()
                idu = code + t.idu_rest
                chunk1.append(line)
                counts["rows_first"] += 1
                r = rng.random()
                if r < P_REMOVED:
                    counts["removed"] += 1
                    _sample(samples["removed"], idu)
                    continue
                if r < P_REMOVED + P_CHANGED:
                    feat = json.loads(line)
                    what = rng.choice(("geometry", "geometry", "contenance", "contenance", "both"))
                    if what in ("geometry", "both"):
                        d = [rng.choice((-1, 1)) * rng.randint(1, 30) * 1e-7 for _ in "xy"]
                        feat["geometry"] = _move(feat["geometry"], d[0], d[1])
                        counts["changed_geometry"] += 1
                    if what in ("contenance", "both"):
                        old = feat["properties"].get("contenance") or 100
                        delta = rng.randint(1, 50)
                        down = old - delta >= 1 and rng.random() < 0.5
                        new = old - delta if down else old + delta
                        feat["properties"]["contenance"] = new
                        counts["changed_contenance"] += 1
                    feat["properties"]["updated"] = NEXT_UPDATED
                    chunk2.append(_dump(feat))
                    counts["changed"] += 1
                    _sample(samples["changed"], idu)
                else:
                    chunk2.append(line)
                    counts["unchanged"] += 1
                    _sample(samples["unchanged"], idu)
                    if r >= 1 - P_NEW:  # a new parcel (a split), numbered after the section's last
                        next_numero[t.section_key] += 1
                        numero = next_numero[t.section_key]
                        if numero > 9999:
                            continue
                        feat = json.loads(line)
                        new_idu = idu[:10] + f"{numero:04d}"
                        feat["id"] = new_idu
                        p = feat["properties"]
                        p["id"], p["numero"] = new_idu, str(numero)
                        p["created"] = p["updated"] = NEXT_UPDATED
                        feat["geometry"] = _move(feat["geometry"], 2e-6, -2e-6)
                        chunk2.append(_dump(feat))
                        counts["new"] += 1
                        _sample(samples["new"], new_idu)
            counts["rows_next"] += len(chunk2)
            for gz, chunk, name, sep in ((gz1, chunk1, "first", sep1), (gz2, chunk2, "next", sep2)):
                data = sep + b",\n".join(chunk)
                gz.write(data)
                md5[name].update(data)
            sep1 = sep2 = b",\n"
            if sys.stderr.isatty():
                print(f"\rtile {k + 1}/{len(offsets)}", end="", file=sys.stderr, flush=True)
        gz1.write(FOOTER)
        gz2.write(FOOTER)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    seconds = time.perf_counter() - t0
    manifest = {
        "generator": "bench/ingest/make_dataset.py",
        "args": {"tiles": args.tiles, "seed": args.seed, "level": args.level},
        "sources": [p.name for p in SOURCES],
        "departement": DEPARTEMENT,
        "communes": f"{DEPARTEMENT}001..{DEPARTEMENT}{args.tiles * n_sources:03d}",
        "bbox": [round(lon_lo, 7), round(lat_lo, 7), round(lon_hi, 7), round(lat_hi, 7)],
        "first": {"path": str(first.relative_to(args.out)), "bytes": first.stat().st_size},
        "next": {"path": str(nxt.relative_to(args.out)), "bytes": nxt.stat().st_size},
        "md5_uncompressed": {k: v.hexdigest() for k, v in md5.items()},
        "counts": counts,
        "samples": samples,
        "next_updated": NEXT_UPDATED,
        "seconds": round(seconds, 1),
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    c = counts
    print(
        f"{first}: {c['rows_first']} parcels, {first.stat().st_size / 1e6:.0f} MB\n"
        f"{nxt}: {c['rows_next']} parcels, {nxt.stat().st_size / 1e6:.0f} MB: "
        f"{c['unchanged']} unchanged, {c['changed']} changed ({c['changed_geometry']} geometry, "
        f"{c['changed_contenance']} contenance), {c['new']} new, {c['removed']} removed\n"
        f"bbox {manifest['bbox']}, communes {manifest['communes']}, {seconds:.1f} s"
    )
    return 0


def _sample(bucket: list[str], idu: str, size: int = 20) -> None:
    if len(bucket) < size:
        bucket.append(idu)


if __name__ == "__main__":
    sys.exit(main())
