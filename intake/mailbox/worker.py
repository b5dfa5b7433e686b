"""One mailbox's worker: its own thread, its own connection, its own backoff.

Exactly once, in this order, for every message: the store commits it (raw bytes, documents,
case, flags and the message row, in one transaction), *then* the worker moves it out of the
watched folder, *then* marks the row moved. A crash between any two steps leaves a row that
``unmoved`` returns at the next start-up, and the message is moved without being ingested
again. What a worker cannot do (connect, log in, reach the database) it retries with
exponential backoff and jitter, capped; what one message cannot do (parse, fit the size
cap) sends that message to the failed folder with its reason, after a few attempts at most.

Working a backlog, the next messages are parsed on the document workers while one is stored
(``intake.mailbox.ahead``), and stored messages are moved in small sets (``MOVE_BATCH``):
still each committed before it is moved, and each marked moved only after.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from intake.config import MailboxSettings, Settings
from intake.mailbox import ledger
from intake.mailbox.ahead import Ahead, ParseAhead, message_limits
from intake.mailbox.backoff import Backoff
from intake.mailbox.db_faults import database_reason
from intake.mailbox.faults import SourceUnavailable, Throttled
from intake.mailbox.lease import MailboxLease
from intake.mailbox.runtime_status import RuntimeStatus, status_path
from intake.mailbox.sources import Candidate, MailSource
from intake.mailbox.store_seam import DatabaseUnavailable, Store, call_db, target_for
from parsers.documents import ReadLimits
from parsers.errors import IntakeError, MailboxError

logger = logging.getLogger(__name__)
MOVE_BATCH = 10  # stored messages moved (and marked moved) together while working a backlog


class MailboxWorker:
    """Runs one mailbox until ``stop`` is set (or, with ``once``, until it is empty)."""

    def __init__(self, mailbox: MailboxSettings, source: MailSource, *, engine: Engine,
                 settings: Settings, rules: Any, stop: threading.Event, once: bool = False,
                 store: Store | None = None,
                 acknowledge: Callable[[int], object] | None = None) -> None:
        self.mailbox, self.source, self.engine = mailbox, source, engine
        self.settings, self.rules, self.stop, self.once = settings, rules, stop, once
        # Every attachment is read in a worker process with the configured limits.
        self.read_limits = ReadLimits.from_settings(settings.limits, isolate=True)
        self.store = store or Store.default()
        self.acknowledge = acknowledge if mailbox.acknowledge else None
        self.daemon = settings.daemon
        self.backoff = Backoff(self.daemon.backoff_initial, self.daemon.backoff_cap)
        self.attempts: dict[object, int] = {}
        self.lease = MailboxLease(engine, mailbox.key)
        # Kept in memory too: when the database cannot be written, status still shows why.
        self.runtime = RuntimeStatus(status_path(settings.database.url))
        judge = self.store.judged_on
        self.parse_ahead = ParseAhead(
            self.daemon.parse_ahead, mailbox=mailbox.key, rules=rules, limits=self.read_limits,
            judged_on=lambda raw, received_at: judge(engine, raw, received_at))
        self.ok = True
        self.processed = 0
        self.waiting = 0
        self.to_move: list[tuple[int | str, int, str]] = []

    # -- the outer loop: connect, work, back off -----------------------------------------------
    def run(self) -> bool:
        failures = 0
        while not self.stop.is_set():
            try:
                if self._hold_lease():
                    self._work()
                return True
            except (MailboxError, SQLAlchemyError) as exc:
                delay = self._fault(exc)
            except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker silently
                logger.error("mailbox=%s unexpected %s in worker", self.mailbox.key,
                             type(exc).__name__, exc_info=True)
                delay = self._fault(exc)
            finally:
                self.parse_ahead.close()
                self.source.close()
                self.lease.release()
            if self.stop.is_set():
                break  # the fault was our own shutdown ending IDLE
            failures += 1
            if self.once and failures >= self.daemon.once_attempts:
                self.ok = False
                return False
            self.stop.wait(delay)
        return True

    def _hold_lease(self) -> bool:
        """Wait (standing by) until no other daemon works this mailbox; False to give up."""
        began, told = time.monotonic(), False
        while not self.stop.is_set():
            if self._db(self.lease.acquire):
                if told:
                    logger.info("mailbox=%s lease taken over: now working", self.mailbox.key)
                return True
            if not told:
                logger.info("mailbox=%s another daemon is working this mailbox: standing by",
                            self.mailbox.key)
                told = True
            if self.once and time.monotonic() - began > self.daemon.once_lease_wait:
                logger.info("mailbox=%s left to the other daemon", self.mailbox.key)
                return False
            self.stop.wait(self.daemon.standby_check_seconds)
        return False

    def _fault(self, exc: BaseException) -> float:
        if self.stop.is_set():
            return 0.0
        reason = exc.reason if isinstance(exc, IntakeError) else f"{type(exc).__name__}"
        if isinstance(exc, SQLAlchemyError):
            reason = f"database error: {database_reason(exc)}"
        delay = self.backoff.next()
        if isinstance(exc, Throttled) and exc.retry_after:
            delay = max(delay, min(exc.retry_after, self.daemon.backoff_cap))
        logger.warning("mailbox=%s fault: %s; retrying in %.1fs", self.mailbox.key, reason, delay)
        self.runtime.record(mailbox=self.mailbox.key, ok=False, error=reason, waiting=self.waiting)
        try:
            self.store.record_poll(self.engine, mailbox=self.mailbox.key,
                                   folder=self.source.folder, ok=False, error=reason,
                                   uidvalidity=None, last_uid=None, waiting=self.waiting)
        except SQLAlchemyError:
            pass
        return delay

    def _work(self) -> None:
        self.to_move = []  # what a failed sweep left unmoved, recover() finds in the database
        self.source.open()
        logger.info("mailbox=%s connected (%s)", self.mailbox.key, self.source.source)
        self.recover()
        while not self.stop.is_set():
            handled = self.sweep()
            self.backoff.reset()
            if self.once:
                if handled == 0:
                    return
                continue
            # IDLE (or the Maildir's new/ folder) ends the wait early when mail arrives; the
            # full interval is the periodic sweep that catches anything IDLE missed.
            self.source.wait(self.mailbox.poll_interval, self.stop)

    # -- restart recovery ----------------------------------------------------------------------
    def recover(self) -> None:
        """Move what was stored before a crash but not moved; never ingest it again."""
        rows = self._db(self.store.unmoved, self.engine, mailbox=self.mailbox.key)
        for pk, ref, status in rows:
            if self.stop.is_set():
                return
            if ref.source != self.source.source:
                continue
            message_id = self._db(ledger.message_id_of, self.engine, message_pk=pk)
            key = self.source.locate(key=ref.uid if ref.uid is not None else ref.source_key,
                                     message_id=message_id, uidvalidity=ref.uidvalidity)
            self._maybe_acknowledge(pk, status)
            if key is not None:
                self.source.move(key, target_for(status))
            self._db(self.store.mark_moved, self.engine, pk)
            logger.info("mailbox=%s key=%s message=%s recovered after restart (%s)",
                        self.mailbox.key, key, pk, "moved" if key is not None else "already gone")

    # -- one sweep of the watched folder -------------------------------------------------------
    def sweep(self) -> int:
        if not self._db(self.lease.held):
            raise SourceUnavailable(f"mailbox {self.mailbox.key}: lost the mailbox lease")
        keys = self.source.waiting()
        known = self._known(keys)
        handled = 0
        for key in keys:
            row = known.get(key)
            if row is not None and not row.moved and not self.stop.is_set():
                self._finish(key, row.pk, row.status)
                handled += 1
        unknown = [k for k in keys if k not in known]
        ahead: deque[Ahead] = deque()
        for start in range(0, len(unknown), 100):
            if self.stop.is_set():
                break
            for candidate in self.source.describe(unknown[start:start + 100]):
                if self.stop.is_set():
                    break
                fetched = self.fetch(candidate)
                handled += 1
                if fetched is not None:
                    ahead.append(fetched)
                while len(ahead) > self.parse_ahead.depth:
                    self.store_fetched(ahead.popleft())
        # The messages in hand are finished; on shutdown only the oldest, the others stay
        # in the folder (their parses made ahead are dropped) for the next start.
        while ahead:
            self.store_fetched(ahead.popleft())
            if self.stop.is_set():
                handled -= len(ahead)
                break
        self.move_stored()
        self.waiting = max(0, len(keys) - handled)
        self.runtime.record(mailbox=self.mailbox.key, ok=True, error=None, waiting=self.waiting)
        self._db(self.store.record_poll, self.engine, mailbox=self.mailbox.key,
                 folder=self.source.folder, ok=True, error=None,
                 uidvalidity=self.source.uidvalidity,
                 last_uid=max((k for k in keys if isinstance(k, int)), default=None),
                 waiting=self.waiting)
        return handled

    def _known(self, keys: list[int | str]) -> dict[Any, ledger.Known]:
        if self.source.source == "imap":
            return self._db(ledger.known_uids, self.engine, account=self.source.account,
                            folder=self.source.folder, uidvalidity=self.source.uidvalidity,
                            uids=[int(k) for k in keys])
        return self._db(ledger.known_keys, self.engine, account=self.source.account,
                        keys=[str(k) for k in keys])

    def _finish(self, key: int | str, pk: int, status: str) -> None:
        """Move one stored message now (with any others stored and waiting to be moved)."""
        self.to_move.append((key, pk, status))
        self.move_stored()

    def fetch(self, candidate: Candidate) -> Ahead | None:
        """One new message: already known by Message-ID, oversized, or fetched and its parse
        started (None when nothing more is to be done with it)."""
        key = candidate.key
        if candidate.message_id:
            row = self._db(ledger.known_message_id, self.engine, mailbox=self.mailbox.key,
                           message_id=candidate.message_id)
            if row is not None:
                self._known_elsewhere(candidate, row)
                return None
        if candidate.size > self.mailbox.max_message_bytes:
            reason = (f"message is {candidate.size} bytes, over the "
                      f"{self.mailbox.max_message_bytes}-byte limit (max_message_bytes)")
            self._fail(candidate, self.source.fetch_headers(key), reason)
            return None
        raw = self.source.fetch(key)
        if raw is None:
            return None
        return self._db(self.parse_ahead.start, candidate, raw)

    def store_fetched(self, fetched: Ahead) -> None:
        """Store a fetched message (its parse made ahead, if any), then move it."""
        candidate, raw, key = fetched.candidate, fetched.raw, fetched.candidate.key
        try:
            outcome = self._db(self.store.ingest_message, self.engine, raw=raw,
                               source=self._ref(key), settings=self.rules,
                               received_at=candidate.internal_date,
                               limits=message_limits(self.read_limits, self.mailbox.key, key),
                               parsed=fetched.parsed())
        except DatabaseUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - contained to this one message
            self._attempt_failed(candidate, raw, exc)
            return
        self.attempts.pop(key, None)
        self.processed += 1
        logger.info("mailbox=%s key=%s message=%s status=%s case=%s%s", self.mailbox.key, key,
                    outcome.message_pk, outcome.status, outcome.case_reference,
                    " (already stored)" if outcome.already_stored else "")
        if outcome.moved:
            self.source.move(key, target_for(outcome.status))  # a second copy of a moved one
            return
        self.to_move.append((key, outcome.message_pk, outcome.status))
        if len(self.to_move) >= MOVE_BATCH:
            self.move_stored()

    def move_stored(self) -> None:
        """Move what was stored (committed) since the last call, a set per target folder.

        Until this runs, those messages are committed but still in the watched folder: a
        crash leaves them to :meth:`recover` (moved, never ingested again)."""
        batch, self.to_move = self.to_move, []
        for target in ("processed", "failed"):
            done = [row for row in batch if target_for(row[2]) == target]
            if not done:
                continue
            for _, pk, status in done:
                self._maybe_acknowledge(pk, status)
            self.source.move_many([key for key, _, _ in done], target)  # type: ignore[arg-type]
            self._db(self.store.mark_moved, self.engine, [pk for _, pk, _ in done])
            logger.info("mailbox=%s keys=%s messages=%s moved to %s", self.mailbox.key,
                        ",".join(str(key) for key, _, _ in done),
                        ",".join(str(pk) for _, pk, _ in done), target)

    def _known_elsewhere(self, candidate: Candidate, row: ledger.Known) -> None:
        """A Message-ID already stored: a new UIDVALIDITY, a second daemon, or a resend."""
        if self.source.source == "imap":
            same = row.uidvalidity == self.source.uidvalidity and row.uid == candidate.key
            stale = row.uidvalidity != self.source.uidvalidity
        else:
            same, stale = row.source_key == candidate.key, False
        self.source.move(candidate.key, target_for(row.status))
        if not row.moved and (same or stale):
            self._db(self.store.mark_moved, self.engine, row.pk)
        logger.info("mailbox=%s key=%s message=%s already stored: moved without ingesting",
                    self.mailbox.key, candidate.key, row.pk)

    def _attempt_failed(self, candidate: Candidate, raw: bytes, exc: Exception) -> None:
        count = self.attempts.get(candidate.key, 0) + 1
        self.attempts[candidate.key] = count
        reason = exc.reason if isinstance(exc, IntakeError) else type(exc).__name__
        logger.warning("mailbox=%s key=%s processing failed (attempt %d of %d): %s",
                       self.mailbox.key, candidate.key, count, self.daemon.max_attempts, reason,
                       exc_info=not isinstance(exc, IntakeError))
        if count >= self.daemon.max_attempts:
            self.attempts.pop(candidate.key, None)
            self._fail(candidate, raw, f"processing failed {count} times: {reason}")

    def _fail(self, candidate: Candidate, raw: bytes | None, reason: str) -> None:
        if raw is None:
            return
        ref = self._ref(candidate.key)
        pk = self._db(ledger.record_failure, self.engine, raw=raw, mailbox=self.mailbox.key,
                      source=ref.source, account=ref.account, folder=ref.folder,
                      uidvalidity=ref.uidvalidity, uid=ref.uid, source_key=ref.source_key,
                      reason=reason, received_at=candidate.internal_date)
        logger.warning("mailbox=%s key=%s message=%s failed: %s", self.mailbox.key,
                       candidate.key, pk, reason)
        self._finish(candidate.key, pk, "failed")

    # -- helpers -------------------------------------------------------------------------------
    def _ref(self, key: int | str) -> Any:
        imap = self.source.source == "imap"
        return self.store.source_ref(
            mailbox=self.mailbox.key, source=self.source.source, account=self.source.account,
            folder=self.source.folder, uidvalidity=self.source.uidvalidity,
            uid=int(key) if imap else None, source_key=None if imap else str(key))

    def _maybe_acknowledge(self, pk: int, status: str) -> None:
        if self.acknowledge is None or status not in ("ingested", "threaded"):
            return
        try:
            self.acknowledge(pk)
        except Exception as exc:  # noqa: BLE001 - an acknowledgement never blocks intake
            logger.warning("mailbox=%s message=%s acknowledgement not sent: %s",
                           self.mailbox.key, pk, getattr(exc, "reason", type(exc).__name__))

    _db = staticmethod(call_db)
