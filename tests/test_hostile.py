"""The hostile corpus through the pipeline: each case ends with its specific reason.

Fast, in-process (and once through the isolated workers): every email of
tests/fixtures/hostile/generate.py is parsed by ``parse_message``; what each must end
with (a document problem, a flag, or MalformedMessage) is checked, and no message may take
longer than the per-document limit. Then the daemon against a private Dovecot with the
whole corpus in one mailbox, documents read in isolated workers. Last, a property:
``parse_message`` on arbitrary bytes raises nothing but MalformedMessage.
"""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.core.pipeline import ParsedMessage, parse_message
from parsers.documents import ReadLimits
from parsers.errors import MalformedMessage
from tests.fixtures.hostile.generate import Expect, HostileCase, _docx_sample, cases, email
from tests.test_email_walker_properties import TOKENS

RECEIVED = date(2026, 11, 2)
WALL_LIMIT = ReadLimits().wall_seconds
CASES = {case.name: case for case in cases()}
SLOW = {"fifty_mb_attachment"}


def outcome(parsed: ParsedMessage, expect: Expect) -> str:
    """The text in which the case's phrase must appear: its flag of ``expect.code``, and the
    problems of its documents."""
    flags = [f["message"] for f in parsed.record["flags"] if f["code"] == expect.code]
    assert flags, f"no {expect.code} flag: {[f['code'] for f in parsed.record['flags']]}"
    return "\n".join(flags + [d.problem or "" for d in parsed.documents])


def check_case(case: HostileCase, limits: ReadLimits) -> float:
    raw = case.build()
    started = time.monotonic()
    if case.expect.failed:
        with pytest.raises(MalformedMessage, match=case.expect.phrase):
            parse_message(raw, received_on=RECEIVED, limits=limits)
        return time.monotonic() - started
    parsed = parse_message(raw, received_on=RECEIVED, limits=limits)
    elapsed = time.monotonic() - started
    if case.expect.form:
        assert parsed.has_form and not any(d.problem for d in parsed.documents)
        return elapsed
    text = outcome(parsed, case.expect)
    assert re.search(case.expect.phrase, text), f"{case.name}: {text!r}"
    assert not parsed.has_form
    return elapsed


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in CASES])
def test_each_case_ends_with_its_reason(name: str) -> None:
    elapsed = check_case(CASES[name], ReadLimits())
    assert elapsed < WALL_LIMIT, f"{name} took {elapsed:.1f} s"


@pytest.mark.parametrize("name", ["billion_laughs_docx", "nested_tables_docx", "pdf_2000_pages",
                                  "truncated_pdf", "zero_bytes", "zip_bomb_docx"])
def test_reasons_survive_isolation(name: str) -> None:
    elapsed = check_case(CASES[name], ReadLimits(isolate=True))
    assert elapsed < WALL_LIMIT


def test_five_hundred_attachments_are_capped() -> None:
    parsed = parse_message(CASES["five_hundred_attachments"].build(), received_on=RECEIVED)
    assert len(parsed.documents) == 200  # the walker's attachment limit
    assert parsed.record["documents"][-1]["filename"] == "note 199.txt"


def test_javascript_is_never_run_and_the_pdf_is_kept() -> None:
    parsed = parse_message(CASES["pdf_javascript_embedded"].build(), received_on=RECEIVED)
    (document,) = parsed.documents
    assert document.problem is None and document.content.startswith(b"%PDF")
    assert document.role != "referral_form"


# No PDF in the sample: a PDF without text goes to OCR, which would make each example slow.
SAMPLE = email("CME referral", [("Référral form.docx", _docx_sample(), "application/octet-stream"),
                                ("letter.txt", b"Dear Sir, we moved.\n", "text/plain")])
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _parse_or_malformed(raw: bytes) -> None:
    try:
        parsed = parse_message(raw, received_on=RECEIVED)
    except MalformedMessage as error:
        assert error.reason
        return
    assert isinstance(parsed.record, dict)
    assert len(parsed.documents) == len(parsed.record["documents"])


@SETTINGS
@given(st.binary(max_size=4096))
def test_parse_message_on_arbitrary_bytes(raw: bytes) -> None:
    _parse_or_malformed(raw)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS) | st.binary(max_size=40), max_size=40),
       st.integers(min_value=0, max_value=len(SAMPLE)))
def test_parse_message_on_damaged_emails(pieces: list[bytes], at: int) -> None:
    """A real email with random MIME-ish debris spliced in, or cut short."""
    _parse_or_malformed(SAMPLE[:at] + b"".join(pieces) + SAMPLE[at:])
    _parse_or_malformed(SAMPLE[:at])


def test_a_portal_named_in_a_signature_is_not_a_notice() -> None:
    from parsers.mail import secure as secure_mail

    assert secure_mail.portal_of(subject="Re: CME", body="Thanks.\n-- \nWe use Egress.",
                                 sender=None, filenames=[]) is None
    raw = email("CME referral", [("form.docx", b"", "application/octet-stream")],
                body="Form attached. Sent securely with Egress: click here for our policy.")
    (document,) = parse_message(raw, received_on=RECEIVED).documents
    assert document.problem == "the file is empty (0 bytes)"


# --- the daemon against Dovecot -------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.dovecot
def test_daemon_survives_the_corpus(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every hostile message ends in Processed (a flagged case or a no-form entry) or in
    Failed, with its specific reason in the intake log; none is lost; no message waits on a
    document past the limit; the daemon exits cleanly."""

    from sqlmodel import select

    from intake.config import LimitsSettings
    from intake.mailbox import run_daemon
    from intake.mailbox.worker import Store
    from models.db import make_engine, session_scope
    from models.tables import Document, Flag, Message
    from tests.services.dovecot import start_dovecot, stop_dovecot
    from tests.test_daemon_imap import imap_settings

    server = start_dovecot()
    try:
        user, _ = server.new_user("cme")
        raws = {case.name: case.build() for case in CASES.values()}
        server.append_many(user, list(raws.values()))
        settings = imap_settings(server, tmp_path, ("cme", user))
        settings.limits = LimitsSettings(document_wall_seconds=30, document_memory_mb=512)
        # The daemon's worker reads every document in an isolated worker process
        # (MailboxWorker.read_limits); check that wiring rather than patching it in.
        timings: list[float] = []
        store = Store.default()
        real = store.ingest_message

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.monotonic()
            try:
                return real(*args, **kwargs)
            finally:
                timings.append(time.monotonic() - started)

        store.ingest_message = timed
        assert run_daemon(settings, once=True, store=store) == 0
        from parsers import isolation

        assert isolation._SHARED is not None and isolation._SHARED.live >= 1, "not isolated"
        assert server.count(user) == 0, "messages left in INBOX"
        moved = server.count(user, "Processed") + server.count(user, "Failed")
        assert moved == len(raws), "a message was lost"
        with session_scope(make_engine(settings.database.url)) as session:
            messages = list(session.exec(select(Message)))
            documents = list(session.exec(select(Document)))
            flags = list(session.exec(select(Flag)))
        assert len(messages) == len(raws)
        failed = [m for m in messages if m.status == "failed"]
        assert server.count(user, "Failed") == len(failed)
        _check_outcomes(messages, documents, flags)
        # Oversized messages are refused before parsing, so they are not timed.
        assert timings and max(timings) < 2 * settings.limits.document_wall_seconds, timings
        print(f"{len(messages)} hostile messages; slowest ingest {max(timings):.1f} s; "
              f"statuses {sorted(m.status for m in messages)}")
    finally:
        stop_dovecot(server)


def _check_outcomes(messages, documents, flags) -> None:  # type: ignore[no-untyped-def]
    by_id = {(m.message_id or "").strip("<>"): m for m in messages if m.message_id}
    for case in CASES.values():
        if case.name == "fifty_mb_attachment":  # refused by size before parsing
            row = next(m for m in messages if "50 MB" in (m.subject or "")
                       or "max_message_bytes" in (m.error or ""))
        elif case.expect.failed:
            row = next(m for m in messages if m.status == "failed" and not m.message_id)
        else:
            found = re.search(rb"Message-ID:\s*<([^>]+)>", case.build()[:4000], re.I)
            assert found, case.name
            row = by_id[found.group(1).decode()]
        if case.expect.failed:
            assert row.status == "failed" and re.search(case.expect.phrase, row.error or "")
            continue
        if case.expect.form:
            assert row.status in ("ingested", "threaded"), (case.name, row.status)
            continue
        reasons = [d.problem or "" for d in documents if d.message_pk == row.id]
        reasons += [f.message for f in flags if f.message_pk == row.id]
        reasons += [row.error or "", row.flag_codes or ""]
        joined = "\n".join(reasons)
        assert re.search(case.expect.phrase, joined) or (
            case.expect.code == "no_referral_form" and ",no_referral_form," in joined), (
            case.name, row.status, joined[:500])


def test_macro_enabled_form_is_read_and_its_macros_ignored() -> None:
    """A .docm (Word with a VBA project): read as Word; vbaProject.bin is never opened."""
    import io
    import zipfile
    from pathlib import Path

    from intake.core.pipeline import parse_document
    from parsers import sniff

    source = Path(__file__).parent / "fixtures" / "golden" / "d01_two_col_complete.docx"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source.read_bytes())) as original, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as docm:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"wordprocessingml.document.main+xml",
                    b"wordprocessingml.document.main+xml_").replace(
                    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document."
                    b"main+xml_", b"application/vnd.ms-word.document.macroEnabled.main+xml")
            docm.writestr(item, data)
        docm.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 Sub AutoOpen() Shell 'x' End Sub")
    content = out.getvalue()
    assert sniff.sniff(content) == sniff.DOCM
    parsed = parse_document(content, filename="form.docm", received_on=RECEIVED)
    (document,) = parsed.documents
    assert (document.role, document.extraction, document.problem) == ("referral_form", "docx",
                                                                       None)
