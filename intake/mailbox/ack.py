"""The acknowledgement email: case reference and what is still missing, nothing more.

Off by default (``acknowledge = true`` per mailbox). Sent to the Part 1 contact's email
from the record, else the DSL's, else the sender; threaded onto the school's email
(In-Reply-To, References) and marked ``Auto-Submitted: auto-replied`` (RFC 3834) so
auto-responders do not answer it. It carries the case reference and the wording of the
"missing" flags only: never the child's name, date of birth, address or the original
subject (which may hold any of those). Each message is acknowledged at most once: the
audit event ``acknowledgement_sent`` is the record.
"""

from __future__ import annotations

import email.parser
import email.policy
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from sqlalchemy import Engine, select

from intake.config import SmtpSettings
from intake.mailbox import ledger
from intake.mailbox.credentials import read_secret
from models import store
from models.db import session_scope
from models.tables import Blob, Case, Flag, Message

logger = logging.getLogger(__name__)
ACTION = "acknowledgement_sent"
MISSING_CODES = ("missing_field", "missing_recommended", "no_referral_ground", "part2_missing",
                 "dsl_not_signed", "enquiry_not_done", "family_correspondence_not_attached",
                 "removed_from_roll_without_authorisation", "unreadable_document",
                 "no_referral_form")
CHECK_CODES = ("invalid_value", "low_confidence")


def plain_address(value: str | None) -> str | None:
    address = parseaddr(value or "")[1].strip()
    return address if "@" in address and " " not in address else None


def recipient(record: dict[str, Any], sender: str | None) -> str | None:
    """Part 1 contact, else the DSL, else whoever sent the email."""
    contact = ((record.get("school") or {}).get("contact") or {}).get("email")
    dsl = ((record.get("safeguarding") or {}).get("dsl") or {}).get("email")
    return plain_address(contact) or plain_address(dsl) or plain_address(sender)


def missing_lines(flags: list[dict[str, Any]]) -> list[str]:
    lines = []
    for flag in flags:
        if flag["code"] in MISSING_CODES:
            lines.append(str(flag["message"]))
        elif flag["code"] in CHECK_CODES and flag.get("field"):
            lines.append(f"Please check the value given for {flag['field']}.")
    return list(dict.fromkeys(lines))


def compose(*, reference: str, flags: list[dict[str, Any]], to: str, sender: str,
            in_reply_to: str | None) -> EmailMessage:
    missing = missing_lines(flags)
    body = [
        "This is an automatic acknowledgement from the Children Missing Education team.",
        "",
        f"Your referral has been received and logged as case {reference}.",
        f"Please quote {reference} in any further email about this child.",
        "",
    ]
    if missing:
        body += ["The following items are missing or need attention:", ""]
        body += [f"  - {line}" for line in missing]
        body += ["", "Please reply to this email with the missing information; your reply "
                 "will be added to the case."]
    else:
        body += ["Nothing is missing from the referral at this stage."]
    message = EmailMessage()
    message["Subject"] = f"CME referral received: {reference}"
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-replied"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content("\n".join(body) + "\n")
    return message


def _load(engine: Engine, message_pk: int) -> dict[str, Any] | None:
    with session_scope(engine, readonly=True) as session:
        row = session.get(Message, message_pk)
        if row is None or row.case_id is None:
            return None
        case = session.get(Case, row.case_id)
        if case is None:
            return None
        flags = session.scalars(select(Flag).where(Flag.case_id == case.id,
                                                   Flag.status == "open")).all()
        blob = session.get(Blob, row.raw_sha256)
        head = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
            blob.content if blob else b"")
        return {"reference": case.reference, "case_id": case.id, "record": case.record or {},
                "flags": [{"code": f.code, "field": f.field, "message": f.message} for f in flags],
                "sender": row.from_addr, "message_id": row.message_id,
                "auto": str(head.get("Auto-Submitted", "no")).strip().lower() != "no"
                or str(head.get("Precedence", "")).strip().lower() in ("bulk", "list", "junk")}


def send_acknowledgement(engine: Engine, smtp: SmtpSettings, *, message_pk: int) -> bool:
    """Acknowledge one stored message (once); True when an email was sent now."""
    if ledger.has_audit(engine, message_pk=message_pk, action=ACTION):
        return False
    facts = _load(engine, message_pk)
    if facts is None or facts["auto"]:
        return False
    to = recipient(facts["record"], facts["sender"])
    if to is None or to.lower() == (plain_address(smtp.sender) or "").lower():
        logger.info("message=%s no address to acknowledge to", message_pk)
        return False
    message = compose(reference=facts["reference"], flags=facts["flags"], to=to,
                      sender=smtp.sender, in_reply_to=facts["message_id"])
    deliver(smtp, message)
    store.audit(engine, actor="system", action=ACTION, message_pk=message_pk,
                case_id=facts["case_id"],
                detail={"case": facts["reference"], "missing": len(missing_lines(facts["flags"]))})
    logger.info("message=%s case=%s acknowledgement sent", message_pk, facts["reference"])
    return True


def deliver(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Send through the configured relay (implicit TLS, STARTTLS or plain on loopback)."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.tls == "implicit":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.tls == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, read_secret(env=smtp.password_env, file=smtp.password_file,
                                                    what="smtp"))
        client.send_message(message)
