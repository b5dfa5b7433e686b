"""The CLI contract (spec §5): parse exit codes and JSON, ingest that never stops, the log."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from intake.cli import app

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
runner = CliRunner()


def good_form() -> bytes:
    return (GOLDEN / "d01_two_col_complete.docx").read_bytes()


def encrypted_docx() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(good_form())).encrypt("secret", out)
    return out.getvalue()


def email_with(*attachments: tuple[str, bytes], message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = "attendance@northfield.example.sch.uk"
    message["To"] = "cme@council.example.org"
    message["Subject"] = "CME referral"
    message["Date"] = "Mon, 02 Nov 2026 09:00:00 +0000"
    message["Message-ID"] = f"<{message_id}@example.sch.uk>"
    message.set_content("Please find the referral attached.")
    for name, content in attachments:
        message.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def test_parse_prints_a_schema_valid_record(tmp_path, record_schema):
    form = tmp_path / "form.docx"
    form.write_bytes(good_form())
    result = runner.invoke(app, ["parse", str(form), "--json", "--received", "2026-11-02"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    jsonschema.Draft202012Validator(record_schema).validate(record)
    assert record["reference"] is None and record["received"] is None
    assert record["documents"][0]["role"] == "referral_form"


@pytest.mark.parametrize("name,content,reason", [
    ("form.docx", b"PK\x03\x04 this is not really a zip", "damaged"),
    ("form.docx", b"", "empty"),
    ("form.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog", "PDF"),
    ("notes.txt", b"just some text", "unsupported"),
    ("form.docx", None, "password-protected"),
])
def test_parse_unreadable_file_exits_3_with_one_line(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(encrypted_docx() if content is None else content)
    completed = subprocess.run([sys.executable, "-m", "intake.cli", "parse", str(path), "--json"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 3, completed.stderr
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in completed.stderr
    assert reason.lower() in lines[0].lower()


def test_parse_missing_file_and_usage_errors(tmp_path):
    assert runner.invoke(app, ["parse", str(tmp_path / "nope.docx"), "--json"]).exit_code == 3
    form = tmp_path / "form.docx"
    form.write_bytes(good_form())
    assert runner.invoke(app, ["parse", str(form), "--mailbox", "north"]).exit_code == 2
    assert runner.invoke(app, ["parse", str(form), "--received", "2/11/2026"]).exit_code == 2


def test_parse_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    form = tmp_path / "form.docx"
    form.write_bytes(good_form())
    assert runner.invoke(app, ["parse", str(form), "--json"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["form.docx"]


def test_ingest_keeps_going_and_log_shows_every_message(tmp_path, monkeypatch):
    monkeypatch.setenv("CME_DATABASE_URL", f"sqlite:///{tmp_path / 'cases.db'}")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1-good.eml").write_bytes(email_with(("form.docx", good_form()), message_id="good"))
    (inbox / "2-corrupt.eml").write_bytes(email_with(("form.docx", b"PK\x03\x04broken"), message_id="bad"))
    (inbox / "3-locked.eml").write_bytes(email_with(("form.docx", encrypted_docx()), message_id="locked"))
    (inbox / "4-bare.docx").write_bytes(good_form())
    (inbox / "5-empty.pdf").write_bytes(b"")
    result = runner.invoke(app, ["ingest", str(inbox), "--mailbox", "ene"])
    assert result.exit_code == 0, result.output
    log = runner.invoke(app, ["log", "--format", "json"])
    assert log.exit_code == 0, log.output
    rows = json.loads(log.stdout)
    assert len(rows) == 5
    assert all(row["mailbox"] == "ene" for row in rows)
    by_id = {row["message_id"].strip("<>"): row for row in rows}
    assert by_id["good@example.sch.uk"]["status"] == "ingested"
    assert by_id["good@example.sch.uk"]["case"].startswith("CME-")
    for key in ("bad@example.sch.uk", "locked@example.sch.uk"):
        assert "unreadable_document" in by_id[key]["open_flags"]
    # ingesting again stores nothing twice
    again = runner.invoke(app, ["ingest", str(inbox), "--mailbox", "ene"])
    assert again.exit_code == 0
    assert len(json.loads(runner.invoke(app, ["log", "--format", "json"]).stdout)) == 5
    table = runner.invoke(app, ["log", "--format", "csv"])
    header = next(csv.reader(io.StringIO(table.stdout)))
    assert header[:8] == ["received_at", "mailbox", "message_id", "from", "subject", "status",
                          "case", "open_flags"]  # the spec's, in order; more may follow
    reference = by_id["good@example.sch.uk"]["case"]
    shown = runner.invoke(app, ["show", reference, "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["reference"] == reference
    flags = runner.invoke(app, ["flags", "--json"])
    assert flags.exit_code == 0 and isinstance(json.loads(flags.stdout), list)
    cases = runner.invoke(app, ["cases", "--json"])
    assert cases.exit_code == 0 and len(json.loads(cases.stdout)) >= 2
    assert runner.invoke(app, ["show", "CME-1999-000000"]).exit_code == 1
