"""Documents read in worker processes that are killed past their limits (pitfalls §7).

The job functions below run inside the workers (they are pickled by name), so the limits
are tested against real processes: wall clock, CPU time, address space, file size, a
crash, and children left behind. Invented data only.
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from intake.core.pipeline import parse_document
from parsers import sniff
from parsers.documents import ReadLimits, read_document
from parsers.errors import UnreadableDocument
from parsers.isolation import JobLimits, PoolSettings, WorkerPool, in_worker, shared_pool
from parsers.mapping.fieldmap import field_map

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
RECEIVED = date(2026, 11, 2)


# --- jobs run inside the workers ------------------------------------------------------------


def whoami() -> tuple[int, int, bool]:
    return os.getpid(), os.getpgid(0), in_worker()


def limits_seen() -> dict[str, tuple[int, int]]:
    return {name: resource.getrlimit(getattr(resource, name))
            for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE")}


def sleep_with_child(pid_file: str) -> None:
    child = subprocess.Popen(["sleep", "120"])
    Path(pid_file).write_text(str(child.pid))
    time.sleep(120)


def spin() -> None:
    while True:
        pass


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def write_file(megabytes: int) -> None:
    with tempfile.TemporaryFile() as handle:
        for _ in range(megabytes):
            handle.write(b"\0" * 1024 * 1024)


def crash() -> None:
    os.abort()


def refuse() -> None:
    raise UnreadableDocument("the file is empty (0 bytes)")


# --- tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool() -> WorkerPool:
    started = WorkerPool(PoolSettings(size=2, recycle_after=1000, max_file_mb=2)).start()
    yield started
    started.close()


def test_workers_are_session_leaders_with_limits(pool: WorkerPool) -> None:
    pid, group, inside = pool.call(whoami)
    assert pid != os.getpid() and group == pid and inside
    seen = pool.call(limits_seen, limits=JobLimits(memory_mb=64, cpu_seconds=5))
    assert seen["RLIMIT_FSIZE"][0] == 2 * 1024 * 1024
    assert seen["RLIMIT_NOFILE"][0] == 256
    assert 0 < seen["RLIMIT_AS"][0] < 4 * 1024 ** 3
    assert 0 < seen["RLIMIT_CPU"][0] < 10_000


def test_wall_clock_kills_the_worker_and_its_children(pool: WorkerPool,
                                                      tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    started = time.monotonic()
    with pytest.raises(UnreadableDocument,
                       match="took longer than 2 s; it may be damaged or malicious"):
        pool.call(sleep_with_child, str(pid_file), limits=JobLimits(wall_seconds=2))
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    assert _gone(child), "the worker's child outlived it"
    assert pool.call(whoami)[2]  # the pool goes on


def _gone(pid: int, wait: float = 5.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_cpu_time_limit(pool: WorkerPool) -> None:
    with pytest.raises(UnreadableDocument, match="took longer than 1 s"):
        pool.call(spin, limits=JobLimits(wall_seconds=120, cpu_seconds=1))


def test_memory_limit(pool: WorkerPool) -> None:
    with pytest.raises(UnreadableDocument, match="needed more than 100 MB of memory"):
        pool.call(allocate, 1024, limits=JobLimits(memory_mb=100))
    assert pool.call(allocate, 50, limits=JobLimits(memory_mb=100)) == 50 * 1024 * 1024


def test_file_size_limit(pool: WorkerPool) -> None:
    with pytest.raises(UnreadableDocument, match="wrote too much temporary data"):
        pool.call(write_file, 4)


def test_a_crash_is_contained(pool: WorkerPool) -> None:
    with pytest.raises(UnreadableDocument, match="crashed the reader"):
        pool.call(crash)
    assert pool.call(whoami)[2]


def test_reasons_from_readers_come_back_as_they_are(pool: WorkerPool) -> None:
    with pytest.raises(UnreadableDocument, match=r"^the file is empty \(0 bytes\)$"):
        pool.call(refuse)


def test_workers_are_recycled_after_n_jobs() -> None:
    small = WorkerPool(PoolSettings(size=1, recycle_after=2)).start()
    try:
        pids = [small.call(whoami)[0] for _ in range(6)]
    finally:
        small.close()
    assert len(set(pids)) == 3


def test_threads_share_the_pool(pool: WorkerPool) -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(pool.call(allocate, 1))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and len(results) == 8


@pytest.mark.parametrize("name", ["d01_two_col_complete.docx", "p03_typed_pdf.pdf"])
def test_isolated_read_equals_in_process(name: str) -> None:
    content = (GOLDEN / name).read_bytes()
    media_type = sniff.sniff(content)
    here = read_document(content, media_type, known_label=field_map().is_label)
    there = read_document(content, media_type, known_label=field_map().is_label,
                          limits=ReadLimits(isolate=True))
    assert there == here


def test_isolation_switch_through_the_pipeline() -> None:
    content = (GOLDEN / "d07_legacy_fields.docx").read_bytes()
    isolated = parse_document(content, filename="form.docx", received_on=RECEIVED,
                              limits=ReadLimits(isolate=True))
    direct = parse_document(content, filename="form.docx", received_on=RECEIVED)
    assert isolated.record == direct.record
    assert shared_pool().live >= 1
