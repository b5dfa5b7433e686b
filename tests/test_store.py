"""models.store on real SQLite and real PostgreSQL, with real emails and Word forms.

Every pupil, school and person here is invented.
"""

from __future__ import annotations

import io
import multiprocessing
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from docx import Document as WordDocument
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from intake.core.rules import RuleSettings
from intake.ingest import ingest_message, reprocess_message
from models.db import make_engine, migrate, session_scope
from models.store import (
    IngestOutcome,
    SourceRef,
    StoreError,
    mark_moved,
    read_headers,
    record_poll,
    resolve_flag,
    unmoved,
    update_part3,
)
from models.tables import AuditEvent, Blob, Case, CaseVersion, Document, Flag, MailboxState, Message
from parsers.errors import MalformedMessage
from parsers.values.ids import upn_check_letter

SETTINGS = RuleSettings()
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
WHEN = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)


def valid_upn(body12: str = "201234567890") -> str:
    letter = upn_check_letter(body12)
    assert letter is not None
    return letter + body12


def pupil_fields(**overrides: str) -> dict[str, str]:
    """A Part 1 that the pipeline reads as a referral form (labels as on real forms)."""
    fields = {
        "Surname": "Doe",
        "Forenames": "Jane",
        "Date of birth": "03/09/2014",
        "School name": "Hillside Primary",
        "School type": "Maintained",
        "Date last attended": "03/11/2026",
        "Contact name": "Sam Teacher",
    }
    fields.update(overrides)
    return {label: value for label, value in fields.items() if value}


def referral_docx(fields: dict[str, str]) -> bytes:
    document = WordDocument()
    document.add_paragraph("Children Missing Education referral form")
    table = document.add_table(rows=0, cols=2)
    for label, value in fields.items():
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def referral_email(
    *,
    fields: dict[str, str] | None = None,
    message_id: str | None = None,
    subject: str = "CME referral",
    in_reply_to: str | None = None,
    body: str = "Please find the referral attached.",
    attachments: tuple[tuple[str, bytes], ...] = (),
) -> bytes:
    message = EmailMessage()
    message["From"] = "office@hillside.example"
    message["To"] = "ene@council.example"
    message["Subject"] = subject
    message["Date"] = "Mon, 16 Nov 2026 09:30:00 +0000"
    message["Message-ID"] = message_id or make_msgid(domain="hillside.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    if fields is not None:
        message.add_attachment(
            referral_docx(fields),
            maintype=DOCX_TYPE[0],
            subtype=DOCX_TYPE[1],
            filename="referral.docx",
        )
    for filename, content in attachments:
        message.add_attachment(
            content, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename=filename
        )
    return bytes(message)


def source(mailbox: str = "ene", *, uid: int | None = None, uidvalidity: int | None = None):
    return SourceRef(
        mailbox=mailbox,
        source="imap",
        account=f"{mailbox}@council.example",
        folder="INBOX",
        uidvalidity=uidvalidity,
        uid=uid,
    )


def ingest(engine, raw: bytes, mailbox: str = "ene", **where) -> IngestOutcome:
    return ingest_message(
        engine, raw=raw, source=source(mailbox, **where), settings=SETTINGS, received_at=WHEN
    )


def open_flags(engine, reference: str) -> list[Flag]:
    with session_scope(engine, readonly=True) as session:
        case_id = session.exec(select(Case.id).where(Case.reference == reference)).one()
        return list(
            session.exec(
                select(Flag)
                .where(Flag.case_id == case_id, Flag.status == "open")
                .order_by(col(Flag.id))
            )
        )


def count(engine, table) -> int:
    with session_scope(engine, readonly=True) as session:
        return len(session.exec(select(table)).all())


# --- ingesting ---------------------------------------------------------------------------


def test_ingest_stores_message_documents_case_and_audit(db_engine) -> None:
    raw = referral_email(
        fields=pupil_fields(UPN=valid_upn()), message_id="<first@hillside.example>"
    )
    outcome = ingest(db_engine, raw, uid=7, uidvalidity=100)
    assert outcome.status == "ingested" and not outcome.already_stored and not outcome.moved
    assert outcome.case_reference is not None
    assert outcome.case_reference.startswith("CME-2026-")
    assert len(outcome.case_reference) == len("CME-2026-000001")
    with session_scope(db_engine, readonly=True) as session:
        message = session.get(Message, outcome.message_pk)
        assert message is not None
        assert (message.message_id, message.dedup_key) == ("<first@hillside.example>",) * 2
        assert message.subject == "CME referral" and message.from_addr == "office@hillside.example"
        assert session.get(Blob, message.raw_sha256).content == raw  # type: ignore[union-attr]
        documents = session.exec(select(Document).where(Document.message_pk == message.id)).all()
        assert [d.role for d in documents] == ["referral_form"]
        assert session.get(Blob, documents[0].sha256) is not None
        case = session.exec(select(Case).where(Case.reference == outcome.case_reference)).one()
        assert (case.area, case.mailbox, case.version, case.status) == ("ENE", "ene", 1, "open")
        assert case.has_blocking and case.upn == valid_upn()
        assert (case.surname_key, case.forenames_key, case.date_of_birth) == (
            "doe",
            "jane",
            "2014-09-03",
        )
        assert case.record["reference"] == case.reference
        assert case.record["complete"] is False
        assert {f["code"] for f in case.record["flags"]} >= {"missing_field", "part2_missing"}
        versions = session.exec(select(CaseVersion).where(CaseVersion.case_id == case.id)).all()
        assert [(v.version, v.message_pk) for v in versions] == [(1, message.id)]
        events = session.exec(select(AuditEvent).where(AuditEvent.message_pk == message.id)).all()
        assert [(e.action, e.actor, e.case_id) for e in events] == [
            ("message_ingested", "system", case.id)
        ]


def test_central_mailbox_case_is_in_the_central_area(db_engine) -> None:
    raw = referral_email(fields=pupil_fields(**{"School type": "Academy"}))
    outcome = ingest(db_engine, raw, mailbox="cme")
    with session_scope(db_engine, readonly=True) as session:
        case = session.exec(select(Case).where(Case.reference == outcome.case_reference)).one()
        assert case.area == "central"


def test_reingesting_is_a_no_op(db_engine) -> None:
    raw = referral_email(fields=pupil_fields())
    first = ingest(db_engine, raw, uid=1, uidvalidity=5)
    again = ingest(db_engine, raw, uid=1, uidvalidity=5)
    assert again == IngestOutcome(first.message_pk, "ingested", first.case_reference, True, False)
    assert (count(db_engine, Message), count(db_engine, Case)) == (1, 1)


def test_same_message_id_after_uidvalidity_change_is_already_stored(db_engine) -> None:
    raw = referral_email(fields=pupil_fields())
    first = ingest(db_engine, raw, uid=1, uidvalidity=5)
    moved_again = ingest(db_engine, raw, uid=44, uidvalidity=6)
    assert moved_again.already_stored and moved_again.message_pk == first.message_pk
    assert count(db_engine, Message) == 1


def test_message_without_message_id_deduplicates_on_its_bytes(db_engine) -> None:
    raw = referral_email(fields=pupil_fields()).replace(b"Message-ID:", b"X-Old-ID:")
    assert read_headers(raw).dedup_key.startswith("sha256:")
    assert not ingest(db_engine, raw).already_stored
    assert ingest(db_engine, raw).already_stored


def test_same_message_in_two_mailboxes_is_stored_in_each(db_engine) -> None:
    raw = referral_email(fields=pupil_fields(UPN=valid_upn()))
    ene, cme = ingest(db_engine, raw, "ene"), ingest(db_engine, raw, "cme")
    assert not cme.already_stored and ene.case_reference != cme.case_reference
    assert "possible_duplicate" in {f.code for f in open_flags(db_engine, cme.case_reference)}


def test_a_lost_race_ends_as_already_stored(db_engine, monkeypatch) -> None:
    """Were the lock bypassed, the unique constraint still stops a second copy."""
    import models.store_ingest

    raw = referral_email(fields=pupil_fields())
    first = ingest(db_engine, raw)
    real_lookup = models.store_ingest._lookup
    calls = []

    def blind_twice(*args):
        calls.append(args)  # the pre-check and the check in the transaction miss it
        return (None, None) if len(calls) <= 2 else real_lookup(*args)

    monkeypatch.setattr(models.store_ingest, "_lookup", blind_twice)
    again = ingest(db_engine, raw)
    assert again.already_stored and again.message_pk == first.message_pk
    assert len(calls) == 3
    assert (count(db_engine, Message), count(db_engine, Case)) == (1, 1)


def test_a_reused_uid_does_not_hide_a_different_message(db_engine) -> None:
    first = ingest(db_engine, referral_email(fields=pupil_fields()), uid=3, uidvalidity=9)
    other = ingest(
        db_engine, referral_email(fields=pupil_fields(Surname="Roe")), uid=3, uidvalidity=9
    )
    assert not other.already_stored and other.message_pk != first.message_pk
    with session_scope(db_engine, readonly=True) as session:
        message = session.get(Message, other.message_pk)
        assert message is not None and (message.uidvalidity, message.uid) == (None, None)


def _ingest_all(url: str, raws: list[bytes]) -> list[IngestOutcome]:
    engine = make_engine(url)
    try:
        return [
            ingest_message(engine, raw=raw, source=source(), settings=SETTINGS, received_at=WHEN)
            for raw in raws
        ]
    finally:
        engine.dispose()


def test_two_processes_store_each_message_once(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    raws = [
        referral_email(fields=pupil_fields(Surname=f"Testpupil{n}"), message_id=f"<m{n}@x.example>")
        for n in range(20)
    ]
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        first, second = pool.starmap(_ingest_all, [(db_url, raws), (db_url, raws)])
    assert {outcome.status for outcome in first + second} == {"ingested"}
    for mine, theirs in zip(first, second, strict=True):
        assert mine.message_pk == theirs.message_pk
        assert mine.case_reference == theirs.case_reference
        assert sorted([mine.already_stored, theirs.already_stored]) == [False, True]
    assert (count(engine, Message), count(engine, Case), count(engine, CaseVersion)) == (20, 20, 20)
    engine.dispose()


# --- threading -----------------------------------------------------------------------------


def test_reply_without_form_is_threaded_by_in_reply_to(db_engine) -> None:
    original = ingest(db_engine, referral_email(fields=pupil_fields(), message_id="<o@h.example>"))
    reply = referral_email(
        subject="Re: CME referral", in_reply_to="<o@h.example>", body="We are chasing the DSL."
    )
    outcome = ingest(db_engine, reply)
    assert (outcome.status, outcome.case_reference) == ("threaded", original.case_reference)
    with session_scope(db_engine, readonly=True) as session:
        case = session.exec(select(Case).where(Case.reference == original.case_reference)).one()
        assert case.version == 1
        linked = session.exec(select(Message.id).where(Message.case_id == case.id)).all()
        assert sorted(linked) == [original.message_pk, outcome.message_pk]


def test_reply_with_form_by_subject_reference_resolves_filled_flags(db_engine) -> None:
    original = ingest(db_engine, referral_email(fields=pupil_fields()))
    reference = original.case_reference
    before = {(f.code, f.field): f.id for f in open_flags(db_engine, reference)}
    assert ("missing_recommended", "pupil.upn") in before
    assert ("missing_recommended", "pupil.gender") in before
    corrected = pupil_fields(UPN=valid_upn(), Gender="Female")
    outcome = ingest(db_engine, referral_email(fields=corrected, subject=f"RE: {reference} upn"))
    assert (outcome.status, outcome.case_reference) == ("threaded", reference)
    after = {(f.code, f.field): f.id for f in open_flags(db_engine, reference)}
    assert ("missing_recommended", "pupil.upn") not in after
    assert ("missing_recommended", "pupil.gender") not in after
    assert after == {key: before[key] for key in after}  # still-raised flags keep their rows
    with session_scope(db_engine, readonly=True) as session:
        case = session.exec(select(Case).where(Case.reference == reference)).one()
        assert case.version == 2 and case.upn == valid_upn()
        assert case.record["pupil"]["gender"] is not None
        closed = session.get(Flag, before[("missing_recommended", "pupil.upn")])
        assert closed is not None
        assert (closed.status, closed.closed_by) == ("resolved", "system")
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
        assert actions.count("flag_auto_resolved") == 2
        versions = session.exec(
            select(CaseVersion.version).where(CaseVersion.case_id == case.id)
        ).all()
        assert sorted(versions) == [1, 2]


def test_flag_closed_by_a_reviewer_is_not_raised_again(db_engine) -> None:
    original = ingest(db_engine, referral_email(fields=pupil_fields(), message_id="<a@h.example>"))
    flag = next(f for f in open_flags(db_engine, original.case_reference) if f.field == "pupil.upn")
    resolve_flag(db_engine, flag_id=int(flag.id or 0), actor="aio.one", note="UPN by phone")
    reply = referral_email(fields=pupil_fields(), in_reply_to="<a@h.example>")
    ingest(db_engine, reply)
    assert "pupil.upn" not in {f.field for f in open_flags(db_engine, original.case_reference)}


def test_part3_survives_a_reply_with_a_form(db_engine) -> None:
    original = ingest(db_engine, referral_email(fields=pupil_fields(), message_id="<p@h.example>"))
    update_part3(
        db_engine,
        reference=original.case_reference,
        actor="aio.one",
        aio_name="Alex Officer",
        date_allocated="2026-11-17",
        sections_complete=False,
        notes="Chasing Part 2",
    )
    ingest(db_engine, referral_email(fields=pupil_fields(), in_reply_to="<p@h.example>"))
    with session_scope(db_engine, readonly=True) as session:
        case = session.exec(select(Case).where(Case.reference == original.case_reference)).one()
        assert case.version == 3 and case.aio_name == "Alex Officer"
        assert case.record["aio"]["notes"] == "Chasing Part 2"


def _mismatch_events(engine, reference: str) -> list[dict]:
    with session_scope(engine, readonly=True) as session:
        case_id = session.exec(select(Case.id).where(Case.reference == reference)).one()
        return [
            dict(event.detail, message_pk=event.message_pk)
            for event in session.exec(
                select(AuditEvent)
                .where(AuditEvent.case_id == case_id, AuditEvent.action == "thread_pupil_mismatch")
                .order_by(col(AuditEvent.id))
            )
        ]


def test_reply_naming_another_pupil_opens_a_new_case(db_engine) -> None:
    original = ingest(db_engine, referral_email(fields=pupil_fields(), message_id="<d@h.example>"))
    reply = referral_email(
        fields=pupil_fields(Surname="Roe", Forenames="Sam"), in_reply_to="<d@h.example>"
    )
    outcome = ingest(db_engine, reply)
    assert outcome.status == "ingested"
    assert outcome.case_reference not in (None, original.case_reference)
    with session_scope(db_engine, readonly=True) as session:
        old = session.exec(select(Case).where(Case.reference == original.case_reference)).one()
        assert (old.version, old.surname_key, old.record["pupil"]["surname"]) == (1, "doe", "Doe")
        new = session.exec(select(Case).where(Case.reference == outcome.case_reference)).one()
        assert (new.version, new.surname_key, new.record["reference"]) == (1, "roe", new.reference)
        message = session.get(Message, outcome.message_pk)
        assert message is not None and message.case_id == new.id
    assert _mismatch_events(db_engine, original.case_reference) == [
        {"new_case": outcome.case_reference, "differs": "surname", "message_pk": outcome.message_pk}
    ]
    assert "possible_duplicate" not in {f.code for f in open_flags(db_engine, new.reference)}


def test_reply_by_subject_with_another_birth_date_opens_a_new_case(db_engine) -> None:
    original = ingest(db_engine, referral_email(fields=pupil_fields()))
    reference = original.case_reference
    reply = referral_email(
        fields=pupil_fields(**{"Date of birth": "04/10/2015"}), subject=f"RE: {reference}"
    )
    outcome = ingest(db_engine, reply)
    assert outcome.status == "ingested" and outcome.case_reference != reference
    [event] = _mismatch_events(db_engine, reference)
    assert (event["new_case"], event["differs"]) == (outcome.case_reference, "date_of_birth")
    with session_scope(db_engine, readonly=True) as session:
        old = session.exec(select(Case).where(Case.reference == reference)).one()
        assert (old.version, old.date_of_birth) == (1, "2014-09-03")


def test_reply_for_the_same_pupil_in_other_case_or_blank_fields_threads(db_engine) -> None:
    original = ingest(db_engine, referral_email(fields=pupil_fields(), message_id="<s@h.example>"))
    shouted = pupil_fields(Surname=" DOE ", Forenames="JANE", **{"Date of birth": ""})
    outcome = ingest(db_engine, referral_email(fields=shouted, in_reply_to="<s@h.example>"))
    assert (outcome.status, outcome.case_reference) == ("threaded", original.case_reference)
    assert _mismatch_events(db_engine, original.case_reference) == []
    with session_scope(db_engine, readonly=True) as session:
        case = session.exec(select(Case).where(Case.reference == original.case_reference)).one()
        assert case.version == 2


def test_a_new_case_from_a_reply_is_judged_on_its_own_day(db_engine) -> None:
    """Lateness of a reply is judged on its case's first day; a new case on its own."""
    ingest(db_engine, referral_email(fields=pupil_fields(), message_id="<l@h.example>"))
    later = datetime(2027, 1, 25, 9, 30, tzinfo=UTC)
    same_pupil = referral_email(fields=pupil_fields(), in_reply_to="<l@h.example>")
    other_pupil = referral_email(fields=pupil_fields(Surname="Roe"), in_reply_to="<l@h.example>")
    threaded, opened = (
        ingest_message(db_engine, raw=raw, source=source(), settings=SETTINGS, received_at=later)
        for raw in (same_pupil, other_pupil)
    )
    assert threaded.status == "threaded" and opened.status == "ingested"
    assert "late_referral" not in {f.code for f in open_flags(db_engine, threaded.case_reference)}
    assert "late_referral" in {f.code for f in open_flags(db_engine, opened.case_reference)}
    with session_scope(db_engine, readonly=True) as session:
        new = session.exec(select(Case).where(Case.reference == opened.case_reference)).one()
        assert new.late and "late_referral" in {f["code"] for f in new.record["flags"]}
        message = session.get(Message, opened.message_pk)
        assert message is not None and "late_referral" in (message.flag_codes or "")


# --- duplicates, failures ------------------------------------------------------------------


def test_possible_duplicate_by_upn_and_by_name_and_birth_date(db_engine) -> None:
    first = ingest(db_engine, referral_email(fields=pupil_fields(UPN=valid_upn())))
    by_upn = ingest(
        db_engine,
        referral_email(fields=pupil_fields(UPN=valid_upn(), Surname="Other", Forenames="Sample")),
    )
    by_name = ingest(
        db_engine, referral_email(fields=pupil_fields(Surname="DOE ", Forenames="jane"))
    )
    unrelated = ingest(db_engine, referral_email(fields=pupil_fields(Surname="Roe")))
    for outcome in (by_upn, by_name):
        duplicates = [
            f
            for f in open_flags(db_engine, outcome.case_reference)
            if f.code == "possible_duplicate"
        ]
        assert duplicates and first.case_reference in duplicates[0].message
    assert "possible_duplicate" not in {
        f.code for f in open_flags(db_engine, unrelated.case_reference)
    }


def test_message_without_a_form(db_engine) -> None:
    outcome = ingest(db_engine, referral_email(body="Can you call me back about a pupil?"))
    assert (outcome.status, outcome.case_reference) == ("no_referral_form", None)
    with session_scope(db_engine, readonly=True) as session:
        message = session.get(Message, outcome.message_pk)
        assert message is not None and message.flag_codes == ",no_referral_form,"
        event = session.exec(select(AuditEvent).where(AuditEvent.message_pk == message.id)).one()
        assert event.detail["flags"] == ["no_referral_form"]
    assert count(db_engine, Case) == 0


def test_only_unreadable_documents_fail_with_the_reason(db_engine) -> None:
    raw = referral_email(attachments=(("referral.docx", b"PK\x03\x04 not really a zip"),))
    outcome = ingest(db_engine, raw)
    assert outcome.status == "failed" and outcome.case_reference is None
    with session_scope(db_engine, readonly=True) as session:
        message = session.get(Message, outcome.message_pk)
        assert message is not None and message.error is not None
        assert message.error.startswith("no referral form; document 1:")
        assert "unreadable_document" in (message.flag_codes or "")


def test_parser_crash_is_stored_as_failed_and_can_be_reprocessed(db_engine, monkeypatch) -> None:
    import intake.core.pipeline

    def crash(*args, **kwargs):
        raise ValueError("Jane Doe born 2014-09-03")  # what a careless parser might say

    raw = referral_email(fields=pupil_fields())
    with monkeypatch.context() as patch:
        patch.setattr(intake.core.pipeline, "parse_message", crash)
        outcome = ingest(db_engine, raw)
    assert (outcome.status, outcome.case_reference) == ("failed", None)
    with session_scope(db_engine, readonly=True) as session:
        message = session.get(Message, outcome.message_pk)
        assert message is not None and message.attempts == 1
        assert message.error is not None and message.error.startswith("unexpected ValueError")
        assert "Jane" not in message.error and "\n" not in message.error
        assert session.get(Blob, message.raw_sha256).content == raw  # type: ignore[union-attr]
    assert ingest(db_engine, raw).already_stored
    again = reprocess_message(db_engine, message_pk=outcome.message_pk, settings=SETTINGS)
    assert again.status == "ingested" and again.case_reference is not None
    with session_scope(db_engine, readonly=True) as session:
        message = session.get(Message, outcome.message_pk)
        assert message is not None and (message.attempts, message.error) == (2, None)


def test_malformed_message_reason_is_kept(db_engine, monkeypatch) -> None:
    import intake.core.pipeline

    def malformed(*args, **kwargs):
        raise MalformedMessage("the message has no header section")

    monkeypatch.setattr(intake.core.pipeline, "parse_message", malformed)
    outcome = ingest(db_engine, b"\x00\x01 garbage")
    with session_scope(db_engine, readonly=True) as session:
        message = session.get(Message, outcome.message_pk)
        assert message is not None and message.status == "failed"
        assert message.error == "MalformedMessage: the message has no header section"


def test_database_errors_are_raised_for_the_daemon_to_retry(db_url: str) -> None:
    engine = make_engine(db_url)  # never migrated: no tables
    with pytest.raises(DBAPIError):
        ingest(engine, referral_email(fields=pupil_fields()))
    engine.dispose()


# --- mailbox bookkeeping and reviewers' edits ---------------------------------------------------


def test_mark_moved_and_unmoved(db_engine) -> None:
    raw = referral_email(fields=pupil_fields())
    first = ingest(db_engine, raw, uid=1, uidvalidity=9)
    second = ingest(db_engine, referral_email(body="hello"), uid=2, uidvalidity=9)
    pending = unmoved(db_engine, mailbox="ene")
    assert [(pk, ref.uid, status) for pk, ref, status in pending] == [
        (first.message_pk, 1, "ingested"),
        (second.message_pk, 2, "no_referral_form"),
    ]
    mark_moved(db_engine, first.message_pk)
    assert [pk for pk, _, _ in unmoved(db_engine, mailbox="ene")] == [second.message_pk]
    assert ingest(db_engine, raw, uid=1, uidvalidity=9).moved
    with pytest.raises(StoreError):
        mark_moved(db_engine, 999_999)


def test_record_poll_upserts_mailbox_state(db_engine) -> None:
    record_poll(
        db_engine,
        mailbox="ene",
        folder="INBOX",
        ok=True,
        error=None,
        uidvalidity=9,
        last_uid=12,
        waiting=3,
    )
    record_poll(
        db_engine,
        mailbox="ene",
        folder="INBOX",
        ok=False,
        error="login failed\nretry",
        uidvalidity=None,
        last_uid=None,
        waiting=0,
    )
    with session_scope(db_engine, readonly=True) as session:
        state = session.exec(select(MailboxState)).one()
        assert (state.uidvalidity, state.last_uid, state.waiting) == (9, 12, 0)
        assert state.last_poll_ok_at is not None and state.last_error == "login failed retry"


def test_resolve_and_waive_flags_complete_the_case(db_engine) -> None:
    outcome = ingest(db_engine, referral_email(fields=pupil_fields()))
    flags = open_flags(db_engine, outcome.case_reference)
    blocking = [f for f in flags if f.severity == "blocking"]
    with pytest.raises(StoreError, match="note"):
        resolve_flag(db_engine, flag_id=int(blocking[0].id or 0), actor="a", note=" ", waive=True)
    for n, flag in enumerate(blocking):
        result = resolve_flag(
            db_engine,
            flag_id=int(flag.id or 0),
            actor="aio.one",
            note="school confirmed by phone",
            waive=n % 2 == 1,
        )
    assert result["case_status"] == "complete"
    with pytest.raises(StoreError, match="already"):
        resolve_flag(db_engine, flag_id=int(blocking[0].id or 0), actor="aio.one", note="x")
    with session_scope(db_engine, readonly=True) as session:
        case = session.exec(select(Case).where(Case.reference == outcome.case_reference)).one()
        assert (case.status, case.has_blocking, case.record["complete"]) == (
            "complete",
            False,
            True,
        )
        assert case.completed_at is not None
        assert all(f["severity"] != "blocking" for f in case.record["flags"])
        actions = session.exec(
            select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.case_id == case.id)
        ).all()
        assert ("flag_waived", "aio.one") in actions and ("flag_resolved", "aio.one") in actions


def test_update_part3_writes_a_new_version(db_engine) -> None:
    outcome = ingest(db_engine, referral_email(fields=pupil_fields()))
    version = update_part3(
        db_engine,
        reference=outcome.case_reference,
        actor="aio.one",
        aio_name=" Alex  Officer ",
        date_allocated="2026-11-18",
        sections_complete=True,
        notes="All done",
    )
    assert version == 2
    with session_scope(db_engine, readonly=True) as session:
        case = session.exec(select(Case).where(Case.reference == outcome.case_reference)).one()
        assert case.record["aio"] == {
            "name": "Alex Officer",
            "date_allocated": "2026-11-18",
            "sections_complete": True,
            "notes": "All done",
        }
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "part3_updated")).one()
        assert event.actor == "aio.one" and event.detail["version"] == 2
    with pytest.raises(StoreError):
        update_part3(
            db_engine,
            reference=outcome.case_reference,
            actor="a",
            aio_name=None,
            date_allocated="18/11/2026",
            sections_complete=None,
            notes=None,
        )
    with pytest.raises(StoreError):
        update_part3(
            db_engine,
            reference="CME-2026-999999",
            actor="a",
            aio_name=None,
            date_allocated=None,
            sections_complete=None,
            notes=None,
        )


def test_models_store_still_exports_every_public_name() -> None:
    """Other parts import these from models.store; the split modules must not move them."""
    import models.store

    names = {
        "MAILBOX_AREA", "MAX_DUPLICATES", "MESSAGE_ID_TOKEN", "REFERENCE_IN_SUBJECT", "SYSTEM",
        "Headers", "IngestOutcome", "SourceRef", "StoreError", "audit", "flag_dict",
        "store_message", "london_date", "mark_moved", "pupil_keys", "read_headers",
        "record_poll", "store_reparsed", "resolve_flag", "unmoved", "update_part3",
    }
    assert names <= set(models.store.__all__)
    assert all(hasattr(models.store, name) for name in names)
    from parsers.errors import IntakeError

    assert issubclass(StoreError, IntakeError) and models.store.StoreError is StoreError
