"""Import Etalab cadastre layers (``cadastre-<code>-parcelles.json[.gz]``, ``-batiments``).

Parcels, in one streaming pass over each file (DOMAIN.md §3, Etalab cadastre GeoJSON):

1. the stored parcels of the file's département (or commune, for a commune file) are fetched
   as (IDU, hash of the source feature) — a million in about a second;
2. the file is read in blocks; each feature is hashed as raw bytes and looked up: an unchanged
   parcel is only counted, without parsing its JSON; malformed or duplicate ids are
   quarantined with their row number;
3. new or changed parcels are encoded to binary COPY rows (geometry as EWKB), their validity
   checked by GEOS, and streamed into a *load table* while the file is still being read (in
   worker processes for a large file: ``app.parcels.encoding``);
4. invalid polygons are repaired with ST_MakeValid and flagged ``geom_repaired``; features the
   fast encoding does not take go through PostGIS's GeoJSON parser, as before;
5. parcels of the file's communes that the file no longer lists are deleted (a newer
   millésime), then the load table is upserted into ``parcel`` — or, when it holds a large part
   of the département (a first load), becomes its partition, indexes built once
   (``repository.swap_in``).

Re-importing an unchanged file therefore parses no JSON and writes nothing. Every row is
accounted for: ``rows = imported + updated + unchanged + quarantined``. An import runs in the
caller's transaction: all files or nothing. Buildings have no stable id: a commune's buildings
are replaced as a whole.
"""

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import asdict, dataclass, field
from itertools import islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app.geo.crs import departement_of
from app.parcels import reader, repository
from app.parcels.encoding import Encoder, Pending, processes_for
from app.progress import no_progress
from app.sites.cnig import IDU_RE

log = logging.getLogger(__name__)
T = TypeVar("T")
Progress = Callable[[Iterable[T], str], Iterable[T]]

#: A département's partition is rebuilt rather than upserted into when the file writes at least
#: this share of it (and this many rows): maintaining a GiST index row by row costs about ten
#: times more per row than building it in one pass.
REBUILD_SHARE = 0.25
REBUILD_MIN_ROWS = 20_000
_COMMUNE_OF_KEY = itemgetter(slice(reader.ID_AT, reader.ID_AT + 5))
#: Blocks of lines (4 MB each) read and checked ahead while the stored parcels are fetched.
PREFETCH_BLOCKS = 64


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


class _Ticker:
    """Drive a ``progress(iterable, label)`` callback by counts rather than item by item.

    The callback wraps an endless iterable. A bar with an ``update(n)`` method (tqdm) is moved
    on by counts; any other iterable has ``n`` items consumed at C speed (``islice`` into a
    zero-length deque). Iterating a tqdm bar item by item would cost 0.4 µs a row, half a
    second on a million parcels.
    """

    def __init__(self, progress: Progress[None], label: str) -> None:
        self._bar = progress(repeat(None), label)
        update = getattr(self._bar, "update", None)
        self._update: Callable[[int], object] | None = update if callable(update) else None
        self._items = iter(self._bar) if self._update is None else None

    def advance(self, n: int) -> None:
        """Move the bar on by ``n`` rows."""
        if self._update is not None:
            self._update(n)
        else:
            deque(islice(self._items, n), maxlen=0)

    def close(self) -> None:
        """Close the bar."""
        close = getattr(self._bar, "close", None) or getattr(self._items, "close", None)
        if close is not None:
            close()


class _ParcelImport:
    """The import of one parcel file: scan, classify, encode, then write."""

    def __init__(
        self, session: Session, path: Path, ticker: _Ticker, processes: int | None
    ) -> None:
        self.session = session
        self.path = path
        self.ticker = ticker
        self.report = ImportReport(files=[path.name])
        code = reader.code_of(path)
        #: A commune file is compared with its commune only, a département file with its
        #: département (one query each); a feature outside is loaded on demand.
        self.by_commune = code is not None and len(code) == 5
        #: key (``{"type":"Feature","id":"<IDU>"``) → stored source hash; replaced by the row
        #: number once the file has listed it.
        self.stored: dict[bytes, bytes | int] = {}
        #: key → first row, for ids not stored.
        self.fresh: dict[bytes, int] = {}
        self.scopes: set[str] = set()
        #: Communes the file lists (as bytes): only their parcels may be deleted.
        self.communes: set[bytes] = set()
        #: Stored parcels per département, when the whole département was fetched.
        self.dep_rows: dict[str, int] = {}
        self.row = 0
        #: Changed features that replace a stored parcel (the rest are new).
        self.replacing = 0
        #: Rows written to each département's load table (less those dropped since).
        self.written: dict[str, int] = {}
        self.pending: dict[str, list[Pending]] = {}
        self.odd: dict[str, list[Pending]] = {}
        self.loads: dict[str, str] = {}  # département → load table
        self.writer = repository.LoadWriter(session)
        self.encoder = Encoder(processes_for(path, processes))
        #: Per département, the ids of the invalid geometries written, once checked.
        self.checks: list[tuple[str, Future[list[bytes]]]] = []

    # ----------------------------------------------------------------------- scan

    def run(self) -> ImportReport:
        """Import the file; return its report."""
        started = time.perf_counter()
        try:
            self.scan()
            self.writer.pause()
            log.debug("%s: scanned in %.2f s", self.path.name, time.perf_counter() - started)
        except BaseException as exc:
            self.writer.abort(exc)
            raise
        finally:
            self.encoder.close()
            self.ticker.close()
        self.write()
        log.debug("%s: done in %.2f s", self.path.name, time.perf_counter() - started)
        self.report.errors.sort(key=lambda e: e["row"])
        return self.report

    def scan(self) -> None:
        """Read the file, classify every feature, and stream the changed ones to PostgreSQL."""
        if not reader.is_line_delimited(self.path):
            for feat in reader.pretty_features(self.path):
                self.row = feat.row
                self.feature(feat.row, feat.id, feat.raw)
                self.ticker.advance(1)
            self.flush(force=True)
            return
        # closing(): stop the reading thread at once if anything fails.
        with closing(reader.blocks(self.path)) as blocks:
            for block, split in self.prefetch(blocks):
                self.block(block, split)
            for block in blocks:
                self.block(block, reader.fast_block(block))
        self.flush(force=True)

    def prefetch(self, blocks: Iterator[bytes]) -> list[tuple[bytes, Any]]:
        """Fetch the first feature's scope while the first blocks are split and checked.

        PostgreSQL takes about half a second to send a département's million hashes; the
        fetch runs in a thread (the session is not used elsewhere meanwhile) and this thread
        gets the next blocks ready. Returns the blocks read, with their :func:`fast_block`.
        """
        first = next(blocks, None)
        if first is None:
            return []
        ready: list[tuple[bytes, Any]] = [(first, reader.fast_block(first))]
        idu = reader.first_id(first)
        if idu is None:  # let the general path load what it needs
            return ready
        with ThreadPoolExecutor(1, thread_name_prefix="fetch") as pool:
            fetching = pool.submit(self.fetch_scope, idu)
            while not fetching.done() and len(ready) < PREFETCH_BLOCKS:
                block = next(blocks, None)
                if block is None:
                    break
                ready.append((block, reader.fast_block(block)))
            self.add_scope(*fetching.result())
        return ready

    def block(self, block: bytes, split: tuple[list[bytes], list[bytes]] | None) -> None:
        """Classify the features of one block of lines."""
        before = self.row
        if split is not None and self.in_scope(split[1]):
            if self.encoder.takes_blocks and self.all_new(split[1]):
                self.new_block(block, split[1])
            else:
                self.fast(*split)
        else:
            for line in block.split(b"\n"):
                raw = reader.clean(line)
                if raw is not None:
                    self.row += 1
                    self.feature(self.row, reader.feature_id(raw), raw)
        self.flush()
        self.ticker.advance(self.row - before)

    def in_scope(self, keys: list[bytes]) -> bool:
        """Tell whether all keys of a block belong to the one scope loaded."""
        if len(self.scopes) != 1:
            return False
        scope = next(iter(self.scopes)).encode()
        joined = b"".join(keys)
        n = len(keys)
        # Character j of every id, read with the keys' stride, must be scope[j].
        step = reader.KEY_LENGTH
        return all(
            joined[reader.ID_AT + j :: step] == scope[j : j + 1] * n for j in range(len(scope))
        )

    def all_new(self, keys: list[bytes]) -> bool:
        """Tell whether a block's ids are all new: not stored, not seen, not repeated."""
        return (
            self.stored.keys().isdisjoint(keys)
            and self.fresh.keys().isdisjoint(keys)
            and len(set(keys)) == len(keys)
        )

    def new_block(self, block: bytes, keys: list[bytes]) -> None:
        """Classify a block of new features (a first load): a worker hashes and encodes it."""
        n = len(keys)
        first = self.row + 1
        self.fresh.update(zip(keys, range(first, first + n), strict=True))
        self.row += n
        self.communes.update(map(_COMMUNE_OF_KEY, keys))
        self.report.rows += n
        self.encoder.submit_block(departement_of(keys[0][24:29].decode()), block, first)

    def fast(self, lines: list[bytes], keys: list[bytes]) -> None:
        """Classify the features of a block in the Etalab layout, all in the loaded scope.

        The hot loop of the import: a dictionary lookup and a hash per feature.
        """
        stored = self.stored
        get = stored.get
        first_row = self.fresh.setdefault
        dep = departement_of(keys[0][24:29].decode())
        pending = self.pending.setdefault(dep, [])
        add = pending.append
        digest = reader.digest
        row = self.row
        unchanged = replacing = 0
        for line, key in zip(lines, keys, strict=True):
            row += 1
            raw = line[:-1]
            old = get(key)
            if old is None:
                first = first_row(key, row)
                if first != row:
                    self.duplicate(key[24:38].decode(), row, first)
                else:
                    add((raw, digest(raw), row))
            elif old.__class__ is int:
                self.duplicate(key[24:38].decode(), row, old)  # type: ignore[arg-type]
            else:
                stored[key] = row
                value = digest(raw)
                if value == old:
                    unchanged += 1
                else:
                    replacing += 1
                    add((raw, value, row))
        self.row = row
        self.replacing += replacing
        self.communes.update(map(_COMMUNE_OF_KEY, keys))
        self.report.rows += len(lines)
        self.report.unchanged += unchanged

    def feature(self, row: int, fid: str | None, raw: bytes) -> None:
        """Classify one feature (the general path: any layout, any scope)."""
        self.report.rows += 1
        if fid is None or not IDU_RE.match(fid):
            _quarantine(
                self.report,
                self.path.name,
                row,
                "id",
                f"malformed parcel id {fid!r}: expected 14 characters "
                "(INSEE 5, prefix 3, section 2, number 4)",
            )
            return
        self.load_scope(fid)
        self.communes.add(fid[:5].encode())
        key = reader.ID_PREFIX + fid.encode() + b'"'
        value = reader.digest(raw)
        old = self.stored.get(key)
        if old is None:
            first = self.fresh.setdefault(key, row)
            if first != row:
                self.duplicate(fid, row, first)
                return
        elif isinstance(old, int):
            self.duplicate(fid, row, old)
            return
        else:
            self.stored[key] = row
            if value == old:
                self.report.unchanged += 1
                return
            self.replacing += 1
        self.pending.setdefault(departement_of(fid), []).append((raw, value, row))

    def duplicate(self, idu: str, row: int, first: int) -> None:
        """Quarantine a feature whose id an earlier row already had."""
        _quarantine(
            self.report,
            self.path.name,
            row,
            "id",
            f"duplicate parcel id {idu} (first seen at row {first})",
        )

    def scope_of(self, idu: str) -> str:
        """Return the scope an id's stored parcels are fetched with: commune or département."""
        return idu[:5] if self.by_commune else departement_of(idu)

    def load_scope(self, idu: str) -> None:
        """Fetch the stored parcels of the id's commune or département, if not done yet."""
        if self.scope_of(idu) not in self.scopes:
            self.writer.pause()  # the session is needed for the query
            self.add_scope(*self.fetch_scope(idu))

    def fetch_scope(self, idu: str) -> tuple[str, str, dict[bytes, bytes | int]]:
        """Fetch the stored parcels of an id's scope: (scope, département, parcels by key)."""
        dep = departement_of(idu)
        scope = self.scope_of(idu)
        started = time.perf_counter()
        found = repository.stored_hashes(
            self.session, departement=dep, commune=scope if self.by_commune else None
        )
        log.debug(
            "scope %s: %d stored parcels in %.2f s",
            scope,
            len(found),
            time.perf_counter() - started,
        )
        return scope, dep, found

    def add_scope(self, scope: str, dep: str, found: dict[bytes, bytes | int]) -> None:
        """Add a scope's stored parcels to those the file is compared with."""
        if not self.by_commune:
            self.dep_rows[dep] = len(found)
        if not self.stored:
            self.stored = found
        else:
            # A commune fetched by commune column may hold ids of another commune's prefix
            # that an earlier scope already fetched: keep those (they may be marked seen).
            for key, value in found.items():
                self.stored.setdefault(key, value)
        self.scopes.add(scope)

    # ----------------------------------------------------------------------- encoding

    def flush(self, force: bool = False) -> None:
        """Encode pending features into the load tables, batch by batch."""
        size = self.encoder.batch
        for dep, pending in self.pending.items():
            while len(pending) >= size or (force and pending):
                batch = pending[:size]
                del pending[:size]
                self.encoder.submit(dep, batch)
        for dep, batch, encoded in self.encoder.results(wait=force):
            if encoded.odd:
                self.odd.setdefault(dep, []).extend(batch[i] for i in encoded.odd)
            if encoded.rows:
                self.writer.write(self.load_table(dep), encoded.data)
                self.written[dep] = self.written.get(dep, 0) + encoded.rows
                self.checks.append((dep, encoded.invalid))

    def load_table(self, dep: str) -> str:
        """Return the département's load table, created on first use."""
        table = self.loads.get(dep)
        if table is None:
            self.writer.pause()
            table = self.loads[dep] = f"parcel_load_{dep.lower()}"
            repository.create_load_table(self.session, table, dep)
        return table

    # ----------------------------------------------------------------------- writing

    def write(self) -> None:
        """Repair, add the general-path features, delete what is gone, then store."""
        session = self.session
        invalid: dict[str, list[str]] = {}
        for dep, future in self.checks:
            invalid.setdefault(dep, []).extend(idu.decode() for idu in future.result())
        for dep in sorted(self.odd):
            started = time.perf_counter()
            self.general_path(dep, self.odd[dep])
            log.debug(
                "%s: %d features parsed by PostGIS in %.2f s",
                dep,
                len(self.odd[dep]),
                time.perf_counter() - started,
            )
        for dep, idus in invalid.items():
            if not idus:
                continue
            for idu, emptied in repository.repair(session, self.loads[dep], idus):
                if emptied:
                    self.lost(dep, idu, "unreadable or non-polygonal geometry")
                else:
                    self.report.repaired += 1
        gone = self.gone()
        # Every changed feature that was written replaces a stored parcel or is new.
        self.report.updated += self.replacing
        self.report.imported -= self.replacing
        for dep in sorted(set(self.loads) | set(gone)):
            idus, communes = gone.get(dep, ([], []))
            deleted = repository.delete_gone(session, departement=dep, idus=idus, communes=communes)
            self.report.deleted += deleted
            table = self.loads.get(dep)
            if table is not None:
                self.store(dep, table, deleted)

    def general_path(self, dep: str, feats: list[Pending]) -> None:
        """Insert features the binary encoding did not take, parsing their GeoJSON in PostGIS."""
        no_geometry: set[str] = set()
        rows_of: dict[str, int] = {}

        def rows() -> Iterator[bytes]:
            for raw, value, row in feats:
                idu = self.idu_of(raw)
                rows_of[idu] = row
                geometry, props = reader.split(raw)
                if geometry is None:
                    no_geometry.add(idu)
                    continue
                contenance = props.get("contenance")
                arpente = props.get("arpente")
                yield (
                    b"\t".join(
                        (
                            idu.encode(),
                            dep.encode(),
                            idu[:5].encode(),
                            idu[5:8].encode(),
                            idu[8:10].encode(),
                            idu[10:14].encode(),
                            b"" if contenance is None else str(int(contenance)).encode(),
                            b"" if arpente is None else (b"true" if arpente else b"false"),
                            str(props.get("created") or "").encode(),
                            str(props.get("updated") or "").encode(),
                            value.hex().encode(),
                            reader.copy_escape(geometry),
                        )
                    )
                    + b"\n"
                )

        written = dict(repository.insert_geojson(self.session, self.load_table(dep), rows()))
        self.written[dep] = self.written.get(dep, 0) + len(written)
        self.report.repaired += sum(written.values())
        for idu, row in rows_of.items():
            if idu not in written:
                reason = (
                    "no geometry" if idu in no_geometry else "unreadable or non-polygonal geometry"
                )
                _quarantine(self.report, self.path.name, row, "geometry", reason)
                if reader.ID_PREFIX + idu.encode() + b'"' in self.stored:
                    self.replacing -= 1

    @staticmethod
    def idu_of(raw: bytes) -> str:
        """Return the (already validated) id of a feature."""
        fid = reader.feature_id(raw)
        assert fid is not None
        return fid

    def lost(self, dep: str, idu: str, reason: str) -> None:
        """Quarantine a feature that PostgreSQL could not keep (it was written, then dropped)."""
        key = reader.ID_PREFIX + idu.encode() + b'"'
        row = self.fresh.get(key)
        if row is None:  # a stored parcel: its entry holds the row number now
            row = int(self.stored.get(key) or 0)
            self.replacing -= 1
        self.written[dep] -= 1
        _quarantine(self.report, self.path.name, row, "geometry", reason)

    def gone(self) -> dict[str, tuple[list[str], list[str]]]:
        """Return, per département, the stored ids the file no longer lists, and its communes.

        Only the parcels of communes the file lists are deleted (a commune file says nothing
        about its neighbours).
        """
        unseen = [key for key, value in self.stored.items() if value.__class__ is not int]
        if not unseen:
            return {}
        at = reader.ID_AT
        communes = self.communes
        out: dict[str, tuple[list[str], list[str]]] = {}
        for key in unseen:
            idu = key[at:-1].decode()
            out.setdefault(departement_of(idu), ([], []))[0].append(idu)
        for dep, (_, listed) in out.items():
            listed.extend(sorted(c.decode() for c in communes if departement_of(c.decode()) == dep))
        return out

    def store(self, dep: str, table: str, deleted: int) -> None:
        """Move a load table's parcels into ``parcel``: upsert, or rebuild the partition."""
        session = self.session
        written = self.written.get(dep, 0)
        partition = repository.partition_of(session, dep)
        stored = self.dep_rows.get(dep)  # None: the département was not fetched whole
        started = time.perf_counter()
        if (
            partition is not None
            and stored is not None
            and written >= REBUILD_MIN_ROWS
            and written >= REBUILD_SHARE * (stored - deleted)
        ):
            name, bound = partition
            repository.swap_in(
                session, table=table, partition=name, bound=bound, copy_rest=stored > 0
            )
            how = f"rebuilt partition {name}"
        else:
            repository.upsert_from(session, table)
            repository.drop_table(session, table)
            how = "upserted"
        log.debug("%s: %d parcels %s in %.2f s", dep, written, how, time.perf_counter() - started)
        self.report.imported += written


def _import_parcels(
    session: Session, path: Path, progress: Progress[Any], processes: int | None
) -> ImportReport:
    repository.prepare_bulk_session(session)
    ticker = _Ticker(progress, f"{path.name} (scan)")
    return _ParcelImport(session, path, ticker, processes).run()


def _import_buildings(session: Session, path: Path, progress: Progress[Any]) -> ImportReport:
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

    repository.stage_buildings(session, _batched(rows()))
    report.unchanged, inserted = repository.replace_buildings(session)
    report.buildings = inserted
    report.imported = inserted
    # Rows PostGIS could not read as polygons were not inserted: account for them.
    for _ in range(report.rows - report.quarantined - report.unchanged - inserted):
        _quarantine(report, path.name, 0, "geometry", "unreadable or non-polygonal geometry")
    return report


def import_cadastre(
    session: Session,
    paths: Iterable[Path],
    *,
    progress: Progress = no_progress,
    processes: int | None = None,
) -> ImportReport:
    """Import Etalab cadastre files (parcels, buildings) in the caller's transaction.

    ``processes``: worker processes encoding the parcels (``app.parcels.encoding``); None
    chooses by each file's size.
    """
    total = ImportReport()
    for path in cadastre_files(paths):
        layer = reader.layer_of(path)
        batch_id = repository.start_batch(session, source_name=path.name)
        if layer == "batiments":
            report = _import_buildings(session, path, progress)
        elif layer == "parcelles":
            report = _import_parcels(session, path, progress, processes)
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
        summary = {k: v for k, v in report.as_dict().items() if k != "errors"}
        repository.finish_batch(session, batch_id, summary | {"errors": report.errors[:1000]})
        total.add(report)
    session.flush()
    return total
