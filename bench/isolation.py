"""Isolation overhead: reading a document in a pre-forked worker vs in-process.

Every golden Word and PDF fixture is read by ``read_document`` in-process and through the
worker pool (``ReadLimits(isolate=True)``), in alternating blocks (all documents one way,
then the other, per round); per document the median over rounds is taken on each side.
Both sides are warmed first (the field map's label cache, the pool's forks), so the
comparison is warm against warm. Two overheads are printed:

* wall clock: what a caller waits, on top of the in-process read (target <= 30 ms); on a
  busy machine it includes waiting for the scheduler to run the worker;
* CPU time: parent + worker CPU for the isolated read minus CPU for the in-process read
  (pickling the bytes and the result, the pipe, setting the limits), which load does not
  inflate.

Also printed: what starting the pool and a new worker cost (paid off the document's path:
the workers are forked ahead and replaced in the background).

    .venv/bin/python bench/isolation.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parsers import sniff  # noqa: E402
from parsers.documents import ReadLimits, read_document  # noqa: E402
from parsers.isolation import JobLimits, PoolSettings, WorkerPool  # noqa: E402
from parsers.mapping.fieldmap import field_map  # noqa: E402

TARGET_MS = 30.0


def documents() -> list[tuple[str, bytes, str]]:
    golden = ROOT / "tests" / "fixtures" / "golden"
    found = []
    for path in sorted(golden.glob("*.docx")) + sorted(golden.glob("*.pdf")):
        content = path.read_bytes()
        found.append((path.name, content, sniff.sniff(content)))
    return found


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def read_with_cpu(content: bytes, media_type: str) -> float:
    """Runs in the worker: the read (what read_isolated runs), returning its CPU seconds."""
    started = cpu()
    read_document(content, media_type, known_label=field_map().is_label,
                  limits=ReadLimits())
    return cpu() - started


def in_process(content: bytes, media_type: str) -> tuple[float, float]:
    wall, started = time.perf_counter(), cpu()
    read_document(content, media_type, known_label=field_map().is_label)
    return time.perf_counter() - wall, cpu() - started


def isolated(pool: WorkerPool, content: bytes, media_type: str) -> tuple[float, float]:
    wall, started = time.perf_counter(), cpu()
    worker_cpu = pool.call(read_with_cpu, content, media_type, limits=JobLimits())
    return time.perf_counter() - wall, cpu() - started + worker_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    docs = documents()
    started = time.perf_counter()
    pool = WorkerPool(PoolSettings(size=2)).start()
    pool.call(os.getpid)
    startup = time.perf_counter() - started
    for _ in range(2):
        for _, content, media_type in docs:
            in_process(content, media_type)
            isolated(pool, content, media_type)
    here: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in docs}
    there: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in docs}
    for _ in range(args.rounds):
        for name, content, media_type in docs:
            here[name].append(in_process(content, media_type))
        for name, content, media_type in docs:
            there[name].append(isolated(pool, content, media_type))

    def medians(side: dict[str, list[tuple[float, float]]], n: int) -> list[float]:
        return [statistics.median(t[n] for t in side[name]) for name, _, _ in docs]

    wall = [b - a for a, b in zip(medians(here, 0), medians(there, 0), strict=True)]
    work = [b - a for a, b in zip(medians(here, 1), medians(there, 1), strict=True)]
    fork_started = time.perf_counter()
    fresh = WorkerPool(PoolSettings(size=1)).start()
    fresh.call(os.getpid)
    fork_ms = (time.perf_counter() - fork_started) * 1000
    fresh.close()
    pool.close()
    wall_ms = statistics.median(wall) * 1000
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{len(docs)} documents x {args.rounds} rounds")
    print(f"in-process read    median {statistics.median(medians(here, 0)) * 1000:6.1f} ms wall, "
          f"{statistics.median(medians(here, 1)) * 1000:6.1f} ms CPU per document")
    print(f"isolated read      median {statistics.median(medians(there, 0)) * 1000:6.1f} ms wall, "
          f"{statistics.median(medians(there, 1)) * 1000:6.1f} ms CPU per document")
    print(f"overhead, wall     median {wall_ms:6.1f} ms, p90 "
          f"{sorted(wall)[int(0.9 * len(wall))] * 1000:.1f} ms per document "
          f"(target <= {TARGET_MS:.0f} ms): {'OK' if wall_ms <= TARGET_MS else 'OVER'}")
    print(f"overhead, CPU      median {statistics.median(work) * 1000:6.1f} ms per document")
    print(f"pool start (fork server + preloaded readers, once per process) {startup:.2f} s; "
          f"a new worker {fork_ms:.0f} ms (forked ahead, off the document's path)")


if __name__ == "__main__":
    main()
