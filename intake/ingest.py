"""The ingest service: parse a received message with the core, then have the store file it.

This is where the decisions meet persistence: the date a message is judged on comes from
the store (a reply is judged as of its case's first day), the parse and every flag from
the core, and the store writes the result in one short transaction. The daemon, the CLI's
``ingest`` and the tests all enter the database through :func:`ingest_message`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from intake.core.case_rules import CoreCaseRules
from intake.core.parse_job import Parsed, parse_outcome
from intake.core.pipeline import with_register
from models import store
from models.store import IngestOutcome, SourceRef


def ingest_message(
    engine: Engine,
    *,
    raw: bytes,
    source: SourceRef,
    settings: Any,
    received_at: datetime | None = None,
    limits: Any = None,
    parsed: Parsed | None = None,
) -> IngestOutcome:
    """Store one received message and its case; never raises for a bad message.

    ``settings`` are the rules' settings (``intake.core.rules.RuleSettings``); ``limits``
    (``parsers.documents.ReadLimits``) bound each document's reading: the daemon passes
    ``isolate=True`` so every attachment is read in a worker process. ``parsed`` is a parse
    made ahead on a document worker (:mod:`intake.core.parse_job`); it is used when it was
    made for the date this message is judged on, else the message is parsed again here.
    Database errors do raise: the caller retries later.
    """
    received_at = store.as_utc(received_at)
    headers = store.read_headers(raw)
    if parsed is None:  # a message already stored is not parsed again
        known = store.stored_outcome(engine, source, headers)
        if known is not None:
            return known
    judged_on = store.judged_on(engine, headers, received_at)
    if parsed is None or parsed.received_on != judged_on:
        parsed = parse_outcome(raw, mailbox=source.mailbox, received_on=judged_on,
                               settings=settings, limits=limits)
    elif parsed.parsed is not None:  # a worker's parse: the register never goes to a worker
        parsed = replace(parsed, parsed=with_register(parsed.parsed, received_on=judged_on,
                                                      settings=settings))
    return store.store_message(engine, raw=raw, source=source, headers=headers,
                               received_at=received_at, judged_on=judged_on, outcome=parsed,
                               rules=CoreCaseRules(settings))


def reprocess_message(engine: Engine, *, message_pk: int, settings: Any,
                      limits: Any = None) -> IngestOutcome:
    """Parse a stored message again (after a parser fix): only one that made no case."""
    raw, source, received_at = store.stored_message(engine, message_pk)
    headers = store.read_headers(raw)
    judged_on = store.judged_on(engine, headers, received_at)
    outcome = parse_outcome(raw, mailbox=source.mailbox, received_on=judged_on,
                            settings=settings, limits=limits)
    return store.store_reparsed(engine, message_pk=message_pk, headers=headers,
                                judged_on=judged_on, outcome=outcome,
                                rules=CoreCaseRules(settings))
