"""What the store reads from a message's raw headers itself.

Deduplication and threading must never depend on the parser (it may fail on the very
message being recorded), so the store reads Message-ID, In-Reply-To, References and the
subject on its own. Message-IDs are stored in their angle brackets, as sent; output shows
them bare, as the record's ``received.message_id`` does (:func:`bare_message_id`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

REFERENCE_IN_SUBJECT = re.compile(r"\bCME-(\d{4})-(\d{6,})\b", re.IGNORECASE)
MESSAGE_ID_TOKEN = re.compile(r"<[^<>\s]+>")
MAX_THREAD_IDS = 50


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
        # Only the header block is handed to the parser: it would otherwise read every line
        # of the body (megabytes of base64) just to skip it.
        parsed = BytesHeaderParser(policy=policy.default).parsebytes(raw[: header_end(raw)])
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
        thread_ids=tuple(dict.fromkeys(reversed(thread)))[:MAX_THREAD_IDS],
        subject=header("Subject"),
        from_=header("From"),
        to=header("To"),
        date=header("Date"),
    )


def header_end(raw: bytes) -> int:
    """Where the header block ends (after its blank line), or the length of ``raw``."""
    ends = [at + len(blank) for blank in (b"\r\n\r\n", b"\n\n") if (at := raw.find(blank)) >= 0]
    return min(ends) if ends else len(raw)


def _normal_message_id(value: str | None) -> str | None:
    if not value:
        return None
    token = MESSAGE_ID_TOKEN.search(value)
    return token.group(0) if token else f"<{value.strip('<> ')}>"


def bare_message_id(stored: str | None) -> str | None:
    """A stored ``<id@host>`` as ``id@host``: the form the record's ``received`` shows."""
    if stored is None:
        return None
    return stored.strip().strip("<>") or None


def quoted_references(subject: str | None) -> list[str]:
    """Case references (``CME-2026-000123``) quoted in a subject, in order, upper-cased."""
    return [f"CME-{m.group(1)}-{m.group(2)}" for m in REFERENCE_IN_SUBJECT.finditer(subject or "")]
