"""Parsing one received message, in this process or on a document worker.

The store parses a message before its one short transaction (``models.store_ingest``). The
daemon can instead hand whole messages to the document workers (``parsers.isolation``) a few
messages ahead of the one it is storing, so parsing runs on the second core while the first
commits and moves (``intake.mailbox.ahead``). Parsing is a pure function of the raw bytes,
the mailbox, the date the message is judged on and the rules, so a parse made ahead is used
only when the date it was made for is still the message's date (a reply whose original was
stored meanwhile is judged on the original's date, and is parsed again).

A whole-message job gives each of its documents one document's limits (the worker reports
which document it is reading). When the worker is stopped on a document (over its memory or
time), that document keeps the reason and is not read again: the message's other documents
are read one by one, each isolated on its own. So a slow attachment costs the message one
wall limit, not two.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from parsers.errors import IntakeError, one_line
from parsers.isolation import in_worker, preload_also

# The document workers' fork server imports the core too, so a whole-message job starts warm.
preload_also("intake.core.pipeline", __name__)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parsed:
    """A message's parse: the pipeline's ParsedMessage, or None and a one-line reason."""

    received_on: date
    parsed: Any | None
    failure: str | None


def parse_outcome(raw: bytes, *, mailbox: str, received_on: date, settings: Any,
                  limits: Any = None) -> Parsed:
    """Parse in this process; never raises for a bad message (the reason has no personal data)."""
    from intake.core import pipeline

    extra = {"limits": limits} if limits is not None else {}
    try:
        parsed = pipeline.parse_message(raw, mailbox=mailbox, received_on=received_on,
                                        settings=settings, **extra)
        return Parsed(received_on, parsed, None)
    except IntakeError as exc:
        return Parsed(received_on, None, one_line(f"{type(exc).__name__}: {exc.reason}"))
    except Exception as exc:  # noqa: BLE001 - one message's problem, never the daemon's
        # The message of an unexpected exception may quote the form: keep only where it was.
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = (f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
                 if tb else "")
        context = getattr(limits, "context", "")  # in a worker the log format names the job
        log.warning("%sparser raised %s%s", f"{context} " if context and not in_worker() else "",
                    type(exc).__name__, where)
        return Parsed(received_on, None, f"unexpected {type(exc).__name__}{where}")


def parse_on_worker(raw: bytes, *, mailbox: str, received_on: date, settings: Any,
                    limits: Any) -> Parsed | None:
    """The whole message parsed by one document worker; None when the worker failed
    between documents (the caller then parses in place, every document isolated).

    Inside the worker documents are read in-process (the job itself is the isolation);
    ``limits`` is the daemon's ``ReadLimits`` and bounds each document of the job as it
    bounds one document read alone. When the worker is stopped on a document, the message
    is parsed again here with that document's reason kept and the others isolated.
    """
    from parsers.isolation import JobLimits, JobStopped, shared_pool

    job = JobLimits(wall_seconds=limits.wall_seconds, memory_mb=limits.memory_mb)
    context = f"{limits.context} " if limits.context else ""
    try:
        return shared_pool().call(_job, raw, mailbox, received_on, settings,  # type: ignore[no-any-return]
                                  replace(limits, isolate=False), limits=job,
                                  context=limits.context)
    except JobStopped as exc:
        if exc.document is None:
            log.info("%swhole-message parse on a worker failed (%s): documents will be read "
                     "one by one", context, type(exc).__name__)
            return None
        log.info("%sa document stopped the whole-message parse: the others are read one by "
                 "one, that one is not read again", context)
        known = (*limits.known_unreadable, (exc.document, exc.reason))
        return parse_outcome(raw, mailbox=mailbox, received_on=received_on, settings=settings,
                             limits=replace(limits, isolate=True, known_unreadable=known))
    except IntakeError as exc:
        log.info("%swhole-message parse on a worker failed (%s): documents will be read one "
                 "by one", context, type(exc).__name__)
        return None


def _job(raw: bytes, mailbox: str, received_on: date, settings: Any, limits: Any) -> Parsed:
    return parse_outcome(raw, mailbox=mailbox, received_on=received_on, settings=settings,
                         limits=limits)
