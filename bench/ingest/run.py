"""Ingest benchmark: ``foncier import cadastre`` against ``ogr2ogr -f PostgreSQL``, side by side.

One run, on a fresh database ``foncier_bench`` (dropped and re-created, then migrated):

1. ``ogr2ogr`` full load of the first millésime (≥ 1 000 000 parcels) into ``ogr_parcel``:
   the reference every goal is measured against;
2. ``foncier import cadastre`` of the same file into the partitioned ``parcel`` table (first load);
3. the same command again on the unchanged file (re-import);
4. the next millésime (≈ 2 % changed, 0.5 % new, 0.5 % gone);
5. ``ogr2ogr -overwrite`` of the next millésime, for reference (``--no-ogr-next`` skips it).

Each step is timed (wall clock) and its memory sampled: the loader's process tree (sum of RSS,
sampled every 0.2 s, plus ``/usr/bin/time -v``'s maximum RSS) and the PostgreSQL backends serving
it (found by ``application_name``; private memory, so shared buffers are not counted). Before each
step the database is checkpointed and autovacuum is waited for, so that one step's leftovers are
not billed to the next. The figures are printed and written into ``bench/README.md`` between
``<!-- ingest:begin -->`` and ``<!-- ingest:end -->``; raw results go to ``out/results.json``.

``--repeat N`` runs the whole sequence N times, each on a fresh database, and keeps each step's
best wall time (the others are listed): on a shared machine, other work only ever slows a step.

Run: ``bench/ingest/run.sh`` (or ``.venv/bin/python bench/ingest/run.py --help``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "out"
README = ROOT / "bench" / "README.md"
DB = "foncier_bench"  # the only database this script creates, drops or writes to
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
URL = f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{DB}"
OGR_DSN = f"PG:host={PG['host']} port={PG['port']} user={PG['user']} dbname={DB}"
FONCIER = ROOT / ".venv" / "bin" / "foncier"
PYTHON = ROOT / ".venv" / "bin" / "python"
BEGIN, END = "<!-- ingest:begin -->", "<!-- ingest:end -->"
#: Goals of issue 3: speed-up against ogr2ogr's full load of the first file; memory.
GOALS = {"first": 2.5, "reimport": 8.0, "next": 5.0}
MEMORY_GOAL_MB = 2048
POLL_S = 0.2


# --------------------------------------------------------------------------- measurement


def _children(pid: int) -> list[int]:
    """Return pid and all its descendants (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _private_kb(pid: int) -> int:
    """Private (not shared) memory of a process: excludes PostgreSQL's shared buffers."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1])
    except OSError:
        pass
    return total


def _cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        fields = stat[stat.rindex(b")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (/proc/stat, all CPUs)."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _server_aux_cpu_s() -> float:
    """CPU seconds of PostgreSQL's WAL writer, checkpointer and background writer.

    They work for whoever writes: during a load, mostly for the loader, so this is billed to the
    step rather than to "other load".
    """
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        if cmdline.startswith(b"postgres: ") and any(
            name in cmdline for name in (b"walwriter", b"checkpointer", b"background writer")
        ):
            total += _cpu_s(int(entry))
    return total


class Sampler(threading.Thread):
    """Sample the memory of a process tree and of the PostgreSQL backends named ``app_name``."""

    def __init__(self, pid: int, app_name: str) -> None:
        super().__init__(daemon=True)
        self.pid, self.app_name = pid, app_name
        self.client_peak_kb = 0
        self.server_peak_kb = 0
        self.backends: set[int] = set()
        self.server_cpu: dict[int, float] = {}
        #: CPU seconds of each process of the loader's tree: its worker processes are
        #: grandchildren (through multiprocessing's fork server) that /usr/bin/time never waits.
        self.client_cpu: dict[int, float] = {}
        #: Other work on the server during the step (another database's queries skew figures).
        self.other_peak = 0
        self.other_dbs: set[str] = set()
        self._halt = threading.Event()

    def run(self) -> None:  # noqa: D102
        with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:
            while not self._halt.is_set():
                tree = _children(self.pid)
                self.client_peak_kb = max(self.client_peak_kb, sum(_rss_kb(p) for p in tree))
                for p in tree:
                    self.client_cpu[p] = max(self.client_cpu.get(p, 0.0), _cpu_s(p))
                rows = conn.execute(
                    "SELECT a.pid FROM pg_stat_activity a WHERE a.application_name = %s"
                    " OR a.leader_pid IN (SELECT pid FROM pg_stat_activity"
                    "                     WHERE application_name = %s)",
                    (self.app_name, self.app_name),
                ).fetchall()
                pids = [r[0] for r in rows]
                others = conn.execute(
                    "SELECT datname FROM pg_stat_activity WHERE state = 'active'"
                    " AND datname IS DISTINCT FROM %s AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend'",
                    (DB,),
                ).fetchall()
                self.other_peak = max(self.other_peak, len(others))
                self.other_dbs.update(r[0] for r in others)
                self.backends.update(pids)
                self.server_peak_kb = max(self.server_peak_kb, sum(_private_kb(p) for p in pids))
                for p in pids:
                    self.server_cpu[p] = max(self.server_cpu.get(p, 0.0), _cpu_s(p))
                self._halt.wait(POLL_S)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._halt.set()
        self.join()


@dataclass
class Step:
    """One timed command and what it measured."""

    key: str
    label: str
    tool: str
    file: str
    parcels: int
    command: list[str]
    wall_s: float = 0.0
    user_s: float | None = None
    sys_s: float | None = None
    #: CPU of the loader's process tree, sampled (counts worker processes; see Sampler)
    tree_cpu_s: float = 0.0
    max_rss_mb: float | None = None  # /usr/bin/time -v: the largest single process
    client_peak_mb: float = 0.0  # sum over the process tree, sampled
    server_peak_mb: float | None = None  # private memory of the backends, sampled
    server_cpu_s: float | None = None
    backends: int = 0
    other_active_peak: int = 0  # queries running on other databases at the same time
    other_dbs: list[str] = field(default_factory=list)
    #: CPU seconds of the server's WAL writer, checkpointer and background writer.
    server_aux_cpu_s: float = 0.0
    #: CPU seconds the machine spent on anything but the loader, its backends and those.
    other_cpu_s: float | None = None
    returncode: int = 0
    vacuum_wait_s: float = 0.0
    report: dict[str, Any] | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    log: str = ""
    all_wall_s: list[float] = field(default_factory=list)  # every round's wall time

    @property
    def client_cpu_s(self) -> float | None:
        """CPU seconds of the loader: /usr/bin/time's, or its sampled tree's if larger."""
        if self.user_s is None:
            return self.tree_cpu_s or None
        return max((self.user_s or 0) + (self.sys_s or 0), self.tree_cpu_s)

    @property
    def other_share(self) -> float:
        """Share of the machine's CPU that other processes used during the step."""
        if not self.wall_s or self.other_cpu_s is None:
            return 0.0
        return self.other_cpu_s / (self.wall_s * (os.cpu_count() or 1))

    @property
    def parcels_per_s(self) -> float:
        """Parcels of the file per wall-clock second."""
        return self.parcels / self.wall_s if self.wall_s else 0.0


def measure(step: Step, env: dict[str, str], timeout: float | None) -> Step:
    """Run ``step.command`` under ``/usr/bin/time -v`` while sampling memory; fill ``step``."""
    app_name = f"bench-{step.key}"
    env = {**env, "PGAPPNAME": app_name}
    log_path = OUT / "logs" / f"{step.key}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    time_bin = shutil.which("time", path="/usr/bin")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf, log_path.open("w") as log:
        cmd = ([time_bin, "-v", "-o", tf.name] if time_bin else []) + step.command
        log.write("$ " + shlex.join(step.command) + "\n")
        log.flush()
        busy0, aux0 = _machine_busy_s(), _server_aux_cpu_s()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        sampler = Sampler(proc.pid, app_name)
        sampler.start()
        try:
            step.returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            step.returncode = proc.wait()
            log.write(f"\nkilled after {timeout} s\n")
        step.wall_s = time.perf_counter() - t0
        busy = _machine_busy_s() - busy0
        step.server_aux_cpu_s = _server_aux_cpu_s() - aux0
        sampler.stop()
        timing = tf.read()
    step.log = str(log_path.relative_to(ROOT))
    step.client_peak_mb = sampler.client_peak_kb / 1024
    step.tree_cpu_s = sum(sampler.client_cpu.values())
    step.backends = len(sampler.backends)
    step.other_active_peak = sampler.other_peak
    step.other_dbs = sorted(sampler.other_dbs)
    if sampler.backends:
        step.server_peak_mb = sampler.server_peak_kb / 1024
        step.server_cpu_s = sum(sampler.server_cpu.values())
    if time_bin:
        step.user_s = _time_field(timing, "User time (seconds)")
        step.sys_s = _time_field(timing, "System time (seconds)")
        rss = _time_field(timing, "Maximum resident set size (kbytes)")
        step.max_rss_mb = rss / 1024 if rss is not None else None
        own = (step.client_cpu_s or 0) + (step.server_cpu_s or 0)
        own += step.server_aux_cpu_s
        step.other_cpu_s = max(0.0, busy - own)
    return step


def _time_field(text: str, name: str) -> float | None:
    m = re.search(re.escape(name) + r":\s*([\d.]+)", text)
    return float(m.group(1)) if m else None


# --------------------------------------------------------------------------- database


def sql(query: str, params: tuple[Any, ...] = (), dbname: str = DB) -> list[tuple[Any, ...]]:
    """Run one statement (autocommit) and return its rows."""
    with psycopg.connect(dbname=dbname, autocommit=True, **PG) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def recreate_database(env: dict[str, str]) -> None:
    """Drop and create ``foncier_bench``, then run the migrations with ``foncier db upgrade``."""
    assert DB == "foncier_bench"
    sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)', dbname="postgres")
    sql(f'CREATE DATABASE "{DB}"', dbname="postgres")
    subprocess.run(
        [str(FONCIER), "db", "upgrade"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )


def settle(max_wait_s: float = 600.0) -> float:
    """CHECKPOINT, then wait for autovacuum workers on the bench database; return the wait."""
    t0 = time.perf_counter()
    sql("CHECKPOINT")
    while time.perf_counter() - t0 < max_wait_s:
        busy = sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
            " AND backend_type = 'autovacuum worker'",
            (DB,),
            dbname="postgres",
        )[0][0]
        if not busy:
            break
        time.sleep(1)
    sql("CHECKPOINT")
    return time.perf_counter() - t0


def parcel_checks(manifest: dict[str, Any], which: str) -> dict[str, Any]:
    """Count what the parcel table holds against what the file says."""
    s = manifest["samples"]
    dep = manifest["departement"]
    rows = sql(
        "SELECT count(*), count(*) FILTER (WHERE source_updated = %s::date),"
        " count(*) FILTER (WHERE idu = ANY(%s)), count(*) FILTER (WHERE idu = ANY(%s)),"
        " count(*) FILTER (WHERE geom_repaired)"
        " FROM parcel WHERE departement = %s",
        (manifest["next_updated"], s["removed"], s["new"], dep),
    )[0]
    out = {
        "parcel_rows": rows[0],
        "rows_with_next_updated": rows[1],
        "removed_samples_present": f"{rows[2]}/{len(s['removed'])}",
        "new_samples_present": f"{rows[3]}/{len(s['new'])}",
        "geom_repaired": rows[4],
    }
    c = manifest["counts"]
    if which == "next":
        out["expected_rows_if_deleting"] = c["rows_next"]
        out["expected_rows_if_not_deleting"] = c["rows_first"] + c["new"]
        out["expected_rows_with_next_updated"] = c["changed"] + c["new"]
    else:
        out["expected_rows"] = c["rows_first"]
    return out


def versions() -> dict[str, str]:
    """PostgreSQL, PostGIS, GDAL, Python versions, server settings, machine and git state."""
    pg = sql("SHOW server_version")[0][0]
    postgis = sql("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
    gdal = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True).stdout
    settings = dict(
        sql(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN"
            " ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'max_wal_size',"
            "  'synchronous_commit', 'max_parallel_maintenance_workers',"
            "  'max_parallel_workers_per_gather') ORDER BY name"
        )
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    git = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "app", "migrations"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    return {
        "postgresql": pg,
        "postgis": postgis[0][0] if postgis else "absent",
        "gdal": gdal.strip().split(",")[0].replace("GDAL ", ""),
        "python": platform.python_version(),
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "ram_gb": f"{mem_kb / 1024 / 1024:.1f}",
        "kernel": platform.release(),
        "git": git + (" + uncommitted changes in app/ or migrations/" if dirty else ""),
        "pg_settings": ", ".join(f"{k}={v}" for k, v in settings.items()),
    }


# --------------------------------------------------------------------------- report


def _fmt_mb(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f} MB".replace(",", " ")


def _n(v: int | float) -> str:
    return f"{v:,.0f}".replace(",", " ")


def render(
    steps: list[Step],
    info: dict[str, str],
    manifest: dict[str, Any],
    command: str,
    started: str,
    elapsed: float,
    repeat: int = 1,
) -> str:
    """The Markdown figures section."""
    by = {s.key: s for s in steps}
    ref = by.get("ogr_first")
    c = manifest["counts"]
    lines = [
        f"### Run of {started}",
        "",
        f"- Machine: {info['cpu']}, {info['nproc']} CPUs (nproc), {info['ram_gb']} GB RAM, "
        f"Linux {info['kernel']}.",
        f"- Versions: PostgreSQL {info['postgresql']}, PostGIS {info['postgis']}, "
        f"GDAL {info['gdal']}, Python {info['python']}; foncier at `{info['git']}`.",
        f"- Server settings: {info['pg_settings']}.",
        f"- Data: `bench/ingest/out/{manifest['first']['path']}`: {_n(c['rows_first'])} parcels "
        f"({manifest['first']['bytes'] / 1e6:.0f} MB gzip), {manifest['args']['tiles']} tiles of "
        f"the 3 Etalab communes, communes {manifest['communes']}; next millésime "
        f"{_n(c['rows_next'])} parcels: {_n(c['changed'])} changed, {_n(c['new'])} new, "
        f"{_n(c['removed'])} gone, {_n(c['unchanged'])} unchanged.",
        f"- Reproduce: `{command}` (whole run {elapsed / 60:.1f} min"
        + (
            f"; best of {repeat} rounds per step, each on a fresh database: "
            + "; ".join(
                f"{s.label}: {', '.join(f'{w:.1f}' for w in s.all_wall_s)} s" for s in steps
            )
            if repeat > 1
            else ""
        )
        + ").",
        "",
        "| Step | Tool | Parcels | Wall | parcels/s | Speed-up vs ogr2ogr full load | Goal "
        "| Client CPU | Server CPU | Loader peak RSS | Backend peak (private) | Other load |",
        "|---|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|",
    ]
    for s in steps:
        ratio = ref.wall_s / s.wall_s if ref and s.wall_s and s.returncode == 0 else None
        goal = GOALS.get(s.key.removeprefix("foncier_"))
        if s.tool != "foncier":
            goal_txt = "reference" if s.key == "ogr_first" else "–"
        elif ratio is None:
            goal_txt = f"≥ {goal}× — failed"
        else:
            goal_txt = f"≥ {goal}× {'met' if ratio >= goal else 'not met'}"
        cpu = s.client_cpu_s
        server_cpu = None if s.server_cpu_s is None else s.server_cpu_s + s.server_aux_cpu_s
        failed = "" if s.returncode == 0 else f" (exit {s.returncode})"
        lines.append(
            f"| {s.label}{failed} | {s.tool} | {_n(s.parcels)} | {s.wall_s:.1f} s "
            f"| {_n(s.parcels_per_s)} | {'–' if ratio is None else f'{ratio:.2f}×'} | {goal_txt} "
            f"| {'–' if cpu is None else f'{cpu:.1f} s'} "
            f"| {'–' if server_cpu is None else f'{server_cpu:.1f} s'} "
            f"| {_fmt_mb(max(s.client_peak_mb, s.max_rss_mb or 0))} "
            f"| {_fmt_mb(s.server_peak_mb)} | {s.other_share:.0%} |"
        )
    foncier = [s for s in steps if s.tool == "foncier"]
    if foncier:
        peak = max(max(s.client_peak_mb, s.max_rss_mb or 0) for s in foncier)
        lines += [
            "",
            f"Loader memory goal (< {MEMORY_GOAL_MB} MB): peak {_fmt_mb(peak)} — "
            f"{'met' if peak < MEMORY_GOAL_MB else 'not met'}.",
        ]
    lines += [
        "",
        "What the importer reported, and what the table holds after each step:",
        "",
        "| Step | rows | imported | updated | unchanged | deleted | quarantined | repaired "
        "| rows in parcel_45 | expected |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for s in foncier:
        r = s.report or {}
        ck = s.checks
        if "expected_rows_if_deleting" in ck:
            expected = (
                f"{_n(ck['expected_rows_if_deleting'])} (with deletions) / "
                f"{_n(ck['expected_rows_if_not_deleting'])} (without)"
            )
        else:
            expected = _n(ck.get("expected_rows", 0))
        lines.append(
            f"| {s.label} | "
            + " | ".join(
                _n(r[k]) if isinstance(r.get(k), int) else "–"
                for k in (
                    "rows",
                    "imported",
                    "updated",
                    "unchanged",
                    "deleted",
                    "quarantined",
                    "repaired",
                )
            )
            + f" | {_n(ck['parcel_rows']) if 'parcel_rows' in ck else '–'} | {expected} |"
        )
    for s in steps:
        if s.tool == "ogr2ogr" and s.checks:
            lines.append("")
            lines.append(f"{s.label}: `ogr_parcel` holds {_n(s.checks['ogr_rows'])} rows.")
    notes = [n for s in steps for n in s.checks.get("notes", [])]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def write_readme(section: str) -> None:
    """Replace the figures section of bench/README.md (between the markers)."""
    text = README.read_text() if README.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{BEGIN}\n{section}{END}{tail}")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Build the data if needed, run every step, print and record the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiles", type=int, default=66, help="dataset size (66 → 1 003 530 parcels)")
    ap.add_argument("--regenerate", action="store_true", help="rebuild the data files")
    ap.add_argument("--no-ogr-next", action="store_true", help="skip ogr2ogr on the next file")
    ap.add_argument("--no-readme", action="store_true", help="print only, leave README.md alone")
    ap.add_argument("--timeout", type=float, default=7200, help="seconds allowed per step")
    ap.add_argument(
        "--repeat", type=int, default=1, help="rounds (fresh database each); best time per step"
    )
    args = ap.parse_args(argv)
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    t_start = time.perf_counter()

    manifest_path = OUT / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    if args.regenerate or not manifest or manifest["args"]["tiles"] != args.tiles:
        print(f"building the data set ({args.tiles} tiles) …", flush=True)
        subprocess.run(
            [str(PYTHON), str(HERE / "make_dataset.py"), "--tiles", str(args.tiles)],
            check=True,
            cwd=ROOT,
        )
        manifest = json.loads(manifest_path.read_text())

    env = {**os.environ, "FONCIER_DATABASE_URL": URL}
    rounds: list[list[Step]] = []
    info: dict[str, str] = {}
    for n in range(args.repeat):
        print(f"round {n + 1}/{args.repeat}: re-creating database {DB} and migrating …", flush=True)
        recreate_database(env)
        info = info or versions()
        rounds.append(run_round(plan(manifest, args.no_ogr_next), manifest, env, args.timeout))
    # Best of the rounds, step by step (the least wall time among the successful runs).
    steps = [
        min(runs, key=lambda s: (s.returncode != 0, s.wall_s)) for runs in zip(*rounds, strict=True)
    ]
    for best, runs in zip(steps, zip(*rounds, strict=True), strict=True):
        best.all_wall_s = [round(s.wall_s, 2) for s in runs]

    elapsed = time.perf_counter() - t_start
    command = "bench/ingest/run.sh" + (
        " " + shlex.join(argv or sys.argv[1:]) if (argv or sys.argv[1:]) else ""
    )
    section = render(steps, info, manifest, command, started, elapsed, args.repeat)
    (OUT / "results.json").write_text(
        json.dumps(
            {
                "started": started,
                "versions": info,
                "manifest": manifest,
                "best": [asdict(s) | {"parcels_per_s": s.parcels_per_s} for s in steps],
                "rounds": [[asdict(s) for s in r] for r in rounds],
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    print()
    print(section)
    if not args.no_readme:
        write_readme(section)
        print(f"written to {README.relative_to(ROOT)}")
    return 0 if all(s.returncode == 0 for s in steps) else 1


def plan(manifest: dict[str, Any], no_ogr_next: bool) -> list[Step]:
    """The steps of one round, in order."""
    first = OUT / manifest["first"]["path"]
    nxt = OUT / manifest["next"]["path"]
    counts = manifest["counts"]

    def ogr(key: str, label: str, path: Path, parcels: int) -> Step:
        command = ["ogr2ogr", "-f", "PostgreSQL", OGR_DSN, f"/vsigzip/{path}", "-overwrite"]
        command += ["-nln", "ogr_parcel", "-lco", "GEOMETRY_NAME=geom", "-lco"]
        command += ["SPATIAL_INDEX=GIST", "-nlt", "PROMOTE_TO_MULTI", "-t_srs", "EPSG:4326"]
        command += ["--config", "PG_USE_COPY", "YES"]
        return Step(key, label, "ogr2ogr", path.relative_to(ROOT).as_posix(), parcels, command)

    def foncier(key: str, label: str, path: Path, parcels: int) -> Step:
        report = OUT / "reports" / f"{key}.json"
        command = [str(FONCIER), "import", "cadastre", str(path), "--report", str(report)]
        return Step(key, label, "foncier", path.relative_to(ROOT).as_posix(), parcels, command)

    steps = [
        ogr("ogr_first", "full load, first millésime", first, counts["rows_first"]),
        foncier("foncier_first", "first load", first, counts["rows_first"]),
        foncier("foncier_reimport", "re-import, unchanged file", first, counts["rows_first"]),
        foncier("foncier_next", "next millésime", nxt, counts["rows_next"]),
    ]
    if not no_ogr_next:
        label = "full load (-overwrite), next millésime"
        steps.append(ogr("ogr_next", label, nxt, counts["rows_next"]))
    return steps


def run_round(
    steps: list[Step], manifest: dict[str, Any], env: dict[str, str], timeout: float
) -> list[Step]:
    """Run the steps one after the other on the fresh database; check and print each."""
    for step in steps:
        step.vacuum_wait_s = settle()
        if step.tool == "foncier":
            report_path = Path(step.command[-1])
            report_path.parent.mkdir(parents=True, exist_ok=True)
            report_path.unlink(missing_ok=True)
        print(f"{step.tool} — {step.label}: {shlex.join(step.command)}", flush=True)
        measure(step, env, timeout)
        notes: list[str] = []
        share = step.other_share
        if step.other_active_peak or share > 0.1:
            dbs = ", ".join(step.other_dbs)
            notes.append(
                f"{step.tool} {step.label}: other work ran at the same time "
                f"({share:.0%} of the machine's CPU"
                + (f"; queries on {dbs}" if dbs else "")
                + "): its figures are pessimistic."
            )
        if step.returncode != 0:
            notes.append(f"{step.tool} {step.label}: exit {step.returncode}, see `{step.log}`.")
        if step.tool == "foncier":
            report_path = Path(step.command[-1])
            if report_path.exists():
                step.report = json.loads(report_path.read_text())
                if isinstance(step.report.get("errors"), list):
                    step.report["errors_count"] = len(step.report["errors"])
                    step.report["errors"] = step.report["errors"][:20]
            step.checks = parcel_checks(manifest, "next" if step.key == "foncier_next" else "first")
            notes += check_foncier(step, manifest)
        else:
            ok = step.returncode == 0
            step.checks = {"ogr_rows": sql("SELECT count(*) FROM ogr_parcel")[0][0] if ok else 0}
            if step.checks["ogr_rows"] != step.parcels:
                notes.append(
                    f"ogr2ogr {step.label}: {step.checks['ogr_rows']} rows loaded, "
                    f"{step.parcels} in the file."
                )
        step.checks["notes"] = notes
        report = {k: v for k, v in (step.report or {}).items() if k != "errors"}
        print(
            f"  {step.wall_s:.1f} s, {step.parcels_per_s:,.0f} parcels/s, loader peak "
            f"{_fmt_mb(max(step.client_peak_mb, step.max_rss_mb or 0))}, backends "
            f"{_fmt_mb(step.server_peak_mb)}, other load {step.other_share:.0%}"
            + (f", report {report}" if report else "")
            + "".join(f"\n  ! {n}" for n in notes),
            flush=True,
        )
    return steps


def check_foncier(step: Step, manifest: dict[str, Any]) -> list[str]:
    """Compare the importer's report and the table with what the file holds."""
    notes = []
    r, ck, c = step.report, step.checks, manifest["counts"]
    name = f"foncier {step.label}"
    if r is None:
        return [f"{name}: no report written."]
    parts = sum(int(r.get(k) or 0) for k in ("imported", "updated", "unchanged", "quarantined"))
    if r.get("rows") != step.parcels:
        notes.append(f"{name}: report rows {r.get('rows')} ≠ {step.parcels} parcels in the file.")
    if parts != r.get("rows"):
        notes.append(
            f"{name}: imported + updated + unchanged + quarantined = {parts} ≠ rows "
            f"{r.get('rows')}."
        )
    if step.key == "foncier_first":
        want = {"imported": c["rows_first"], "updated": 0}
    elif step.key == "foncier_reimport":
        want = {"imported": 0, "updated": 0, "unchanged": c["rows_first"]}
    else:
        want = {"imported": c["new"], "updated": c["changed"], "unchanged": c["unchanged"]}
        if "deleted" in r:
            want["deleted"] = c["removed"]
        else:
            notes.append(
                f"{name}: the report has no `deleted` count ({c['removed']} parcels "
                "are gone from the file)."
            )
    for k, v in want.items():
        if k in r and r[k] != v:
            notes.append(f"{name}: {k} = {r[k]}, expected {v}.")
    if step.key == "foncier_next":
        if ck["parcel_rows"] == ck["expected_rows_if_not_deleting"]:
            notes.append(
                f"{name}: the {c['removed']} parcels gone from the file are still in "
                f"`parcel` ({ck['removed_samples_present']} samples present)."
            )
        elif ck["parcel_rows"] != ck["expected_rows_if_deleting"]:
            notes.append(
                f"{name}: parcel_45 holds {ck['parcel_rows']} rows, expected "
                f"{ck['expected_rows_if_deleting']}."
            )
        if ck["rows_with_next_updated"] != ck["expected_rows_with_next_updated"]:
            notes.append(
                f"{name}: {ck['rows_with_next_updated']} rows carry the new `updated` "
                f"date, expected {ck['expected_rows_with_next_updated']}."
            )
    elif step.returncode == 0 and ck["parcel_rows"] != ck["expected_rows"]:
        notes.append(
            f"{name}: parcel_45 holds {ck['parcel_rows']} rows, expected {ck['expected_rows']}."
        )
    return notes


if __name__ == "__main__":
    sys.exit(main())
