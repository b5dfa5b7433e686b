"""Parsing ahead on the document workers: same records, used only when still valid."""

from __future__ import annotations

import dataclasses
import mailbox
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import select

from intake.config import (
    DaemonSettings,
    DatabaseSettings,
    LimitsSettings,
    MailboxSettings,
    Settings,
)
from intake.core.parse_job import Parsed, parse_on_worker, parse_outcome
from intake.core.rules import RuleSettings
from intake.ingest import ingest_message
from intake.mailbox import run_daemon
from models.db import make_engine, migrate, session_scope
from models.store import SourceRef, judged_on
from models.tables import Case, Message
from tests.fixtures.generate import GOLDEN

RECEIVED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
EMAILS = sorted(GOLDEN.glob("*.eml"))


def read_limits():  # type: ignore[no-untyped-def]
    from parsers.documents import ReadLimits

    return ReadLimits.from_settings(LimitsSettings(), isolate=True)


def _engine(tmp_path: Path, name: str = "cases.db"):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate(engine)
    return engine


def _source(n: int) -> SourceRef:
    return SourceRef(mailbox="ene", source="imap", account="ene@test", folder="INBOX",
                     uidvalidity=1, uid=n)


def test_a_parse_made_for_the_messages_date_is_used(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    raw = EMAILS[0].read_bytes()
    made = Parsed(judged_on(engine, raw, RECEIVED), None, "ParserSentinel: made ahead")
    outcome = ingest_message(engine, raw=raw, source=_source(1), settings=RuleSettings(),
                             received_at=RECEIVED, parsed=made)
    with session_scope(engine, readonly=True) as session:
        message = session.get(Message, outcome.message_pk)
        assert message is not None and message.error == "ParserSentinel: made ahead"


def test_a_parse_made_for_another_date_is_made_again(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    raw = EMAILS[0].read_bytes()
    stale = Parsed(date(2001, 1, 1), None, "ParserSentinel: stale")
    outcome = ingest_message(engine, raw=raw, source=_source(1), settings=RuleSettings(),
                             received_at=RECEIVED, parsed=stale)
    assert outcome.status in ("ingested", "no_referral_form")
    with session_scope(engine, readonly=True) as session:
        message = session.get(Message, outcome.message_pk)
        assert message is not None and message.error != "ParserSentinel: stale"


def test_whole_message_on_a_worker_equals_parsing_in_place() -> None:
    limits = read_limits()
    for path in EMAILS[:6]:
        raw = path.read_bytes()
        here = parse_outcome(raw, mailbox="ene", received_on=date(2026, 11, 27),
                             settings=RuleSettings(), limits=limits)
        there = parse_on_worker(raw, mailbox="ene", received_on=date(2026, 11, 27),
                                settings=RuleSettings(), limits=limits)
        assert there is not None, path.name
        assert there.failure == here.failure, path.name
        assert (there.parsed is None) == (here.parsed is None), path.name
        if here.parsed is not None:
            assert there.parsed.record == here.parsed.record, path.name


def test_a_worker_that_dies_leaves_the_parse_to_the_store() -> None:
    """Stopped between documents: None, the store parses the message in place. Stopped on
    a document (the worker had said which): parsed here, that document keeping the reason."""
    limits = read_limits()
    too_tight = dataclasses.replace(limits, wall_seconds=0.001)
    raw = EMAILS[0].read_bytes()
    result = parse_on_worker(raw, mailbox="ene", received_on=date(2026, 11, 27),
                             settings=RuleSettings(), limits=too_tight)
    if result is not None:
        assert result.parsed is not None
        assert any("longer than 0 s" in (d.problem or "") for d in result.parsed.documents)


def _run(tmp_path: Path, depth: int) -> list[tuple]:
    folder = tmp_path / f"box{depth}"
    box = mailbox.Maildir(folder, create=True)
    for path in EMAILS:
        box.add(path.read_bytes())
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / f'depth{depth}.db'}"),
        mailbox=[MailboxSettings(key="ene", source="maildir", path=str(folder))],
        daemon=DaemonSettings(parse_ahead=depth, backoff_initial=0.05, backoff_cap=0.2))
    assert run_daemon(settings, once=True) == 0
    assert len(box) == 0
    with session_scope(make_engine(settings.database.url), readonly=True) as session:
        rows = session.exec(select(Message, Case).outerjoin(Case, Case.id == Message.case_id))
        out = []
        for message, case in rows:
            record = dict(case.record) if case is not None else None
            if record is not None:
                record.pop("reference", None)
                record.pop("received", None)
            out.append((message.message_id, message.status, message.error, record))
    return sorted(out, key=lambda row: str(row[0]))


def test_the_daemon_stores_the_same_whether_or_not_it_parses_ahead(tmp_path: Path,
                                                                   monkeypatch) -> None:
    import intake.mailbox.ahead

    made: list[Parsed | None] = []

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(parse_on_worker(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(intake.mailbox.ahead, "parse_on_worker", counted)
    ahead = _run(tmp_path, 3)
    assert len(made) == len(EMAILS) and all(p is not None for p in made)
    in_turn = _run(tmp_path, 0)
    assert len(made) == len(EMAILS)  # depth 0 parses each in turn, in the store
    assert len(ahead) == len(EMAILS)
    assert ahead == in_turn
