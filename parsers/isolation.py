"""Read each untrusted document in a worker process that is killed past its limits.

A zip bomb, a PDF whose objects loop, or a scan that makes Tesseract spin must cost one
document, never the daemon (pitfalls §7). So the daemon reads documents in a small pool of
pre-forked workers:

* started from the ``forkserver`` context (``spawn`` also works) with the readers' imports
  preloaded, so a new worker costs milliseconds, and recycled after ``recycle_after`` jobs
  (pdfplumber's caches only grow) or after any job that ran out of memory;
* each worker leads its own session (``os.setsid``), so killing its process group also kills
  the ``tesseract`` and ``soffice`` it started;
* per job: ``RLIMIT_CPU`` (soft, relative to the CPU already used), ``RLIMIT_AS`` (the
  document's ``memory_mb`` on top of the warmed worker's own address space), and for the
  worker's life ``RLIMIT_FSIZE`` and ``RLIMIT_NOFILE``;
* the parent waits at most ``wall_seconds`` per document, then kills the group: a job
  reading several documents (a whole message) reports each one as it starts
  (:mod:`parsers.worker_job`), each gets its own ``wall_seconds`` and CPU time, and a job
  that has to be stopped raises :class:`JobStopped` naming the document it was reading, so
  the caller can read the others without paying for that one twice;
* workers log with time, level, pid and the job's context (``mailbox=… key=…``).

Whatever happens in the worker comes back as :class:`UnreadableDocument` with a reason the
AIO can act on. The pipeline stays in-process by default; ``ReadLimits(isolate=True)``
runs :func:`parsers.documents.read_document` (and, for the core, whole messages) in its workers.
This module is the parent's side (the pool); the worker's loop, its limits and the readers'
preload are :mod:`parsers.worker_loop` (``in_worker`` is re-exported here).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parsers.errors import MalformedMessage, UnreadableDocument
from parsers.worker_loop import (
    PRELOAD_FLAG,
    READER_MODULES,
    forwarded_environment,
    in_worker,
    preload,
    serve,
)

__all__ = ["READER_MODULES", "JobLimits", "JobStopped", "PoolSettings", "WorkerPool",
           "in_worker", "preload_also", "shared_pool", "too_big", "too_slow"]

log = logging.getLogger(__name__)

_ALSO_PRELOAD: list[str] = []
_ERRORS = {"UnreadableDocument": UnreadableDocument, "MalformedMessage": MalformedMessage}


def preload_also(*modules: str) -> None:
    """Have the fork server import ``modules`` too (callers above the parsers, such as the
    whole-message job, register themselves here rather than being named by this module).
    Takes effect for pools created afterwards."""
    for name in modules:
        if name not in _ALSO_PRELOAD:
            _ALSO_PRELOAD.append(name)


class JobStopped(UnreadableDocument):
    """The worker was killed or died mid-job. ``document`` is the sha256 of the document it
    was reading then (None between documents): that one keeps this reason."""

    def __init__(self, reason: str, document: str | None = None) -> None:
        super().__init__(reason)
        self.document = document


@dataclass(frozen=True)
class JobLimits:
    wall_seconds: float = 30.0
    memory_mb: int = 512
    cpu_seconds: float | None = None  # defaults to wall_seconds


@dataclass(frozen=True)
class PoolSettings:
    size: int = 2
    recycle_after: int = 50
    start_method: str = "forkserver"
    max_file_mb: int = 256       # RLIMIT_FSIZE: temp files (page images, converted .docx)
    max_open_files: int = 256    # RLIMIT_NOFILE


def too_slow(seconds: float) -> str:
    return (f"reading this document took longer than {seconds:.0f} s; it may be damaged or "
            "malicious")


def too_big(memory_mb: int) -> str:
    return (f"reading this document needed more than {memory_mb} MB of memory; it may be "
            "damaged or malicious")


class _Worker:
    def __init__(self, context: Any, settings: PoolSettings) -> None:
        parent, child = context.Pipe()
        self.conn = parent
        self.jobs = 0
        self.process = context.Process(target=serve, name="cme-document-worker",
                                       args=(child, settings.max_file_mb,
                                             settings.max_open_files,
                                             logging.getLogger().getEffectiveLevel()),
                                       daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (it is a session leader)."""
        pid = self.process.pid
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.process.join(timeout=5)
        self.conn.close()

    def retire(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


class WorkerPool:
    """Pre-forked document workers; thread-safe (the daemon reads from several mailboxes)."""

    def __init__(self, settings: PoolSettings = PoolSettings()) -> None:
        self.settings = settings
        self.context = multiprocessing.get_context(settings.start_method)
        if settings.start_method == "forkserver":
            # The fork server imports this module, which then imports the readers (see the
            # end of the module): one failing import must not take the server down.
            os.environ[PRELOAD_FLAG] = ",".join((*READER_MODULES, *_ALSO_PRELOAD))
            self.context.set_forkserver_preload(["parsers.isolation"])
        self.idle: queue.LifoQueue[_Worker] = queue.LifoQueue()  # warmest worker first
        self.lock = threading.Lock()
        self.live = 0
        self.closed = False

    def start(self) -> WorkerPool:
        """Fork the workers now so the first documents do not wait for them."""
        with self.lock:
            missing = self.settings.size - self.live
            self.live += missing
        for _ in range(missing):
            self.idle.put(_Worker(self.context, self.settings))
        return self

    def call(self, function: Callable[..., Any], *args: Any, limits: JobLimits = JobLimits(),
             context: str = "") -> Any:
        """``function(*args)`` in a worker; ``function`` must be importable by name.
        ``context`` names the job in log lines (``mailbox=cme key=17``)."""
        worker = self._checkout()
        cpu = limits.cpu_seconds or limits.wall_seconds
        try:
            worker.conn.send((function, args, cpu, limits.memory_mb, context, forwarded_environment()))
        except (OSError, ValueError):
            self._replace(worker, kill=True)
            raise UnreadableDocument("the document reader process could not be started; the "
                                     "document will be read on the next attempt") from None
        reply = self._await_reply(worker, limits, context)
        worker.jobs += 1
        recycle = reply[0] == "memory" or worker.jobs >= self.settings.recycle_after
        if recycle:
            self._replace(worker, kill=False)
        else:
            self.idle.put(worker)
        return _unpack(reply, limits)

    def _await_reply(self, worker: _Worker, limits: JobLimits, context: str) -> Any:
        """The job's answer; ``wall_seconds`` from each progress note (one per document)."""
        document: str | None = None
        while True:
            if not worker.conn.poll(limits.wall_seconds):
                log.warning("%sdocument worker pid=%s over %.0f s wall: killed", _prefix(context),
                            worker.process.pid, limits.wall_seconds)
                self._replace(worker, kill=True)
                raise JobStopped(too_slow(limits.wall_seconds), document)
            try:
                reply = worker.conn.recv()
            except (EOFError, OSError):
                worker.process.join(timeout=5)
                code = worker.process.exitcode
                self._replace(worker, kill=True)
                raise JobStopped(_death_reason(code, limits), document) from None
            if reply[0] != "progress":
                return reply
            document = reply[1]

    def _checkout(self) -> _Worker:
        if self.closed:
            raise UnreadableDocument("the document reader is shutting down; the document will "
                                     "be read on the next attempt")
        with self.lock:
            grow = self.live < self.settings.size and self.idle.empty()
            if grow:
                self.live += 1
        if grow:
            return _Worker(self.context, self.settings)
        return self.idle.get()

    def _replace(self, worker: _Worker, *, kill: bool) -> None:
        """Retire a worker and start its successor off the caller's path."""
        def successor() -> None:
            if kill:
                worker.kill()
            else:
                worker.retire()
            if self.closed:
                with self.lock:
                    self.live -= 1
                return
            try:
                self.idle.put(_Worker(self.context, self.settings))
            except Exception:  # noqa: BLE001 - a later call grows the pool again
                log.exception("could not start a document worker")
                with self.lock:
                    self.live -= 1

        threading.Thread(target=successor, name="cme-worker-restart", daemon=True).start()

    def close(self) -> None:
        self.closed = True
        while True:
            try:
                worker = self.idle.get_nowait()
            except queue.Empty:
                break
            worker.retire()
            with self.lock:
                self.live -= 1


def _unpack(reply: tuple[Any, ...], limits: JobLimits) -> Any:
    kind = reply[0]
    if kind == "ok":
        return reply[1]
    if kind == "intake":
        raise _ERRORS.get(reply[1], UnreadableDocument)(reply[2])
    if kind == "memory":
        raise UnreadableDocument(too_big(limits.memory_mb))
    if kind == "file_size":
        raise UnreadableDocument("reading this document wrote too much temporary data; it may "
                                 "be damaged or malicious")
    raise UnreadableDocument(f"the document could not be read ({reply[1]})")


def _death_reason(code: int | None, limits: JobLimits) -> str:
    """Why a worker died mid-document, from its exit status."""
    if code == -signal.SIGXCPU:
        return too_slow(limits.cpu_seconds or limits.wall_seconds)
    if code == -signal.SIGKILL:  # not us (we answer before killing): the kernel's OOM killer
        return too_big(limits.memory_mb)
    if code in (-signal.SIGSEGV, -signal.SIGBUS, -signal.SIGABRT):
        return "reading this document crashed the reader; it may be damaged or malicious"
    return f"the document reader stopped unexpectedly (exit status {code})"


def _prefix(context: str) -> str:
    return f"{context} " if context else ""


# --- the pool the pipeline uses ----------------------------------------------------------


_SHARED: WorkerPool | None = None
_SHARED_LOCK = threading.Lock()


def shared_pool(settings: PoolSettings | None = None) -> WorkerPool:
    """The process-wide pool, started on first use (and closed at exit)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None or _SHARED.closed:
            _SHARED = WorkerPool(settings or PoolSettings()).start()
            atexit.register(_SHARED.close)
        return _SHARED


if os.environ.get(PRELOAD_FLAG) and multiprocessing.parent_process() is None and \
        "multiprocessing.forkserver" in sys.modules and not in_worker():
    preload()  # imported by the fork server as its preload module
