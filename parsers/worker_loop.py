"""The worker's side of :mod:`parsers.isolation`: serve jobs one at a time under limits.

Kept apart from the pool so each side reads on its own: this module runs only inside a
worker process (or the fork server that forks them), the pool only in the parent. A worker
leads its own session, sets ``RLIMIT_FSIZE``/``RLIMIT_NOFILE`` for its life and
``RLIMIT_CPU``/``RLIMIT_AS`` afresh for each job, and answers every job with a plain tuple
(``ok``, ``intake``, ``memory``, ``file_size`` or ``error``) that the pool turns into a
result or an :class:`~parsers.errors.UnreadableDocument`.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import os
import resource
import signal
from collections.abc import Callable
from typing import Any

from parsers import worker_job
from parsers.errors import IntakeError
from parsers.mapping.overlay import ENVIRONMENT as OVERLAY_ENVIRONMENT

log = logging.getLogger("parsers.isolation")  # one logger name for the pool and its workers

MB = 1024 * 1024
READER_MODULES = ("parsers.documents", "parsers.mapping.fieldmap", "parsers.docx.reader",
                  "parsers.pdf.reader", "parsers.ocr.reader", "parsers.convert", "parsers.mail.msg",
                  "parsers.mail.archive", "parsers.mail.walker", "pdfplumber", "pypdfium2",
                  "PIL.Image", "extract_msg", "lxml.etree", "msoffcrypto")
PRELOAD_FLAG = "CME_INTAKE_WORKER_PRELOAD"
_IN_WORKER = False


def in_worker() -> bool:
    """True inside an isolated worker (LibreOffice then stays in the worker's group)."""
    return _IN_WORKER


def serve(conn: Any, max_file_mb: int, max_open_files: int, log_level: int) -> None:
    """Serve jobs until told to stop; one job at a time, limits set afresh for each."""
    global _IN_WORKER
    _IN_WORKER = True
    worker_job.configure_logging(log_level)
    with contextlib.suppress(OSError):
        os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit(resource.RLIMIT_FSIZE, max_file_mb * MB)
    _limit(resource.RLIMIT_NOFILE, max_open_files)
    preload()
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
        function, args, cpu_seconds, memory_mb, context, environ = job
        _take_environment(environ)
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


def preload() -> None:
    """Import the readers and build the field map once (in the fork server, so that every
    worker starts warm); a module that fails to import is left to fail in the job."""
    import importlib

    for name in os.environ.get(PRELOAD_FLAG, "").split(",") or READER_MODULES:
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


# Settings the parent may set after the fork server started (the council's wording overlay,
# ``parsers.mapping.overlay``): sent with every job so a worker never reads with stale ones.
FORWARDED = (OVERLAY_ENVIRONMENT,)


def forwarded_environment() -> dict[str, str | None]:
    """The parent's values of the forwarded settings, for one job."""
    return {name: os.environ.get(name) for name in FORWARDED}


def _take_environment(environ: dict[str, str | None]) -> None:
    for name, value in environ.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
