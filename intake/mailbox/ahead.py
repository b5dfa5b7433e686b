"""Parse the next few messages on the document workers while this one is stored.

A backlog is worked in order, one message at a time, and each message is committed before
it is moved (exactly once, see ``intake.mailbox.worker``). Only the parsing moves off that
path: as each message is fetched, its whole parse is handed to a document worker
(``intake.core.parse_job.parse_on_worker``), up to ``depth`` messages ahead, so the second core
parses while this thread commits, moves and fetches. Nothing is stored or moved out of
order, and nothing is lost when the daemon stops or crashes: a message parsed ahead but not
yet committed is simply still in the watched folder, and is parsed again next time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from intake.core.parse_job import Parsed, parse_on_worker
from intake.mailbox.sources import Candidate

log = logging.getLogger(__name__)


def message_limits(limits: Any, mailbox: str, key: int | str) -> Any:
    """The read limits for one message, naming it (ids only) in the workers' log lines."""
    return replace(limits, context=f"mailbox={mailbox} key={key}")


@dataclass
class Ahead:
    """A fetched message whose parse is under way."""

    candidate: Candidate
    raw: bytes
    future: Future[Parsed | None] | None

    def parsed(self) -> Parsed | None:
        """The parse made ahead, or None (not made, or its worker failed): parse in place."""
        if self.future is None:
            return None
        try:
            return self.future.result()
        except Exception as exc:  # noqa: BLE001 - the store parses it again in place
            log.warning("parse ahead failed (%s): parsing in place", type(exc).__name__)
            return None


class ParseAhead:
    """Hands messages' parses to the document workers, ``depth`` at most at a time."""

    def __init__(self, depth: int, *, mailbox: str, rules: Any, limits: Any,
                 judged_on: Callable[[bytes, datetime | None], Any]) -> None:
        self.depth = max(0, depth)
        self.mailbox, self.rules, self.limits, self.judged_on = mailbox, rules, limits, judged_on
        self._threads: ThreadPoolExecutor | None = None

    def start(self, candidate: Candidate, raw: bytes) -> Ahead:
        if self.depth == 0:
            return Ahead(candidate, raw, None)
        received_on = self.judged_on(raw, candidate.internal_date)
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self.depth, thread_name_prefix="cme-parse-ahead")
        future = self._threads.submit(parse_on_worker, raw, mailbox=self.mailbox,
                                      received_on=received_on, settings=self.rules,
                                      limits=message_limits(self.limits, self.mailbox,
                                                            candidate.key))
        return Ahead(candidate, raw, future)

    def close(self) -> None:
        """Stop waiting for parses not yet collected (their messages stay in the folder)."""
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None
