"""The school register: importing a national-size extract, and matching a form's school.

A deterministic ~50,000-row extract in the DfE's exact layout and encoding
(``tests/fixtures/gen_gias.py``, invented schools over 150 LA codes) is imported into a fresh
database (``cme-intake schools import`` does the same), then imported again as a later
extract (every row compared, nothing changed but the extract date), and the snapshot the
daemon uses is built from the table. Then forms naming their school in the common ways (DfE
number, URN, name, name with a typo, name + postcode, a name the register lacks) are
matched against it, one at a time, after a first pass warms the name cache away.

    .venv/bin/python bench/schools.py [--rows 50000] [--url postgresql+psycopg2://...]

Targets (issue 13): import <= 20 s; lookup <= 1 ms per form.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.core import school_names  # noqa: E402
from intake.core.schools import SchoolDirectory  # noqa: E402
from models.db import make_engine, migrate  # noqa: E402
from models.schools import register_rows  # noqa: E402
from models.schools_import import import_extract  # noqa: E402
from tests.fixtures import gen_gias  # noqa: E402


def forms(directory: SchoolDirectory, count: int, seed: int = 13) -> list[dict[str, str]]:
    """What forms give, drawn over the open schools, in the usual mix of ways."""
    rng = random.Random(seed)
    schools = [s for s in directory.schools if s.is_open]
    out: list[dict[str, str]] = []
    for _ in range(count):
        school = rng.choice(schools)
        way = rng.random()
        if way < 0.3 and school.dfe_number:
            out.append({"dfe_number": school.dfe_number, "name": gen_gias.spelling(school.name, rng)})
        elif way < 0.4:
            out.append({"urn": school.urn})
        elif way < 0.7:
            out.append({"name": gen_gias.spelling(school.name, rng)})
        elif way < 0.85:
            out.append({"name": gen_gias.typo(gen_gias.spelling(school.name, rng), rng)})
        elif way < 0.95:
            out.append({"name": gen_gias.spelling(school.name, rng), "postcode": school.postcode or ""})
        else:
            out.append({"name": rng.choice(gen_gias.ABSENT_LOOKALIKES)})
    return out


def timed_import(engine, content: bytes, name: str) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """(wall seconds, this process's CPU seconds, the report)."""
    wall, cpu = time.perf_counter(), time.process_time()
    report = import_extract(engine, content, filename=name)
    return time.perf_counter() - wall, time.process_time() - cpu, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--forms", type=int, default=5_000)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()

    rows = gen_gias.bulk_extract(args.rows)
    first = gen_gias.extract_bytes(rows, date(2026, 9, 1))
    later = gen_gias.extract_bytes(rows, date(2026, 10, 1))
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'cases.db'}"
        engine = make_engine(url)
        migrate(engine)
        wall, cpu, report = timed_import(engine, first, "edubasealldata20260901.csv")
        print(f"import {len(rows)} rows ({len(first) / 1e6:.1f} MB, {engine.dialect.name}): "
              f"{wall:.2f} s wall, {cpu:.2f} s CPU  ({report.added} added)")  # type: ignore[attr-defined]
        wall, cpu, report = timed_import(engine, later, "edubasealldata20261001.csv")
        print(f"re-import, nothing changed: {wall:.2f} s wall, {cpu:.2f} s CPU  "
              f"({report.unchanged} unchanged)")  # type: ignore[attr-defined]
        start, cpu_start = time.perf_counter(), time.process_time()
        directory = SchoolDirectory.from_rows(register_rows(engine))
        print(f"snapshot from the table: {time.perf_counter() - start:.2f} s wall, "
              f"{time.process_time() - cpu_start:.2f} s CPU  ({len(directory)} schools)")
        engine.dispose()

    sample = forms(directory, args.forms)
    for given in sample:  # warm up the interpreter's own caches, then empty the name cache
        directory.match(**given)
    school_names.name_key.cache_clear()
    walls, cpus, found = [], [], 0
    for given in sample:
        start, cpu_start = time.perf_counter_ns(), time.thread_time_ns()
        match = directory.match(**given)
        cpus.append((time.thread_time_ns() - cpu_start) / 1e6)
        walls.append((time.perf_counter_ns() - start) / 1e6)
        found += match.school is not None
    for label, timings in (("CPU", cpus), ("wall", walls)):
        timings.sort()
        print(f"lookup ({label}), {len(sample)} forms, name cache cold: mean "
              f"{statistics.fmean(timings):.3f} ms, median {timings[len(timings) // 2]:.3f} ms, "
              f"p99 {timings[int(len(timings) * 0.99)]:.3f} ms, max {timings[-1]:.2f} ms")
    print(f"{found / len(sample):.1%} of the forms matched (5% name a school the register lacks)")


if __name__ == "__main__":
    main()
