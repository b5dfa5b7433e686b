"""Storing received messages as cases, and the edits reviewers make to cases.

:func:`ingest_message` is the one way a message enters the database. Parsing (slow: Word,
PDF, OCR) happens before any transaction; then one short transaction decides whether the
message is already known, stores its bytes and rows, and creates or updates its case. Two
daemons handling the same message at once store it once: unique constraints on the message
keys, plus a lock taken before the check (``BEGIN IMMEDIATE`` on SQLite, an advisory lock
on PostgreSQL); a race that still ends in an IntegrityError is reported as already stored.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import logging
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import policy
from email.parser import BytesHeaderParser
from typing import Any

from sqlalchemy import Engine, and_, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from intake.errors import IntakeError
from models.db import session_scope
from models.tables import (
    AuditEvent,
    Blob,
    Case,
    CaseVersion,
    Document,
    Flag,
    MailboxState,
    Message,
    utcnow,
)

log = logging.getLogger(__name__)

SYSTEM = "system"
REFERENCE_IN_SUBJECT = re.compile(r"\bCME-(\d{4})-(\d{6,})\b", re.IGNORECASE)
MESSAGE_ID_TOKEN = re.compile(r"<[^<>\s]+>")
MAILBOX_AREA = {"cme": "central", "ene": "ENE", "wnw": "WNW", "south": "South"}
MAX_DUPLICATES = 5


class StoreError(IntakeError):
    """A case edit that cannot be done: unknown case or flag, or a bad value."""


@dataclass(frozen=True)
class SourceRef:
    """Where a message came from: enough to find it again and to move it."""

    mailbox: str
    source: str
    account: str
    folder: str
    uidvalidity: int | None = None
    uid: int | None = None
    source_key: str | None = None


@dataclass(frozen=True)
class IngestOutcome:
    message_pk: int
    status: str
    case_reference: str | None
    already_stored: bool
    moved: bool


@dataclass(frozen=True)
class Headers:
    """What the store reads from the raw headers itself, so dedup never depends on parsing."""

    message_id: str | None
    dedup_key: str
    raw_sha256: str
    thread_ids: tuple[str, ...]
    subject: str | None
    from_: str | None
    to: str | None
    date: str | None


def read_headers(raw: bytes) -> Headers:
    """Message-ID (or the raw sha256) as the dedup key, plus the threading headers."""
    raw_sha256 = hashlib.sha256(raw).hexdigest()
    try:
        parsed = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    except Exception:  # never let odd bytes stop the message being recorded
        parsed = None

    def header(name: str) -> str | None:
        try:
            value = parsed.get(name) if parsed is not None else None
        except Exception:
            return None
        if value is None:
            return None
        return " ".join(str(value).split()) or None

    message_id = _normal_message_id(header("Message-ID"))
    if message_id is None:
        dedup_key = f"sha256:{raw_sha256}"
    elif len(message_id) > 900:
        dedup_key = "message-id-sha256:" + hashlib.sha256(message_id.encode()).hexdigest()
    else:
        dedup_key = message_id
    thread = MESSAGE_ID_TOKEN.findall(f"{header('In-Reply-To') or ''} {header('References') or ''}")
    return Headers(
        message_id=message_id,
        dedup_key=dedup_key,
        raw_sha256=raw_sha256,
        thread_ids=tuple(dict.fromkeys(reversed(thread)))[:50],
        subject=header("Subject"),
        from_=header("From"),
        to=header("To"),
        date=header("Date"),
    )


def _normal_message_id(value: str | None) -> str | None:
    if not value:
        return None
    token = MESSAGE_ID_TOKEN.search(value)
    return token.group(0) if token else f"<{value.strip('<> ')}>"


def ingest_message(
    engine: Engine,
    *,
    raw: bytes,
    source: SourceRef,
    settings: Any,
    received_at: datetime | None = None,
) -> IngestOutcome:
    """Store one received message and its case; never raises for a bad message.

    A message whose parsing fails is stored with status ``failed`` and a one-line reason
    (its raw bytes are kept). Database errors do raise: the caller retries later.
    """
    received_at = _as_utc(received_at)
    headers = read_headers(raw)
    known = _stored_outcome(engine, source, headers.dedup_key)
    if known is not None:
        return known
    received_on = _thread_received_on(engine, headers) or london_date(received_at)
    parsed, failure = _parse(raw, source=source, received_on=received_on, settings=settings)
    try:
        with session_scope(engine) as session:
            _lock(session, f"message|{source.mailbox}|{headers.dedup_key}")
            existing = _find_message(session, source, headers.dedup_key)
            if existing is not None:
                return _outcome(session, existing, already_stored=True)
            source = _usable_uid(session, source)
            message = _new_message(session, raw, source, headers, received_at, parsed)
            if parsed is None:
                _mark_failed(session, message, failure or "parse failed")
            else:
                _store_parsed(session, message, parsed, headers)
            return _outcome(session, message, already_stored=False)
    except IntegrityError:
        known = _stored_outcome(engine, source, headers.dedup_key)
        if known is None:
            raise
        log.info("message %s stored concurrently by another process", known.message_pk)
        return known


def reprocess_message(engine: Engine, *, message_pk: int, settings: Any) -> IngestOutcome:
    """Parse a stored message again (after a parser fix): only one that made no case."""
    with session_scope(engine, readonly=True) as session:
        message = session.get(Message, message_pk)
        if message is None:
            raise StoreError(f"no message {message_pk}")
        raw = session.get(Blob, message.raw_sha256).content  # type: ignore[union-attr]
        source = _source_of(message)
    headers = read_headers(raw)
    received_on = _thread_received_on(engine, headers) or london_date(message.received_at)
    parsed, failure = _parse(raw, source=source, received_on=received_on, settings=settings)
    with session_scope(engine) as session:
        _lock(session, f"message|{source.mailbox}|{headers.dedup_key}")
        message = session.get(Message, message_pk, populate_existing=True)
        if message is None or message.case_id is not None:
            raise StoreError(f"message {message_pk} already belongs to a case")
        message.attempts += 1
        for document in session.exec(select(Document).where(Document.message_pk == message_pk)):
            session.delete(document)
        session.flush()
        if parsed is None:
            _mark_failed(session, message, failure or "parse failed")
        else:
            message.error = None
            _store_parsed(session, message, parsed, headers)
        return _outcome(session, message, already_stored=False)


def _parse(
    raw: bytes, *, source: SourceRef, received_on: date, settings: Any
) -> tuple[Any | None, str | None]:
    """The pipeline's ParsedMessage, or None and a one-line reason free of personal data."""
    from intake import pipeline

    try:
        parsed = pipeline.parse_message(
            raw, mailbox=source.mailbox, received_on=received_on, settings=settings
        )
        return parsed, None
    except IntakeError as exc:
        return None, _one_line(f"{type(exc).__name__}: {exc.reason}")
    except Exception as exc:
        # The message of an unexpected exception may quote the form: keep only where it was.
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = (
            f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else ""
        )
        log.warning("parser raised %s%s", type(exc).__name__, where)
        return None, f"unexpected {type(exc).__name__}{where}"


def _one_line(reason: str, limit: int = 500) -> str:
    return " ".join(reason.split())[:limit]


def _as_utc(moment: datetime | None) -> datetime:
    if moment is None:
        return utcnow()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def london_date(moment: datetime) -> date:
    """The calendar day in England of a UTC moment (school days are local days)."""
    try:
        from zoneinfo import ZoneInfo

        zone: Any = ZoneInfo("Europe/London")
    except Exception:
        zone = UTC
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(zone).date()


def _lock(session: Session, key: str) -> None:
    """Serialise writers on one key. SQLite's BEGIN IMMEDIATE already serialises all."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def _by_uid(session: Session, source: SourceRef) -> Message | None:
    if source.uid is None or source.uidvalidity is None:
        return None
    return session.exec(
        select(Message).where(
            Message.account == source.account,
            Message.folder == source.folder,
            Message.uidvalidity == source.uidvalidity,
            Message.uid == source.uid,
        )
    ).first()


def _find_message(session: Session, source: SourceRef, dedup_key: str) -> Message | None:
    """The stored copy: same IMAP UID (and the same message), or same mailbox and dedup key."""
    by_uid = _by_uid(session, source)
    if by_uid is not None and by_uid.dedup_key == dedup_key:
        return by_uid
    return session.exec(
        select(Message).where(Message.mailbox == source.mailbox, Message.dedup_key == dedup_key)
    ).first()


def _usable_uid(session: Session, source: SourceRef) -> SourceRef:
    """A server that reuses a UID for another message must not cost us that message."""
    taken = _by_uid(session, source)
    if taken is None:
        return source
    log.warning(
        "UID %s of mailbox %s reused by a different message (stored message %s): "
        "storing it without its UID",
        source.uid,
        source.mailbox,
        taken.id,
    )
    return dataclasses.replace(source, uidvalidity=None, uid=None)


def _stored_outcome(engine: Engine, source: SourceRef, dedup_key: str) -> IngestOutcome | None:
    with session_scope(engine, readonly=True) as session:
        message = _find_message(session, source, dedup_key)
        return None if message is None else _outcome(session, message, already_stored=True)


def _outcome(session: Session, message: Message, *, already_stored: bool) -> IngestOutcome:
    session.flush()
    case = session.get(Case, message.case_id) if message.case_id is not None else None
    return IngestOutcome(
        message_pk=int(message.id or 0),
        status=message.status,
        case_reference=case.reference if case else None,
        already_stored=already_stored,
        moved=message.moved,
    )


def _put_blob(session: Session, content: bytes) -> str:
    """Insert-if-absent, safe when two transactions store the same bytes at once."""
    sha256 = hashlib.sha256(content).hexdigest()
    dialect = session.get_bind().dialect.name
    values = {"sha256": sha256, "size": len(content), "content": content}
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        statement = insert(Blob).values(**values).on_conflict_do_nothing(index_elements=["sha256"])
        session.connection().execute(statement)
    elif session.get(Blob, sha256) is None:
        session.add(Blob(**values))
        session.flush()
    return sha256


def _clip(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]


def _new_message(
    session: Session,
    raw: bytes,
    source: SourceRef,
    headers: Headers,
    received_at: datetime,
    parsed: Any | None,
) -> Message:
    raw_sha256 = _put_blob(session, raw)
    message = Message(
        mailbox=source.mailbox,
        source=source.source,
        account=source.account,
        folder=source.folder,
        uidvalidity=source.uidvalidity,
        uid=source.uid,
        source_key=source.source_key,
        dedup_key=headers.dedup_key,
        message_id=_clip(headers.message_id, 998),
        raw_sha256=raw_sha256,
        size=len(raw),
        received_at=received_at,
        date_header=_clip(getattr(parsed, "date", None) or headers.date, 64),
        from_addr=_clip(getattr(parsed, "from_", None) or headers.from_, 998),
        to_addr=_clip(getattr(parsed, "to", None) or headers.to, 998),
        subject=_clip(getattr(parsed, "subject", None) or headers.subject, 998),
        area=MAILBOX_AREA.get(source.mailbox),
        attempts=1,
    )
    session.add(message)
    session.flush()
    return message


def _mark_failed(session: Session, message: Message, reason: str) -> None:
    message.status = "failed"
    message.error = reason
    message.updated_at = utcnow()
    log.warning("message %s failed: %s", message.id, reason)
    _audit(session, action="message_ingested", message=message, detail={"status": "failed"})


def _audit(
    session: Session,
    *,
    action: str,
    message: Message | None = None,
    case: Case | None = None,
    actor: str = SYSTEM,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            actor=actor[:120],
            action=action[:64],
            case_id=case.id if case else (message.case_id if message else None),
            message_pk=message.id if message else None,
            detail=detail or {},
        )
    )


def _store_parsed(session: Session, message: Message, parsed: Any, headers: Headers) -> None:
    """Documents, then the case: threaded onto a known one, new, or none (no form)."""
    for position, document in enumerate(parsed.documents):
        session.add(
            Document(
                message_pk=message.id,
                position=position,
                filename=_clip(document.filename, 255),
                raw_filename=document.raw_filename,
                sha256=_put_blob(session, document.content),
                media_type=_clip(document.media_type, 120),
                role=(document.role or "other")[:32],
                extraction=(document.extraction or "none")[:32],
                pages=document.pages,
                problem=document.problem,
            )
        )
    raised = [flag["code"] for flag in parsed.record.get("flags", [])]
    message.flag_codes = _codes_column(raised)
    case = _thread_target(session, headers, lock=True)
    has_form = _has_referral_form(parsed)
    version = None
    if case is not None:
        message.status = "threaded"
        message.case_id = case.id
        case.updated_at = utcnow()
        if has_form:
            version = _add_version(session, case, message, parsed.record)
    elif has_form:
        case = _open_case(session, message, parsed.record)
        message.status, message.case_id, version = "ingested", case.id, 1
    else:
        problems = [
            f"document {n}: {d.problem}" for n, d in enumerate(parsed.documents, 1) if d.problem
        ]
        message.status = "failed" if problems else "no_referral_form"
        message.error = _one_line("no referral form; " + "; ".join(problems)) if problems else None
    message.area = case.area if case is not None else message.area
    message.updated_at = utcnow()
    detail = {"status": message.status, "flags": sorted(set(raised)), "version": version}
    _audit(session, action="message_ingested", message=message, case=case, detail=detail)
    log.info("message %s %s (case %s)", message.id, message.status, case.id if case else None)


def _codes_column(codes: list[str]) -> str | None:
    unique = sorted(set(codes))
    return ("," + ",".join(unique) + ",")[:400] if unique else None


# --- cases -------------------------------------------------------------------------------


def _has_referral_form(parsed: Any) -> bool:
    codes = {flag.get("code") for flag in parsed.record.get("flags", [])}
    if "no_referral_form" in codes:
        return False
    return any(document.role == "referral_form" for document in parsed.documents)


def _thread_target(session: Session, headers: Headers, *, lock: bool) -> Case | None:
    """The case a reply belongs to: by In-Reply-To/References, else a reference in the subject."""
    case_id = None
    if headers.thread_ids:
        case_id = session.exec(
            select(Message.case_id)
            .where(
                col(Message.message_id).in_(headers.thread_ids), col(Message.case_id).is_not(None)
            )
            .order_by(col(Message.id).desc())
            .limit(1)
        ).first()
    if case_id is None:
        for match in REFERENCE_IN_SUBJECT.finditer(headers.subject or ""):
            reference = f"CME-{match.group(1)}-{match.group(2)}"
            case_id = session.exec(select(Case.id).where(Case.reference == reference)).first()
            if case_id is not None:
                break
    if case_id is None:
        return None
    return _locked_case(session, case_id) if lock else session.get(Case, case_id)


def _thread_received_on(engine: Engine, headers: Headers) -> date | None:
    """A reply is judged (lateness, age) on the date its case was first received."""
    if not headers.thread_ids and not REFERENCE_IN_SUBJECT.search(headers.subject or ""):
        return None
    with session_scope(engine, readonly=True) as session:
        case = _thread_target(session, headers, lock=False)
        return london_date(case.received_at) if case is not None else None


def _locked_case(session: Session, case_id: int) -> Case:
    """The case row, locked until commit (PostgreSQL; SQLite's writer lock covers it)."""
    statement = select(Case).where(Case.id == case_id).with_for_update()
    case = session.exec(statement.execution_options(populate_existing=True)).first()
    if case is None:
        raise StoreError(f"no case {case_id}")
    return case


def pupil_keys(record: dict[str, Any]) -> dict[str, str | None]:
    """The case-folded identity used to spot a second referral for the same pupil."""
    pupil = record.get("pupil") or {}

    def folded(value: Any) -> str | None:
        return " ".join(str(value).split()).casefold()[:120] or None if value else None

    dob = pupil.get("date_of_birth")
    upn = "".join(str(pupil.get("upn") or "").split()).upper()
    return {
        "upn": upn[:32] or None,
        "surname": folded(pupil.get("surname")),
        "forenames": folded(pupil.get("forenames")),
        "dob": dob if isinstance(dob, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", dob) else None,
    }


def _find_duplicates(session: Session, keys: dict[str, str | None], exclude: int) -> list[str]:
    matches = []
    if keys["upn"]:
        matches.append(Case.upn == keys["upn"])
    if keys["surname"] and keys["forenames"] and keys["dob"]:
        matches.append(
            and_(
                Case.surname_key == keys["surname"],
                Case.forenames_key == keys["forenames"],
                Case.date_of_birth == keys["dob"],
            )
        )
    if not matches:
        return []
    statement = (
        select(Case.reference)
        .where(or_(*matches), Case.id != exclude)
        .order_by(col(Case.id))
        .limit(MAX_DUPLICATES)
    )
    return list(session.exec(statement).all())


def _duplicate_flags(session: Session, record: dict[str, Any], case_id: int) -> list[dict]:
    from intake.rules import duplicate_flag

    keys = pupil_keys(record)
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(k for k in (keys["upn"], _name_key(keys)) if k):
            _lock(session, f"pupil|{key}")
    return [duplicate_flag(reference) for reference in _find_duplicates(session, keys, case_id)]


def _name_key(keys: dict[str, str | None]) -> str | None:
    if keys["surname"] and keys["forenames"] and keys["dob"]:
        return f"{keys['surname']}|{keys['forenames']}|{keys['dob']}"
    return None


def _flag_row(case: Case, message: Message | None, flag: dict[str, Any]) -> Flag:
    return Flag(
        case_id=case.id,  # type: ignore[arg-type]
        message_pk=message.id if message else None,
        code=str(flag.get("code"))[:48],
        section=str(flag.get("section") or "")[:16],
        field=_clip(flag.get("field"), 120),
        severity=str(flag.get("severity") or "warning")[:16],
        message=str(flag.get("message") or ""),
        follow_up_with=_clip(flag.get("follow_up_with"), 16),
    )


def _open_case(session: Session, message: Message, record: dict[str, Any]) -> Case:
    """A new case; its reference comes from its id, so it is unique under concurrency."""
    record = copy.deepcopy(record)
    case = Case(
        reference=f"pending-{secrets.token_hex(12)}",
        mailbox=message.mailbox,
        received_at=message.received_at,
        record={},
    )
    session.add(case)
    session.flush()
    case.reference = f"CME-{london_date(message.received_at).year}-{case.id:06d}"
    record["reference"] = case.reference
    raised = list(record.get("flags", [])) + _duplicate_flags(session, record, int(case.id or 0))
    session.add_all(_flag_row(case, message, flag) for flag in raised)
    _apply_record(session, case, record, raised)
    session.add(CaseVersion(case_id=case.id, version=1, message_pk=message.id, record=case.record))
    return case


def _add_version(session: Session, case: Case, message: Message, record: dict[str, Any]) -> int:
    """A reply's form becomes the case's record; flags it no longer raises are closed."""
    record = copy.deepcopy(record)
    record["reference"] = case.reference
    part3 = (case.record or {}).get("aio") or {}
    if any(value is not None for value in part3.values()):
        record["aio"] = part3  # Part 3 is written here, never by the school
    raised = list(record.get("flags", [])) + _duplicate_flags(session, record, int(case.id or 0))
    _reconcile_flags(session, case, message, raised)
    case.version += 1
    _apply_record(session, case, record, raised)
    session.add(
        CaseVersion(
            case_id=case.id, version=case.version, message_pk=message.id, record=case.record
        )
    )
    return case.version


def _flag_key(code: Any, field: Any) -> tuple[str, str | None]:
    return str(code), field


def _reconcile_flags(
    session: Session, case: Case, message: Message, raised: list[dict[str, Any]]
) -> None:
    """Keep open flags still raised, close the rest (by "system"), add the new ones.

    A flag a reviewer resolved or waived is not raised again for the same field.
    """
    existing = session.exec(select(Flag).where(Flag.case_id == case.id).order_by(col(Flag.id)))
    open_flags: dict[tuple, list[Flag]] = defaultdict(list)
    closed_by_reviewer: set[tuple] = set()
    for flag in existing:
        key = _flag_key(flag.code, flag.field)
        if flag.status == "open":
            open_flags[key].append(flag)
        elif flag.closed_by != SYSTEM:
            closed_by_reviewer.add(key)
    new_flags: dict[tuple, list[dict]] = defaultdict(list)
    for raised_flag in raised:
        new_flags[_flag_key(raised_flag.get("code"), raised_flag.get("field"))].append(raised_flag)
    for key, olds in open_flags.items():
        news = new_flags.get(key, [])
        for old, new in zip(olds, news, strict=False):
            old.message = str(new.get("message") or old.message)
        for old in olds[len(news) :]:
            _close_flag(old, status="resolved", actor=SYSTEM, note="not raised by the new form")
            detail = {"flag_id": old.id, "code": old.code, "field": old.field}
            _audit(session, action="flag_auto_resolved", message=message, case=case, detail=detail)
    for key, news in new_flags.items():
        have = len(open_flags.get(key, []))
        if have == 0 and key in closed_by_reviewer:
            continue
        session.add_all(_flag_row(case, message, flag) for flag in news[have:])


def _close_flag(flag: Flag, *, status: str, actor: str, note: str | None) -> None:
    flag.status = status
    flag.closed_by = actor[:120]
    flag.closed_at = utcnow()
    flag.note = note


def _apply_record(
    session: Session, case: Case, record: dict[str, Any], raised: list[dict[str, Any]]
) -> None:
    """Fill the columns the queue and the log filter on from the record."""
    school = record.get("school") or {}
    keys = pupil_keys(record)
    codes = {flag.get("code") for flag in raised}
    mailbox = case.mailbox or ""
    case.area = "central" if mailbox == "cme" else school.get("area") or MAILBOX_AREA.get(mailbox)
    case.school_name = _clip(school.get("name"), 255)
    case.school_type = _clip(school.get("type"), 16)
    case.upn, case.date_of_birth = keys["upn"], keys["dob"]
    case.surname_key, case.forenames_key = keys["surname"], keys["forenames"]
    case.risk_count = len((record.get("safeguarding") or {}).get("risk_indicators") or [])
    case.late, case.misrouted = "late_referral" in codes, "misrouted" in codes
    case.aio_name = _clip((record.get("aio") or {}).get("name"), 120)
    _refresh_case(session, case, record)


def _refresh_case(session: Session, case: Case, record: dict[str, Any] | None = None) -> None:
    """Open flags into the record; complete when no open blocking flag remains."""
    session.flush()
    record = copy.deepcopy(record if record is not None else case.record)
    open_flags = session.exec(
        select(Flag).where(Flag.case_id == case.id, Flag.status == "open").order_by(col(Flag.id))
    ).all()
    record["flags"] = [flag_dict(flag) for flag in open_flags]
    blocking = any(flag.severity == "blocking" for flag in open_flags)
    record["complete"] = not blocking
    if case.status != "complete" and not blocking:
        case.completed_at = utcnow()
    elif blocking:
        case.completed_at = None
    case.has_blocking = blocking
    case.status = "open" if blocking else "complete"
    case.record = record
    case.updated_at = utcnow()


def flag_dict(flag: Flag) -> dict[str, Any]:
    """A flag row as the spec's flag object."""
    return {
        "code": flag.code,
        "section": flag.section,
        "field": flag.field,
        "severity": flag.severity,
        "message": flag.message,
        "follow_up_with": flag.follow_up_with,
    }


# --- mailbox bookkeeping -------------------------------------------------------------------


def _source_of(message: Message) -> SourceRef:
    return SourceRef(
        mailbox=message.mailbox,
        source=message.source,
        account=message.account,
        folder=message.folder,
        uidvalidity=message.uidvalidity,
        uid=message.uid,
        source_key=message.source_key,
    )


def mark_moved(engine: Engine, message_pk: int) -> None:
    """Record that the mailbox action (move to processed/failed) is done for a message."""
    with session_scope(engine) as session:
        result = session.connection().execute(
            update(Message)
            .where(col(Message.id) == message_pk)
            .values(moved=True, updated_at=utcnow())
        )
        if result.rowcount == 0:
            raise StoreError(f"no message {message_pk}")


def unmoved(engine: Engine, *, mailbox: str) -> list[tuple[int, SourceRef, str]]:
    """Stored messages whose mailbox action is still to do, oldest first (after a crash)."""
    with session_scope(engine, readonly=True) as session:
        messages = session.exec(
            select(Message)
            .where(Message.mailbox == mailbox, col(Message.moved).is_(False))
            .where(Message.status != "processing")
            .order_by(col(Message.id))
        ).all()
        return [(int(m.id or 0), _source_of(m), m.status) for m in messages]


def record_poll(
    engine: Engine,
    *,
    mailbox: str,
    folder: str,
    ok: bool,
    error: str | None,
    uidvalidity: int | None,
    last_uid: int | None,
    waiting: int,
) -> None:
    """Upsert what the daemon last saw of one mailbox folder (for status pages)."""
    now = utcnow()
    changes: dict[str, Any] = {"waiting": waiting}
    if ok:
        changes["last_poll_ok_at"] = now
    else:
        changes["last_error"] = _one_line(error or "poll failed")
        changes["last_error_at"] = now
    if uidvalidity is not None:
        changes["uidvalidity"] = uidvalidity
    if last_uid is not None:
        changes["last_uid"] = last_uid
    with session_scope(engine) as session:
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise StoreError(f"unsupported database {dialect}")
        statement = insert(MailboxState).values(mailbox=mailbox, folder=folder, **changes)
        statement = statement.on_conflict_do_update(
            index_elements=["mailbox", "folder"], set_=changes
        )
        session.connection().execute(statement)


# --- edits by reviewers ----------------------------------------------------------------------


def audit(
    engine: Engine,
    *,
    actor: str,
    action: str,
    case_id: int | None = None,
    message_pk: int | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one audit event (e.g. a follow-up email sent, an export); returns its id."""
    with session_scope(engine) as session:
        event = AuditEvent(
            actor=actor[:120],
            action=action[:64],
            case_id=case_id,
            message_pk=message_pk,
            detail=detail or {},
        )
        session.add(event)
        session.flush()
        return int(event.id or 0)


def resolve_flag(
    engine: Engine, *, flag_id: int, actor: str, note: str | None, waive: bool = False
) -> dict[str, Any]:
    """Resolve (or waive) one open flag; the case becomes complete with its last blocking flag.

    A waiver needs a note saying why. Returns the flag's new state and its case's.
    """
    note = (note or "").strip() or None
    if waive and note is None:
        raise StoreError("a waived flag needs a note saying why")
    with session_scope(engine) as session:
        found = session.get(Flag, flag_id)
        if found is None:
            raise StoreError(f"no flag {flag_id}")
        case = _locked_case(session, found.case_id)
        flag = session.get(Flag, flag_id, populate_existing=True)
        assert flag is not None
        if flag.status != "open":
            raise StoreError(f"flag {flag_id} is already {flag.status}")
        _close_flag(flag, status="waived" if waive else "resolved", actor=actor, note=note)
        _refresh_case(session, case)
        detail = {"flag_id": flag.id, "code": flag.code, "field": flag.field, "note": note}
        action = "flag_waived" if waive else "flag_resolved"
        _audit(session, action=action, case=case, actor=actor, detail=detail)
        return {
            "flag_id": flag.id,
            "status": flag.status,
            "case": case.reference,
            "case_status": case.status,
        }


def _iso_date(value: date | str | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise StoreError("date_allocated must be a date, YYYY-MM-DD") from None


def update_part3(
    engine: Engine,
    *,
    reference: str,
    actor: str,
    aio_name: str | None,
    date_allocated: date | str | None,
    sections_complete: bool | None,
    notes: str | None,
) -> int:
    """Write Part 3 (the AIO's section) into the record as a new case version; returns it."""
    name = " ".join((aio_name or "").split()) or None
    if name is not None and len(name) > 120:
        raise StoreError("the AIO name is longer than 120 characters")
    part3: dict[str, Any] = {
        "name": name,
        "date_allocated": _iso_date(date_allocated),
        "sections_complete": None if sections_complete is None else bool(sections_complete),
        "notes": (notes or "").strip() or None,
    }
    with session_scope(engine) as session:
        case_id = session.exec(select(Case.id).where(Case.reference == reference)).first()
        if case_id is None:
            raise StoreError(f"no case {reference}")
        case = _locked_case(session, case_id)
        record = copy.deepcopy(case.record)
        before = record.get("aio") or {}
        record["aio"] = part3
        case.aio_name = name
        case.version += 1
        _refresh_case(session, case, record)
        session.add(CaseVersion(case_id=case.id, version=case.version, record=case.record))
        changed = sorted(key for key in part3 if before.get(key) != part3[key])
        detail = {"version": case.version, "changed": changed}
        _audit(session, action="part3_updated", case=case, actor=actor, detail=detail)
        return case.version
