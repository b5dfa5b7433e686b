"""The job in hand inside a document worker: whose it is, and which document it is reading.

Two things the parent needs from a running job (``parsers.isolation``):

* **Progress.** A whole message parsed in one worker may hold several documents; around
  each one, :func:`reading` tells the parent which document (by sha256) is being read.
  The parent gives every document its own wall-clock limit from that note, the CPU limit is
  renewed with it, and when the job must be killed the parent knows which document was at
  fault, so the caller can read the others without reading that one again.
* **Log lines with an id.** Workers configure logging once (time, level, pid) and every line
  names the job (``mailbox=cme key=17``, never personal data), so a reader's warning can be
  traced to its message.

Outside a worker every function here is a no-op.
"""

from __future__ import annotations

import contextlib
import logging
import resource
import sys
from collections.abc import Iterator
from typing import Any

_job: dict[str, Any] = {}


def begin(conn: Any, *, cpu_seconds: float, context: str) -> None:
    """Called by the worker loop when a job starts."""
    _job.update(conn=conn, cpu_seconds=cpu_seconds, context=context)


def end() -> None:
    _job.clear()


def in_job() -> bool:
    return "conn" in _job


@contextlib.contextmanager
def reading(document: str) -> Iterator[None]:
    """In a worker: tell the parent a document (its sha256) is being read, and when it is
    done, which one is in hand again (an archive around it, or none)."""
    if "conn" not in _job:
        yield
        return
    stack = _job.setdefault("stack", [])
    stack.append(document)
    _report(document)
    try:
        yield
    finally:
        stack.pop()
        _report(stack[-1] if stack else None)


def _report(document: str | None) -> None:
    with contextlib.suppress(OSError, ValueError):
        _job["conn"].send(("progress", document))
    used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    with contextlib.suppress(ValueError, OSError):  # the CPU limit is per document, too
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(used + _job["cpu_seconds"]) + 1
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


class _JobContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _job.get("context")
        record.job = f"{context} " if context else ""
        return True


def configure_logging(level: int) -> None:
    """One format for every line a worker logs: time, level, pid, the job, the message."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_JobContext())
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s document-worker[%(process)d] %(job)s%(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
