"""Closing with an outcome, reopening, and purge (SQLite and PostgreSQL, real databases).

Purge is checked by counting the rows of every table before and after: exactly the due
case's rows go, nothing of the other case; a SIGKILL inside the purge's transaction leaves
the case whole; a purged case's message offered again is not stored.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from models.crypto import new_keyring
from models.db import make_engine, migrate
from models.lifecycle import close_case, reopen_case
from models.purge import due_cases, purge_case
from models.tables import AuditEvent, Case, metadata
from parsers.errors import StoreError
from tests.test_store import ingest, pupil_fields, referral_email

LATER = date(2033, 6, 1)  # past six years from a closure today


@pytest.fixture()
def engine(db_url):
    engine = make_engine(db_url, keyring=new_keyring())
    migrate(engine)
    yield engine
    engine.dispose()


def _case(engine, reference: str) -> Case:
    with Session(engine) as session:
        return session.scalars(select(Case).where(Case.reference == reference)).one()


def _actions(engine, reference: str) -> list[str]:
    case_id = _case(engine, reference).id
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.case_id == case_id).order_by(AuditEvent.id)))


def test_close_and_reopen_with_an_outcome(engine):
    reference = ingest(engine, referral_email(fields=pupil_fields())).case_reference
    close_case(engine, reference=reference, outcome="on_roll_new_school", actor="aio1",
               particulars={"school": "Brookside Academy"})
    case = _case(engine, reference)
    assert (case.status, case.outcome) == ("closed", "on_roll_new_school")
    assert case.record["closure"]["school"] == "Brookside Academy"
    with pytest.raises(StoreError, match="closed already"):
        close_case(engine, reference=reference, outcome="other", actor="aio1",
                   particulars={"note": "x"})
    reopen_case(engine, reference=reference, actor="aio2")
    case = _case(engine, reference)
    assert case.closed_at is None and case.outcome is None and case.status in ("open", "complete")
    assert _actions(engine, reference)[-2:] == ["case_closed", "case_reopened"]


def test_outcomes_come_from_the_configured_list_with_their_particulars(engine):
    reference = ingest(engine, referral_email(fields=pupil_fields())).case_reference
    with pytest.raises(StoreError, match="unknown outcome"):
        close_case(engine, reference=reference, outcome="abducted_by_aliens", actor="a")
    with pytest.raises(StoreError, match="needs la, notified_on"):
        close_case(engine, reference=reference, outcome="moved_la_notified", actor="a")
    with pytest.raises(StoreError, match="unknown outcome"):
        close_case(engine, reference=reference, outcome="left_country", actor="a",
                   outcomes=("other",))


def test_a_reply_to_a_closed_case_reopens_it_visibly(engine):
    first = referral_email(fields=pupil_fields(), message_id="<first@hillside.example>")
    reference = ingest(engine, first).case_reference
    close_case(engine, reference=reference, outcome="left_country", actor="aio1")
    reply = referral_email(in_reply_to="<first@hillside.example>", subject=f"Re: {reference}")
    assert ingest(engine, reply).case_reference == reference
    assert _case(engine, reference).closed_at is None
    assert "case_reopened" in _actions(engine, reference)


def _counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in metadata.sorted_tables}


def _two_cases(engine) -> tuple[str, str]:
    due = ingest(engine, referral_email(fields=pupil_fields(Surname="Quillfeather"),
                                        message_id="<due@hillside.example>")).case_reference
    ingest(engine, referral_email(in_reply_to="<due@hillside.example>", subject=f"Re: {due}"))
    kept = ingest(engine, referral_email(fields=pupil_fields(Surname="Brackenridge",
                                                             Forenames="Tomas"))).case_reference
    close_case(engine, reference=due, outcome="left_country", actor="aio1")
    close_case(engine, reference=kept, outcome="left_country", actor="aio1")
    with Session(engine) as session:  # the kept case closed only last year
        session.execute(text("UPDATE \"case\" SET closed_at = :when WHERE reference = :ref"),
                        {"when": "2032-09-01 00:00:00+00:00", "ref": kept})
        session.commit()
    return due, kept


def test_purge_removes_exactly_the_due_case_and_is_idempotent(engine):
    due, kept = _two_cases(engine)
    assert [c.reference for c in due_cases(engine, today=LATER)] == [due]
    due_id = _case(engine, due).id
    with Session(engine) as session:
        mine = {"message": 2, "caseversion": 2, "case": 1,
                "flag": session.scalar(select(func.count()).where(text(f"case_id = {due_id}"))
                                       .select_from(text("flag"))),
                "auditevent": session.scalar(select(func.count()).select_from(AuditEvent).where(
                    AuditEvent.case_id == due_id)),
                "document": session.scalar(text(
                    "SELECT count(*) FROM document d JOIN message m ON m.id = d.message_pk "
                    f"WHERE m.case_id = {due_id}")),
                "blob": 3}  # two raw emails and one form, none shared with the kept case
    before = _counts(engine)
    assert purge_case(engine, case_id=due_id, actor="ig-officer")
    after = _counts(engine)
    expected = {name: count - mine.get(name, 0) for name, count in before.items()}
    expected["auditevent"] += 1  # the tombstone
    expected["purgedmessage"] += 2
    assert after == expected
    assert _case(engine, kept).record["pupil"]["surname"] == "Brackenridge"
    with Session(engine) as session:
        tombstone = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "case_purged")).one()
    assert tombstone.case_id is None and tombstone.detail["reference"] == due
    assert "Quillfeather" not in str(tombstone.detail)
    assert not purge_case(engine, case_id=due_id) and due_cases(engine, today=LATER) == []
    assert _counts(engine) == after


def test_a_purged_case_is_not_ingested_again_from_the_mailbox(engine):
    raw = referral_email(fields=pupil_fields(Surname="Quillfeather"),
                         message_id="<again@hillside.example>")
    reference = ingest(engine, raw).case_reference
    close_case(engine, reference=reference, outcome="left_country", actor="aio1")
    purge_case(engine, case_id=due_cases(engine, today=LATER)[0].case_id)
    before = _counts(engine)
    assert ingest(engine, raw).status == "purged"
    assert _counts(engine) == before


def test_purge_bytes_leave_the_sqlite_file(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'plain.db'}", keyring=None)  # no key at all
    migrate(engine)
    reference = ingest(engine, referral_email(fields=pupil_fields(Surname="Quillfeather"))
                       ).case_reference
    close_case(engine, reference=reference, outcome="left_country", actor="aio1")
    purge_case(engine, case_id=due_cases(engine, today=LATER)[0].case_id)
    connection = engine.raw_connection()  # outside any transaction: a checkpoint needs that
    try:
        connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    engine.dispose()
    data = b"".join(path.read_bytes() for path in tmp_path.glob("plain.db*") if path.is_file())
    assert b"Quillfeather" not in data


KILLER = """
import sys, time
import models.purge as purge
from models.crypto import parse_keyring
from models.db import make_engine
real = purge._delete_unreferenced
def slow(session, blobs):
    real(session, blobs)
    print("inside", flush=True)
    time.sleep(60)
purge._delete_unreferenced = slow
engine = make_engine(sys.argv[1], keyring=parse_keyring(sys.argv[2], "test"))
purge.purge_case(engine, case_id=int(sys.argv[3]))
"""


def test_a_sigkill_mid_purge_leaves_the_case_whole(db_url, tmp_path):
    from models.crypto import keyring_text

    ring = new_keyring()
    engine = make_engine(db_url, keyring=ring)
    migrate(engine)
    due, _kept = _two_cases(engine)
    due_id = _case(engine, due).id
    before = _counts(engine)
    process = subprocess.Popen([sys.executable, "-c", KILLER, db_url, keyring_text(ring),
                                str(due_id)], stdout=subprocess.PIPE, cwd=Path.cwd(),
                               env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    assert process.stdout is not None and process.stdout.readline().strip() == b"inside"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert _counts(engine) == before
    assert _case(engine, due).record["pupil"]["surname"] == "Quillfeather"
    assert purge_case(engine, case_id=due_id)
    assert _counts(engine)["case"] == before["case"] - 1
    engine.dispose()


def test_cli_close_purge_and_export_subject(tmp_path):
    from typer.testing import CliRunner

    from intake.cli import app

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url, keyring=None)
    migrate(engine)
    reference = ingest(engine, referral_email(fields=pupil_fields(Surname="Quillfeather"))
                       ).case_reference
    engine.dispose()
    runner, env = CliRunner(), {"CME_DATABASE_URL": url}
    refused = runner.invoke(app, ["close", reference, "--outcome", "moved_la_notified"], env=env)
    assert refused.exit_code == 1 and "needs la, notified_on" in refused.output
    closed = runner.invoke(app, ["close", reference, "--outcome", "other", "--note", "Moved"],
                           env=env)
    assert closed.exit_code == 0, closed.output
    out = tmp_path / "sar.zip"
    export = runner.invoke(app, ["export-subject", "--surname", "Quillfeather", "--forenames",
                                 "Jane", "--dob", "2014-09-03", "--out", str(out)], env=env)
    assert export.exit_code == 0 and reference in export.output and out.stat().st_mode & 0o077 == 0
    dry = runner.invoke(app, ["purge", "--dry-run", "--today", "2033-06-01"], env=env)
    assert dry.exit_code == 0 and f"{reference} closed" in dry.output and "1 case(s) due" in dry.output
    done = runner.invoke(app, ["purge", "--today", "2033-06-01"], env=env)
    assert done.exit_code == 0 and "purged" in done.output
    again = runner.invoke(app, ["purge", "--today", "2033-06-01"], env=env)
    assert again.exit_code == 0 and "0 case(s) purged" in again.output


def test_manager_csv_and_figures_carry_outcomes_and_no_names(tmp_path):
    import csv
    import io

    from fastapi.testclient import TestClient

    from intake.web.testing import add_users, make_app, migrated_engine, sign_in

    engine = migrated_engine(tmp_path / "web.db")
    add_users(engine)
    raw = referral_email(fields=pupil_fields(Surname="Quillfeather"),
                         subject="CME referral: Jane Quillfeather",
                         attachments=(("Quillfeather letter.docx", b"PK-letter"),))
    reference = ingest(engine, raw).case_reference
    close_case(engine, reference=reference, outcome="elective_home_education", actor="aio1")
    manager = sign_in(TestClient(make_app(engine)), "manager")
    text = manager.get("/log.csv?since=").text
    assert "Quillfeather" not in text and "Jane" not in text
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["case"] == reference]
    assert rows and rows[0]["outcome"] == "elective_home_education"
    assert rows[0]["days_to_close"].isdigit()
    page = manager.get("/log?since=").text
    assert "Closed:</strong> 1" in page and "elective_home_education 1" in page
