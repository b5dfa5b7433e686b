"""models.queries on real SQLite and PostgreSQL: filters, order, paging and speed."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from intake.ingest import ingest_message
from models.db import session_scope
from models.queries import (
    QueryError,
    count_cases,
    count_intake_log,
    get_case,
    intake_log,
    list_cases,
    list_flags,
    mailbox_status,
)
from models.store import record_poll, resolve_flag
from models.tables import Case, Flag
from tests.test_store import SETTINGS, pupil_fields, referral_email, source, valid_upn

DAY1 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _ingest(engine, raw: bytes, mailbox: str, when: datetime):
    return ingest_message(
        engine, raw=raw, source=source(mailbox), settings=SETTINGS, received_at=when
    )


@pytest.fixture()
def intake(db_engine):
    """Five messages over four days in three mailboxes (invented schools and pupils)."""
    first = _ingest(
        db_engine,
        referral_email(fields=pupil_fields(UPN=valid_upn()), message_id="<one@h.example>"),
        "ene",
        DAY1,
    )
    academy = _ingest(
        db_engine,
        referral_email(
            fields=pupil_fields(
                **{
                    "Surname": "Roe",
                    "School name": "Oakfield 100% Academy",
                    "School type": "Academy",
                }
            )
        ),
        "ene",
        DAY1 + timedelta(days=1),
    )
    no_form = _ingest(
        db_engine, referral_email(body="Please call me."), "south", DAY1 + timedelta(days=2)
    )
    reply = _ingest(
        db_engine,
        referral_email(subject="Re: referral", in_reply_to="<one@h.example>", body="Thanks"),
        "ene",
        DAY1 + timedelta(days=3),
    )
    central = _ingest(
        db_engine,
        referral_email(fields=pupil_fields(**{"Surname": "Poe", "School type": "Independent"})),
        "cme",
        DAY1 + timedelta(days=3, hours=2),
    )
    return {
        "first": first,
        "academy": academy,
        "no_form": no_form,
        "reply": reply,
        "central": central,
        "engine": db_engine,
    }


def _log(engine, **filters):
    with session_scope(engine, readonly=True) as session:
        return intake_log(session, **filters)


def _cases(engine, **filters):
    with session_scope(engine, readonly=True) as session:
        return list_cases(session, **filters)


def test_intake_log_rows_oldest_first(intake) -> None:
    rows = _log(intake["engine"])
    assert [r["message_pk"] for r in rows] == [
        intake[k].message_pk for k in ("first", "academy", "no_form", "reply", "central")
    ]
    first, _, no_form, reply, central = rows
    assert first["received_at"] == "2026-11-02T10:00:00+00:00"
    assert (first["mailbox"], first["message_id"], first["from"], first["subject"]) == (
        "ene",
        "one@h.example",
        "office@hillside.example",
        "CME referral",
    )
    assert (first["status"], first["case"]) == ("ingested", intake["first"].case_reference)
    assert first["open_flags"] == sorted(set(first["open_flags"]))
    assert "part2_missing" in first["open_flags"]
    assert (no_form["status"], no_form["case"], no_form["open_flags"]) == (
        "no_referral_form",
        None,
        ["no_referral_form"],
    )
    assert (reply["status"], reply["case"]) == ("threaded", intake["first"].case_reference)
    assert reply["open_flags"] == first["open_flags"]
    assert central["area"] == "central"


def test_intake_log_filters(intake) -> None:
    engine = intake["engine"]

    def pks(**filters) -> list[int]:
        return [row["message_pk"] for row in _log(engine, **filters)]

    ids = {
        key: intake[key].message_pk for key in ("first", "academy", "no_form", "reply", "central")
    }
    assert pks(since=date(2026, 11, 3), until=date(2026, 11, 4)) == [ids["academy"], ids["no_form"]]
    assert pks(since=DAY1 + timedelta(hours=1), until=DAY1 + timedelta(days=1, hours=1)) == [
        ids["academy"]
    ]
    assert pks(mailbox="south") == [ids["no_form"]]
    assert pks(area="South") == [ids["no_form"]]
    assert pks(area="central") == [ids["central"]]
    assert pks(school="100% ACAD") == [ids["academy"]]
    assert pks(school="e P") == [ids["first"], ids["reply"], ids["central"]]  # Hillside Primary
    assert pks(school="e_P") == []  # LIKE wildcards are matched literally
    assert pks(status="threaded") == [ids["reply"]]
    assert pks(flag="no_referral_form") == [ids["no_form"]]
    assert pks(flag="misrouted") == [ids["academy"]]
    assert pks(misrouted=True) == [ids["academy"]]
    assert ids["no_form"] in pks(misrouted=False)
    assert pks(late=True) == []
    assert pks(limit=2, offset=1) == [ids["academy"], ids["no_form"]]
    with session_scope(engine, readonly=True) as session:
        assert count_intake_log(session, mailbox="ene") == 3
        assert count_intake_log(session) == 5


def test_list_cases_queue_order_filters_and_scope(intake) -> None:
    engine = intake["engine"]
    refs = {key: intake[key].case_reference for key in ("first", "academy", "central")}
    assert [c["reference"] for c in _cases(engine)] == [
        refs["first"],
        refs["academy"],
        refs["central"],
    ]
    with session_scope(engine, readonly=True) as session:
        blocking = session.exec(
            select(Flag.id)
            .join(Case, Flag.case_id == Case.id)
            .where(Case.reference == refs["first"], Flag.severity == "blocking")
        ).all()
    for flag_id in blocking:
        resolve_flag(engine, flag_id=flag_id, actor="aio.one", note="confirmed")
    queue = _cases(engine)
    assert [c["reference"] for c in queue] == [refs["academy"], refs["central"], refs["first"]]
    assert queue[-1]["status"] == "complete" and queue[-1]["has_blocking"] is False
    assert [c["reference"] for c in _cases(engine, status="complete")] == [refs["first"]]
    assert [c["reference"] for c in _cases(engine, area="central")] == [refs["central"]]
    assert [c["reference"] for c in _cases(engine, areas={"ENE"}, order="newest")] == [
        refs["academy"],
        refs["first"],
    ]
    assert _cases(engine, areas=set()) == []
    assert [c["reference"] for c in _cases(engine, flag="misrouted")] == [refs["academy"]]
    assert [c["reference"] for c in _cases(engine, school="oakfield")] == [refs["academy"]]
    assert [c["reference"] for c in _cases(engine, since=date(2026, 11, 4))] == [refs["central"]]
    assert [c["reference"] for c in _cases(engine, order="reference", limit=1, offset=1)] == [
        refs["academy"]
    ]
    with session_scope(engine, readonly=True) as session:
        assert count_cases(session, areas={"ENE", "central"}) == 3
        with pytest.raises(QueryError):
            list_cases(session, order="sideways")


def test_get_case_gathers_everything(intake) -> None:
    with session_scope(intake["engine"], readonly=True) as session:
        case = get_case(session, intake["first"].case_reference)
        assert get_case(session, "CME-2026-999999") is None
    assert case is not None
    assert case["record"]["reference"] == case["reference"]
    assert [m["message_pk"] for m in case["messages"]] == [
        intake["first"].message_pk,
        intake["reply"].message_pk,
    ]
    assert [(d["role"], d["message_pk"]) for d in case["documents"]] == [
        ("referral_form", intake["first"].message_pk)
    ]
    assert case["documents"][0]["size"] > 0
    assert case["messages"][0]["message_id"] == "one@h.example"
    assert case["messages"][0]["message_id"] == case["record"]["received"]["message_id"]
    assert [v["version"] for v in case["versions"]] == [1]
    assert {f["status"] for f in case["flags"]} == {"open"}
    assert [e["action"] for e in case["audit"]] == ["message_ingested", "message_ingested"]


def test_message_ids_are_shown_bare_and_still_thread(intake) -> None:
    """Output drops the angle brackets; a reply quoting the id as mail clients do threads."""
    engine = intake["engine"]
    rows = _log(engine)
    assert all(r["message_id"] and r["message_id"].strip("<>") == r["message_id"] for r in rows)
    reply = _ingest(
        engine,
        referral_email(
            subject="Re: referral",
            in_reply_to=f"<{rows[0]['message_id']}>",
            body="Any news?",
            message_id="<chase@h.example>",
        ),
        "ene",
        DAY1 + timedelta(days=4),
    )
    assert (reply.status, reply.case_reference) == ("threaded", intake["first"].case_reference)
    threaded = _log(engine, status="threaded", since=DAY1 + timedelta(days=4))
    assert [(r["message_id"], r["case"]) for r in threaded] == [
        ("chase@h.example", intake["first"].case_reference)
    ]
    with session_scope(engine, readonly=True) as session:
        case = get_case(session, intake["first"].case_reference)
    assert case is not None
    assert case["messages"][-1]["message_id"] == "chase@h.example"


def test_list_flags(intake) -> None:
    engine = intake["engine"]
    with session_scope(engine, readonly=True) as session:
        every = list_flags(session)
        misrouted = list_flags(session, code="misrouted")
        central = list_flags(session, area="central")
        scoped = list_flags(session, areas={"South"})
    assert every and all(f["status"] == "open" for f in every)
    assert [f["case"] for f in misrouted] == [intake["academy"].case_reference]
    assert {f["case"] for f in central} == {intake["central"].case_reference}
    assert scoped == []
    resolve_flag(engine, flag_id=misrouted[0]["id"], actor="aio.one", note="sent on")
    with session_scope(engine, readonly=True) as session:
        assert list_flags(session, code="misrouted") == []
        closed = list_flags(session, code="misrouted", open_only=False)
    assert (closed[0]["status"], closed[0]["closed_by"], closed[0]["note"]) == (
        "resolved",
        "aio.one",
        "sent on",
    )


def test_mailbox_status(intake) -> None:
    engine = intake["engine"]
    record_poll(
        engine,
        mailbox="ene",
        folder="INBOX",
        ok=True,
        error=None,
        uidvalidity=3,
        last_uid=40,
        waiting=2,
    )
    record_poll(
        engine,
        mailbox="south",
        folder="INBOX",
        ok=False,
        error="LOGIN failed",
        uidvalidity=None,
        last_uid=None,
        waiting=0,
    )
    with session_scope(engine, readonly=True) as session:
        status = {row["mailbox"]: row for row in mailbox_status(session)}
    assert list(status) == ["cme", "ene", "south"]
    assert status["ene"]["healthy"] and status["ene"]["waiting"] == 2
    assert status["ene"]["received"] == 3 and status["ene"]["unmoved"] == 3
    assert not status["south"]["healthy"] and status["south"]["last_error"] == "LOGIN failed"
    assert status["cme"]["last_poll_ok_at"] is None and status["cme"]["failed"] == 0


# --- 50,000 cases ---------------------------------------------------------------------------

AREAS = ("central", "ENE", "WNW", "South")
CASES = 50_000


_SQL = {
    "sqlite": {
        "series": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) ",
        "from": " FROM n",
        "ref": "'CME-2024-' || printf('%06d', i)",
        "at": "datetime('2024-01-01', '+' || i || ' minutes') || '.000000'",
        "start": "'2024-01-01 00:00:00.000000'",
        "bool": "({expr})",
        "record": "json_object('reference', 'CME-2024-' || printf('%06d', i))",
    },
    "postgresql": {
        "series": "",
        "from": " FROM generate_series(1, {count}) AS i",
        "ref": "'CME-2024-' || lpad(i::text, 6, '0')",
        "at": "timestamptz '2024-01-01 00:00+00' + i * interval '1 minute'",
        "start": "timestamptz '2024-01-01 00:00+00'",
        "bool": "({expr})",
        "record": "convert_to(json_build_object('reference', 'CME-2024-' "
                  "|| lpad(i::text, 6, '0'))::text, 'UTF8')",  # a legacy plain record (bytes)
    },
}
_AREA = "CASE i % 4 WHEN 0 THEN 'central' WHEN 1 THEN 'ENE' WHEN 2 THEN 'WNW' ELSE 'South' END"


def _seed(engine) -> None:
    """50,000 cases with a message and two flags each, generated inside the database."""
    sql = _SQL[engine.dialect.name]
    head, tail = sql["series"].format(count=CASES), sql["from"].format(count=CASES)
    statements = [
        "INSERT INTO blob (sha256, size, content) VALUES ('" + "0" * 64 + "', 0, '')",
        head + 'INSERT INTO "case" (id, reference, mailbox, area, school_name, status, '
        "has_blocking, risk_count, late, misrouted, received_at, updated_at, version, record) "
        f"SELECT i, {sql['ref']}, 'ene', {_AREA}, 'School ' || (i % 300), "
        "CASE WHEN i % 3 = 0 THEN 'complete' ELSE 'open' END, (i % 3 <> 0), i % 5, (i % 7 = 0), "
        f"(i % 11 = 0), {sql['at']}, {sql['start']}, 1, {sql['record']}" + tail,
        head + "INSERT INTO message (id, mailbox, source, account, folder, dedup_key, message_id, "
        "raw_sha256, received_at, status, case_id, area, moved, attempts, size, updated_at) "
        "SELECT i, 'ene', 'imap', 'ene', 'INBOX', '<' || i || '@bench.example>', "
        "'<' || i || '@bench.example>', '" + "0" * 64 + "', "
        f"{sql['at']}, 'ingested', i, {_AREA}, (1 = 1), 1, 0, {sql['start']}" + tail,
    ]
    for code, severity in (("missing_field", "blocking"), ("late_referral", "warning")):
        statements.append(
            head + "INSERT INTO flag (case_id, code, section, severity, message, status, "
            f"created_at) SELECT i, '{code}', 'part1', '{severity}', 'm', "
            f"CASE WHEN i % 3 = 0 THEN 'resolved' ELSE 'open' END, {sql['start']}" + tail
        )
    with engine.begin() as connection:
        for statement in statements:
            if engine.dialect.name == "postgresql":
                statement = statement.replace("%", "%%")  # psycopg2's paramstyle
            connection.exec_driver_sql(statement)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def _fastest(run, repeat: int = 3, clock=time.perf_counter) -> float:
    timings = []
    for _ in range(repeat):
        started = clock()
        run()
        timings.append(clock() - started)
    return min(timings)


@pytest.mark.slow
def test_50000_cases_page_quickly(db_engine) -> None:
    _seed(db_engine)
    pages = {
        "queue first page": lambda s: list_cases(s),
        "queue page 500": lambda s: list_cases(s, offset=25_000),
        "area + flag": lambda s: list_cases(s, area="WNW", flag="missing_field"),
        "scoped count": lambda s: count_cases(s, areas={"ENE", "South"}),
        "school": lambda s: list_cases(s, school="school 12"),
        "log first page": lambda s: intake_log(s, limit=50),
        "log by area": lambda s: intake_log(s, area="South", since=date(2024, 1, 10), limit=50),
        "log by flag": lambda s: intake_log(s, flag="late_referral", limit=50, offset=1000),
        "flags": lambda s: list_flags(s, area="ENE", limit=50),
    }
    # SQLite runs in this process: its CPU time is the page's cost whatever else the machine
    # is doing. PostgreSQL works in its own process, so there only wall time will do.
    clock = time.process_time if db_engine.dialect.name == "sqlite" else time.perf_counter
    with session_scope(db_engine, readonly=True) as session:
        assert len(list_cases(session)) == 50
        slow = {}
        for name, page in pages.items():
            took = _fastest(lambda page=page: page(session), clock=clock)
            if took >= 0.3:
                slow[name] = round(took, 3)
    assert slow == {}


def test_models_queries_still_exports_every_public_name() -> None:
    """Other parts import these from models.queries; the split modules must not move them."""
    import models.queries
    from parsers.errors import IntakeError
    from parsers.errors import QueryError as FromErrors

    names = {
        "CASE_ORDERS", "MAILBOX_ORDER", "QueryError", "blob_content", "case_audit",
        "count_cases", "count_intake_log", "get_case", "intake_log", "list_cases", "list_flags",
        "mailbox_status",
    }
    assert names <= set(models.queries.__all__)
    assert all(hasattr(models.queries, name) for name in names)
    assert QueryError is FromErrors and issubclass(QueryError, IntakeError)
