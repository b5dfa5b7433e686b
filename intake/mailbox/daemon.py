"""The intake daemon: every configured mailbox on its own worker thread.

``run_daemon`` is what ``cme-intake run`` calls. Each mailbox gets its own connection and
thread, so one slow or failing mailbox never stalls the others. SIGTERM/SIGINT set the stop
event: each worker finishes the message in hand (ingest, move, mark), leaves IDLE and logs
out. ``python -m intake.mailbox.daemon --config FILE [--once]`` runs the same thing without
the CLI (the crash test kills exactly this process).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from intake.config import MailboxSettings, Settings, load_settings
from intake.mailbox.db_faults import database_reason
from intake.mailbox.redact import install_redaction
from intake.mailbox.registry import open_source
from intake.mailbox.sources import MailSource
from intake.mailbox.worker import MailboxWorker, Store
from parsers.errors import IntakeError

logger = logging.getLogger(__name__)
SourceFactory = Callable[[MailboxSettings], MailSource]


def rule_settings(settings: Settings, engine: Engine | None = None) -> Any:
    """The rules' settings, with the school register when ``[schools]`` is configured
    (read once at start: restart the daemon after ``cme-intake schools import``)."""
    from intake.core.rules import RuleSettings
    from intake.school_register import directory_for

    return RuleSettings.from_settings(settings.rules, schools=directory_for(settings, engine))


def build_source(settings: Settings) -> SourceFactory:
    tuning = settings.daemon

    def factory(mailbox: MailboxSettings) -> MailSource:
        if mailbox.source == "maildir":
            return open_source(mailbox)
        return open_source(mailbox, idle_check_seconds=tuning.idle_check_seconds,
                           idle_renew_seconds=tuning.idle_renew_seconds,
                           timeout=tuning.connect_timeout)

    return factory


def _warm_up() -> None:
    """Import the parsers and start the document workers now, so the first referral is not
    the one that waits for them (the workers' fork server preloads the readers and spaCy)."""
    try:
        from intake.core.pipeline import parse_message
        from parsers.isolation import shared_pool

        parse_message(b"Message-ID: <warm-up@cme-intake>\r\nSubject: x\r\n\r\nx\r\n")
        shared_pool()
    except Exception:  # noqa: BLE001 - only a speed-up; real messages report real errors
        logger.debug("parser warm-up failed", exc_info=True)


def _acknowledger(engine: Engine, settings: Settings) -> Callable[[int], object]:
    from intake.mailbox.ack import send_acknowledgement

    return lambda pk: send_acknowledgement(engine, settings.smtp, message_pk=pk)


def run_daemon(settings: Settings, *, once: bool, stop_event: threading.Event | None = None,
               engine: Engine | None = None, sources: SourceFactory | None = None,
               store: Store | None = None) -> int:
    """Run every mailbox until stopped (or, with ``once``, until each is empty).

    Returns the exit code: 0, or 1 when ``once`` could not empty some mailbox (its fault is
    logged and shown by ``cme-intake status``). Installs SIGTERM/SIGINT handlers when called
    from the main thread.
    """
    from models.db import make_engine, migrate

    install_redaction()
    # imapclient logs whole protocol lines (subjects, addresses) at DEBUG: never let them out.
    logging.getLogger("imapclient").setLevel(max(logging.INFO,
                                                 logging.getLogger("imapclient").level))
    if not settings.mailbox:
        logger.error("no [[mailbox]] configured: nothing to watch")
        return 2
    stop = stop_event or threading.Event()
    engine = engine or make_engine(settings.database.url)
    try:
        migrate(engine)
        rules = rule_settings(settings, engine)
    except SQLAlchemyError as exc:  # e.g. disk full or read-only: say so, in words
        return _cannot_start(settings, f"database unavailable: {database_reason(exc)}")
    _warm_up()
    factory = sources or build_source(settings)
    workers = [MailboxWorker(mb, factory(mb), engine=engine, settings=settings, rules=rules,
                             stop=stop, once=once, store=store,
                             acknowledge=_acknowledger(engine, settings))
               for mb in settings.mailbox]
    restore = _install_signals(stop, workers)
    threads = [threading.Thread(target=w.run, name=f"mailbox-{w.mailbox.key}", daemon=True)
               for w in workers]
    try:
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            if stop.wait(0.5):
                _interrupt(workers)
                break
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        restore()
    logger.info("daemon stopped: %d message(s) processed",
                sum(w.processed for w in workers))
    return 0 if all(w.ok for w in workers) else 1


def _cannot_start(settings: Settings, reason: str) -> int:
    """Log why the daemon cannot start and leave it where ``status`` looks; exit code 1."""
    from intake.mailbox.runtime_status import RuntimeStatus, status_path

    logger.error("cannot start: %s", reason)
    runtime = RuntimeStatus(status_path(settings.database.url))
    for mailbox in settings.mailbox:
        runtime.record(mailbox=mailbox.key, ok=False, error=reason, waiting=0)
    return 1


def status_rows(engine: Engine) -> list[dict]:
    """Per mailbox: last successful poll, last error, messages waiting, messages failed."""
    from intake.mailbox.ledger import status_rows as rows

    return rows(engine)


def _interrupt(workers: list[MailboxWorker]) -> None:
    """Wake workers blocked in IDLE so they notice the stop at once."""
    for worker in workers:
        interrupt = getattr(worker.source, "interrupt", None)
        if interrupt:
            interrupt()


def _install_signals(stop: threading.Event, workers: list[MailboxWorker]) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, _frame: Any) -> None:
        logger.info("signal %s: finishing the message in hand, then stopping",
                    signal.Signals(signum).name)
        stop.set()
        _interrupt(workers)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def configure_logging(level: str = "INFO") -> None:
    """One line per event; credentials filtered out of every handler."""
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    install_redaction()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intake.mailbox.daemon")
    parser.add_argument("--config", required=True)
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    try:
        settings = load_settings(args.config)
    except IntakeError as exc:
        print(f"cme-intake: {exc.reason}", file=sys.stderr)
        return 2
    from intake.mailbox.checks import preflight

    problems = preflight(settings)  # the same refusals as cme-intake run and check-config
    if problems:
        print(f"cme-intake: {'; '.join(problems)}", file=sys.stderr)
        return 2
    return run_daemon(settings, once=args.once)


if __name__ == "__main__":
    sys.exit(main())
