"""Outlook ``.msg`` attachments, opened like forwarded emails.

Schools often forward the family's email to the council by dragging it out of Outlook, which
attaches it as an Outlook item (an OLE file, MS-OXMSG), not as ``message/rfc822``
(pitfalls §1). The ``.msg`` is kept as a document of its own (usually family
correspondence) and its attachments become documents one level deeper, exactly as the email
walker does for an attached ``.eml``. extract-msg parses the file; nothing in it is run,
and its RTF/HTML bodies are only turned into text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from parsers import sniff as types
from parsers.entries import ExtractedForm
from parsers.errors import UnreadableDocument
from parsers.mail.walker import Attachment, html_to_text

log = logging.getLogger(__name__)

KnownLabel = Callable[[str], bool]
MAX_BODY_CHARS = 200_000
MAX_FILENAME_CHARS = 200


def read_msg(content: bytes, known_label: KnownLabel, limits: object) -> ExtractedForm:
    """Reader for the ``.msg`` itself: its body text, for the correspondence classifier."""
    message = open_msg(content)
    try:
        text = message_text(message)
        count = len(message.attachments)
    except Exception as exc:  # noqa: BLE001 - extract-msg raises many types on odd files
        raise UnreadableDocument(f"the Outlook message (.msg) is damaged and could not be read "
                                 f"({type(exc).__name__})") from None
    finally:
        _close(message)
    notes = [f"Outlook message with {count} attachment(s)"] if count else []
    return ExtractedForm(extraction="email_body", text=text, notes=notes)


def open_msg(content: bytes) -> Any:
    """The parsed message; UnreadableDocument for anything extract-msg cannot open."""
    import extract_msg
    from extract_msg.enums import ErrorBehavior

    try:
        return extract_msg.openMsg(content, errorBehavior=ErrorBehavior.SUPPRESS_ALL,
                                   delayAttachments=False)
    except Exception as exc:  # noqa: BLE001
        log.info("msg unreadable: %s", type(exc).__name__)
        name = type(exc).__name__
        if "Encrypt" in name or "Protect" in name:
            raise UnreadableDocument("the Outlook message (.msg) is encrypted: ask the school "
                                     "to forward the original email instead") from None
        raise UnreadableDocument(f"the Outlook message (.msg) is damaged and could not be read "
                                 f"({name})") from None


def message_text(message: Any) -> str:
    """Headers a reader needs (From, Sent, Subject) and the body, as plain text."""
    lines = []
    for label, attribute in (("From", "sender"), ("Sent", "date"), ("To", "to"),
                             ("Subject", "subject")):
        value = _attribute(message, attribute)
        if value:
            lines.append(f"{label}: {_clean(str(value))[:500]}")
    body = _safe(lambda: message.body, None)
    if not body:
        html = _safe(lambda: message.htmlBody, None)
        if isinstance(html, bytes):
            body = html_to_text(html.decode("utf-8", "replace")[:MAX_BODY_CHARS])
    text = "\n".join(lines)
    if body:
        text += "\n\n" + str(body).replace("\r\n", "\n")[:MAX_BODY_CHARS]
    return text


def msg_attachments(content: bytes, *, depth: int) -> list[Attachment]:
    """The message's attachments, at ``depth`` (the .msg's own depth + 1).

    An embedded Outlook item becomes a ``.msg`` attachment of its own (bytes re-exported by
    extract-msg), so the caller can open it in turn, one level deeper.
    """
    message = open_msg(content)
    try:
        return [found for index, attachment in enumerate(message.attachments)
                if (found := _attachment(attachment, index, depth)) is not None]
    except UnreadableDocument:
        raise
    except Exception as exc:  # noqa: BLE001
        raise UnreadableDocument(f"the attachments of the Outlook message (.msg) could not be "
                                 f"read ({type(exc).__name__})") from None
    finally:
        _close(message)


def _attachment(attachment: Any, index: int, depth: int) -> Attachment | None:
    from extract_msg.enums import AttachmentType

    kind = _safe(lambda: attachment.type, None)
    data = _safe(lambda: attachment.data, None)
    name = _filename(attachment)
    if kind in (AttachmentType.MSG, AttachmentType.SIGNED_EMBEDDED) and data is not None:
        data = _safe(lambda: data.exportBytes(allowBadEmbed=True), None)
        name = name or f"embedded message {index + 1}.msg"
    if not isinstance(data, bytes):
        return None
    declared = _safe(lambda: attachment.mimetype, None)
    cid = _safe(lambda: attachment.cid, None)
    media_type = types.sniff(data, name)
    if cid and media_type.startswith("image/"):
        return None  # a logo or signature image shown in the HTML body, as the walker skips
    return Attachment(filename=name, raw_filename=name, content=data, media_type=media_type,
                      declared_type=declared, inline=bool(cid), depth=depth, index=index)


def _attribute(item: Any, name: str) -> Any:
    """An extract-msg property, or None when reading it fails on a damaged file."""
    return _safe(lambda: getattr(item, name), None)


def _filename(attachment: Any) -> str | None:
    for attribute in ("longFilename", "shortFilename", "displayName", "name"):
        value = _attribute(attachment, attribute)
        if isinstance(value, str) and value.strip():
            name = re.sub(r"[\\/:\x00-\x1f]", "_", _clean(value)).strip(" .")
            return name[:MAX_FILENAME_CHARS] or None
    return None


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch >= " " or ch in "\t\n").replace("\x00", "")


def _safe(call: Callable[[], Any], default: Any) -> Any:
    try:
        return call()
    except Exception:  # noqa: BLE001 - one odd property must not lose the message
        return default


def _close(message: Any) -> None:
    _safe(message.close, None)
