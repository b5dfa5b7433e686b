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
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import gc
import logging
import multiprocessing
import os
import queue
import resource
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parsers import worker_job
from parsers.errors import IntakeError, MalformedMessage, UnreadableDocument

log = logging.getLogger(__name__)

MB = 1024 * 1024
READER_MODULES = ("parsers.documents", "parsers.mapping.fieldmap", "parsers.docx.reader",
                  "parsers.pdf.reader", "parsers.ocr.reader", "parsers.convert", "parsers.mail.msg",
                  "parsers.mail.archive", "parsers.mail.walker", "pdfplumber", "pypdfium2",
                  "PIL.Image", "extract_msg", "lxml.etree", "msoffcrypto")
_PRELOAD_FLAG = "CME_INTAKE_WORKER_PRELOAD"
_ALSO_PRELOAD: list[str] = []
_IN_WORKER = False
_ERRORS = {"UnreadableDocument": UnreadableDocument, "MalformedMessage": MalformedMessage}


def preload_also(*modules: str) -> None:
    """Have the fork server import ``modules`` too (callers above the parsers, such as the
    whole-message job, register themselves here rather than being named by this module).
    Takes effect for pools created afterwards."""
    for name in modules:
        if name not in _ALSO_PRELOAD:
            _ALSO_PRELOAD.append(name)


def in_worker() -> bool:
    """True inside an isolated worker (LibreOffice then stays in the worker's group)."""
    return _IN_WORKER


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
        self.process = context.Process(target=_worker_main, name="cme-document-worker",
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
            os.environ[_PRELOAD_FLAG] = ",".join((*READER_MODULES, *_ALSO_PRELOAD))
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
            worker.conn.send((function, args, cpu, limits.memory_mb, context))
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


# --- inside the worker ----------------------------------------------------------------------


def _prefix(context: str) -> str:
    return f"{context} " if context else ""


def _worker_main(conn: Any, max_file_mb: int, max_open_files: int, log_level: int) -> None:
    """Serve jobs until told to stop; one job at a time, limits set afresh for each."""
    global _IN_WORKER
    _IN_WORKER = True
    worker_job.configure_logging(log_level)
    with contextlib.suppress(OSError):
        os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit(resource.RLIMIT_FSIZE, max_file_mb * MB)
    _limit(resource.RLIMIT_NOFILE, max_open_files)
    _preload()
    baseline = _address_space()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - a job that cannot be unpickled here
            conn.send(("error", type(exc).__name__))
            continue
        if job is None:
            return
        function, args, cpu_seconds, memory_mb, context = job
        used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        _limit(resource.RLIMIT_CPU, int(used + cpu_seconds) + 1)
        _limit(resource.RLIMIT_AS, baseline + memory_mb * MB)
        worker_job.begin(conn, cpu_seconds=cpu_seconds, context=context)
        try:
            reply = _run(function, args)
        finally:
            worker_job.end()
        _limit(resource.RLIMIT_AS, resource.RLIM_INFINITY)
        try:
            conn.send(reply)
        except (BrokenPipeError, ConnectionError, EOFError):
            return  # the parent is gone (killed): nobody to answer, nothing to report
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
            with contextlib.suppress(OSError, ValueError):
                conn.send(("error", type(exc).__name__))


def _preload() -> None:
    """Import the readers and build the field map once (in the fork server, so that every
    worker starts warm); a module that fails to import is left to fail in the job."""
    import importlib

    for name in os.environ.get(_PRELOAD_FLAG, "").split(",") or READER_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the job that needs it reports the failure
            log.warning("document worker could not preload %s", name)
    with contextlib.suppress(Exception):
        from parsers.mapping.fieldmap import field_map

        field_map()
    with contextlib.suppress(Exception):
        # The daemon parses whole messages on the workers (intake.core.parse_job): the risk rules'
        # spaCy pipeline is built here once, not once per recycled worker.
        from parsers.risk import pipeline

        pipeline()
    gc.collect()
    gc.freeze()  # preloaded objects are never garbage: keep the collector (and COW) off them


def _run(function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, ...]:
    try:
        return ("ok", function(*args))
    except IntakeError as exc:
        return ("intake", type(exc).__name__, exc.reason)
    except MemoryError:
        return ("memory",)
    except OSError as exc:
        if exc.errno == errno.ENOMEM:
            return ("memory",)
        if exc.errno == errno.EFBIG:
            return ("file_size",)
        return ("error", type(exc).__name__)
    except BaseException as exc:  # noqa: BLE001 - anything else is this document's problem
        return ("error", type(exc).__name__)


def _limit(which: int, soft: int) -> None:
    """Set the soft limit only: the hard limit stays, so the next job may raise it again."""
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY and (soft == resource.RLIM_INFINITY or soft > hard):
            soft = hard
        resource.setrlimit(which, (soft, hard))


def _address_space() -> int:
    """The worker's current virtual size in bytes (libraries, preloaded readers)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 512 * MB


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


if os.environ.get(_PRELOAD_FLAG) and multiprocessing.parent_process() is None and \
        "multiprocessing.forkserver" in sys.modules and not _IN_WORKER:
    _preload()  # imported by the fork server as its preload module
