"""Encoding of changed parcels into binary COPY rows, in this process or in worker processes.

:func:`app.parcels.reader.encode_parcels` and GEOS's validity check cost about 7 µs a parcel,
and Python runs them one batch at a time: on a first load of a département (a million
parcels) they are most of the import's CPU. For a large file they therefore run in worker
processes (``forkserver``: the reader and the COPY writer are threads, which ``fork`` must not
copy), while the main thread goes on reading, hashing and classifying the next blocks; a batch
travels as two byte strings each way, which costs far less than encoding it. A small file
(a commune, the tests, an upload) stays in this process, where a worker thread checks validity
(GEOS releases the GIL): starting workers would cost more than it saves. So do the first
:data:`PROCESSES_AFTER` changed features of a large file, so that re-importing it, or its next
millésime (a few per cent changed), never starts them.

Results come back in submission order, so an import writes the same rows in the same order
whichever way it encoded them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.parcels import reader

#: A file is encoded in worker processes from this much JSON on (about 100 000 parcels); a
#: ``.gz`` file counts for :data:`GZIP_RATIO` times its size.
PROCESSES_MIN_BYTES = 64 << 20
GZIP_RATIO = 7
#: Worker processes for a large file, at most (and at most one per CPU).
MAX_PROCESSES = 2
#: Features per batch: in this process (a batch's arrays stay in the CPU caches) and in worker
#: processes (fewer, larger messages).
BATCH = 4096
PROCESS_BATCH = 16384
#: Workers start only once this many features were encoded here: a re-import (nothing to
#: encode) or a next millésime (a few per cent changed) does not pay for starting them.
PROCESSES_AFTER = 8 * BATCH

#: One changed feature: (raw JSON, hash, row number).
Pending = tuple[bytes, bytes, int]
#: A block of new features in the Etalab layout (see :meth:`Encoder.submit_block`), and the row
#: number of its first feature.
Block = tuple[bytes, int]


@dataclass(slots=True)
class Encoded:
    """What a batch became: COPY rows for the load table and what is left to do."""

    data: bytes  # binary COPY rows (no header)
    rows: int  # rows in ``data``
    #: ids of the rows whose geometry GEOS finds invalid (to repair), once known
    invalid: Future[list[bytes]]
    odd: list[int]  # indexes, in the batch, of the features for the general path


def processes_for(path: Path, configured: int | None) -> int:
    """Worker processes to encode a file with: ``configured`` if set, else by its size."""
    if configured is not None:
        return configured
    size = path.stat().st_size * (GZIP_RATIO if path.suffix == ".gz" else 1)
    if size < PROCESSES_MIN_BYTES:
        return 0
    return min(MAX_PROCESSES, os.cpu_count() or 1)


class Encoder:
    """Encode batches of changed features; results come back in order, a few in flight."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._validity: ThreadPoolExecutor | None = None
        self._encoded_here = 0
        self._queue: deque[tuple[str, list[Pending] | Block, Future[Any]]] = deque()
        # Enough batches in flight to keep every worker busy while the main thread reads.
        self._in_flight = 2 * processes + 1

    @property
    def batch(self) -> int:
        """Features per batch to submit now."""
        return PROCESS_BATCH if self._pool is not None else BATCH

    @property
    def takes_blocks(self) -> bool:
        """Tell whether :meth:`submit_block` may be called (the workers run, or may start)."""
        return self._workers() is not None

    def _workers(self) -> ProcessPoolExecutor | None:
        """The worker processes, started once enough features were encoded here."""
        if self._pool is None and self.processes and self._encoded_here >= PROCESSES_AFTER:
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=_context(),
                initializer=_worker_started,
                initargs=(os.getpid(),),
            )
        return self._pool

    def submit_block(self, dep: str, block: bytes, first_row: int) -> None:
        """Queue a block of lines that are all new features of one département.

        The block must have passed :func:`reader.fast_block`: one Etalab feature per line, each
        ending with a comma. A worker splits, hashes and encodes it, so that this process only
        ships it: the cheapest path of a first load.
        """
        pool = self._workers()
        assert pool is not None
        future = pool.submit(encode_block, block, dep.startswith("97"))
        self._queue.append((dep, (block, first_row), future))

    def submit(self, dep: str, batch: list[Pending]) -> None:
        """Queue a batch of one département's features."""
        overseas = dep.startswith("97")
        pool = self._workers()
        if pool is not None:
            raws = b"\n".join([feat[0] for feat in batch])
            hashes = b"".join([feat[1] for feat in batch])
            future = pool.submit(encode_checked, raws, hashes, len(batch), overseas)
        else:
            if self._validity is None:
                self._validity = ThreadPoolExecutor(1, thread_name_prefix="validity")
            self._encoded_here += len(batch)
            encoded = reader.encode_parcels(batch, overseas=overseas)
            idus, geometries = encoded.idus, encoded.geometries
            future = Future()
            future.set_result(
                Encoded(
                    encoded.data,
                    len(idus),
                    # GEOS releases the GIL: the check runs beside the next blocks' parsing.
                    self._validity.submit(lambda: [idus[i] for i in geometries.invalid()]),
                    encoded.odd,
                )
            )
        self._queue.append((dep, batch, future))

    def results(self, *, wait: bool = False) -> Iterator[tuple[str, list[Pending], Encoded]]:
        """Yield the encoded batches that are done, in order (all of them with ``wait``).

        Each comes with its features, by index (``Encoded.odd`` refers to them).
        """
        queue = self._queue
        while queue and (wait or len(queue) > self._in_flight or queue[0][2].done()):
            dep, batch, future = queue.popleft()
            result = future.result()
            if not isinstance(result, Encoded):
                data, rows, invalid, odd = result
                done: Future[list[bytes]] = Future()
                done.set_result(invalid)
                result = Encoded(data, rows, done, odd)
            if isinstance(batch, tuple):  # a block: its features are needed for odd ones only
                batch = _block_features(*batch) if result.odd else []
            yield dep, batch, result

    def close(self) -> None:
        """Stop the workers (pending batches are dropped: this is also the error path)."""
        self._queue.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._validity is not None:
            self._validity.shutdown(wait=True)


def encode_checked(
    raws: bytes, hashes: bytes, count: int, overseas: bool
) -> tuple[bytes, int, list[bytes], list[int]]:
    """Encode and check a batch in a worker process.

    ``raws`` are the features' JSON joined by newlines (a feature holds none: it was one line,
    or re-serialised compactly), ``hashes`` their 16-byte digests joined. Returns the COPY rows,
    their number, the ids of invalid geometries and the indexes of the features left to the
    general path.
    """
    lines = raws.split(b"\n")
    if len(lines) != count or len(hashes) != 16 * count:
        raise ValueError(f"batch of {count} features arrived as {len(lines)} lines")
    feats = [(raw, hashes[16 * i : 16 * i + 16], 0) for i, raw in enumerate(lines)]
    return _encode(feats, overseas)


def encode_block(block: bytes, overseas: bool) -> tuple[bytes, int, list[bytes], list[int]]:
    """Split, hash, encode and check a block of new features in a worker process.

    Same result as :func:`encode_checked`; the indexes of ``odd`` are lines of the block.
    """
    return _encode(_block_features(block, 0), overseas)


def _block_features(block: bytes, first_row: int) -> list[Pending]:
    """The features of a block that passed :func:`reader.fast_block`, with their rows."""
    digest = reader.digest
    lines = block.split(b"\n")
    lines.pop()  # after the last newline
    raws = [line[:-1] for line in lines]  # less the comma
    return [(raw, digest(raw), row) for row, raw in enumerate(raws, first_row)]


def _encode(feats: list[Pending], overseas: bool) -> tuple[bytes, int, list[bytes], list[int]]:
    encoded = reader.encode_parcels(feats, overseas=overseas)
    invalid = [encoded.idus[i] for i in encoded.geometries.invalid()]
    return encoded.data, len(encoded.idus), invalid, encoded.odd


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    # The fork server imports these once; each worker forked from it starts ready. Without
    # "__main__" here, every worker would import the program's main module (the ``foncier``
    # script, app.cli) itself: 0.4 s of CPU each, when app.cli still imported SQLAlchemy and
    # pydantic at its top, in the middle of the import.
    context.set_forkserver_preload(["__main__", "app.parcels.encoding", "numpy", "shapely"])
    return context


def _worker_started(importer: int) -> None:
    """Prepare a worker: Ctrl-C is the importer's to handle; exit when the importer is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        # A killed import (kill -9) cannot stop its workers, and its fork server outlives it
        # as long as they run: each worker watches the importing process and exits after it.
        while True:
            time.sleep(0.5)
            try:
                os.kill(importer, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="watch parent", daemon=True).start()
