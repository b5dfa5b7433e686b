"""The CLI side of a case's life: outcomes and time to close in ``cases`` and ``log``, and
``cme-intake purge`` clearing the web UI's rendered pages of the purged originals.

Real SQLite databases through the real CLI (typer's runner); invented people only.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session
from typer.testing import CliRunner

from intake.cli import app
from models.db import make_engine, migrate
from models.lifecycle import close_case
from models.tables import Case, Document, Message
from tests.test_store import ingest, pupil_fields, referral_email


def _database(tmp_path, name: str = "cli.db"):
    url = f"sqlite:///{tmp_path / name}"
    engine = make_engine(url, keyring=None)
    migrate(engine)
    return url, engine


def _closed_case(engine, *, days: int = 9) -> str:
    """A case closed ``days`` after it was received (received moved back to make it so)."""
    reference = ingest(engine, referral_email(fields=pupil_fields(Surname="Quillfeather"))
                       ).case_reference
    close_case(engine, reference=reference, outcome="elective_home_education", actor="aio1")
    with Session(engine) as session:
        closed_at = session.scalars(select(Case.closed_at).where(Case.reference == reference)).one()
        session.execute(update(Case).where(Case.reference == reference)
                        .values(received_at=closed_at - timedelta(days=days, hours=1)))
        session.commit()
    return reference


def test_cases_and_log_show_outcome_closed_at_and_days_to_close(tmp_path):
    url, engine = _database(tmp_path)
    reference = _closed_case(engine)
    still_open = ingest(engine, referral_email(fields=pupil_fields(Surname="Thornwick"),
                                               message_id="<open@hillside.example>")
                        ).case_reference
    engine.dispose()
    runner, env = CliRunner(), {"CME_DATABASE_URL": url, "COLUMNS": "250"}

    listed = runner.invoke(app, ["cases", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    by_reference = {row["reference"]: row for row in json.loads(listed.output)}
    closed = by_reference[reference]
    assert (closed["outcome"], closed["days_to_close"], closed["status"]) == (
        "elective_home_education", 9, "closed")
    assert datetime.fromisoformat(closed["closed_at"]).tzinfo is not None
    assert by_reference[still_open]["outcome"] is None
    assert by_reference[still_open]["days_to_close"] is None
    table = runner.invoke(app, ["cases"], env=env)
    assert table.exit_code == 0 and "elective" in table.output  # folded to fit 160 columns
    assert "days to" in table.output and "outcome" in table.output

    as_csv = runner.invoke(app, ["log", "--format", "csv"], env=env)
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    # The spec's columns first, in its order; the closure columns after them.
    assert list(rows[0])[:8] == ["received_at", "mailbox", "message_id", "from", "subject",
                                 "status", "case", "open_flags"]
    assert list(rows[0])[8:] == ["outcome", "closed_at", "days_to_close"]
    row = next(r for r in rows if r["case"] == reference)
    assert (row["outcome"], row["days_to_close"]) == ("elective_home_education", "9")
    assert row["closed_at"] == closed["closed_at"]
    assert next(r for r in rows if r["case"] == still_open)["days_to_close"] == ""

    as_json = runner.invoke(app, ["log", "--format", "json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    entry = next(e for e in json.loads(as_json.output) if e["case"] == reference)
    assert (entry["outcome"], entry["days_to_close"]) == ("elective_home_education", 9)


def _documents(engine, reference: str) -> set[str]:
    with Session(engine) as session:
        case_id = session.scalars(select(Case.id).where(Case.reference == reference)).one()
        return set(session.scalars(select(Document.sha256).join(
            Message, Message.id == Document.message_pk).where(Message.case_id == case_id)))


def _render(cache, sha256: str) -> None:
    """Stand-in for a page the web UI rendered: the cache's own layout."""
    folder = cache / sha256
    folder.mkdir(parents=True)
    (folder / "page-1.png").write_bytes(b"\x89PNG page of " + sha256.encode())
    (folder / "page-1.txt").write_text("Quillfeather")
    (folder / "pages").write_text("1")


def test_purge_removes_rendered_pages_of_the_purged_originals_only(tmp_path):
    url, engine = _database(tmp_path)
    shared = ("shared letter.pdf", b"%PDF-1.4 the same letter, sent about both children")
    own = ("quillfeather form.pdf", b"%PDF-1.4 only the purged child's form")
    due = ingest(engine, referral_email(fields=pupil_fields(Surname="Quillfeather"),
                                        message_id="<due@hillside.example>",
                                        attachments=(shared, own))).case_reference
    kept = ingest(engine, referral_email(fields=pupil_fields(Surname="Thornwick",
                                                             Forenames="Ned"),
                                         message_id="<kept@hillside.example>",
                                         attachments=(shared,))).case_reference
    close_case(engine, reference=due, outcome="left_country", actor="aio1")
    due_hashes, kept_hashes = _documents(engine, due), _documents(engine, kept)
    engine.dispose()
    assert kept_hashes & due_hashes and due_hashes - kept_hashes
    cache = tmp_path / "pages"
    for sha256 in due_hashes | kept_hashes:
        _render(cache, sha256)
    _render(cache, "0" * 64)  # a document of no case in this database: not purge's business

    env = {"CME_DATABASE_URL": url, "CME_WEB_PAGE_CACHE_DIR": str(cache)}
    result = CliRunner().invoke(app, ["purge", "--today", "2033-06-01"], env=env)
    assert result.exit_code == 0 and "1 case(s) purged" in result.output, result.output

    left = {folder.name for folder in cache.iterdir()}
    assert left == kept_hashes | {"0" * 64}
    assert not any(sha256 in left for sha256 in due_hashes - kept_hashes)
    dry = CliRunner().invoke(app, ["purge", "--today", "2033-06-01"], env=env)
    assert dry.exit_code == 0 and {f.name for f in cache.iterdir()} == left
