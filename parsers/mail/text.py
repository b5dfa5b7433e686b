"""What a part says: its decoded content, its text, and whether it reads like the family's
own letter or email.

Decoding never raises: a part whose transfer encoding fails keeps its raw bytes and the
problem goes to the caller's ``note``. :func:`looks_like_family_correspondence` is a hint
for the classifier, never a decision.
"""

from __future__ import annotations

import io
import re
from email import errors as email_errors
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import Message
from typing import TYPE_CHECKING, Any

from parsers import sniff as sniffing
from parsers.mail.headers import (
    Note,
    part_type,
    raw_header,
    safe,
    strip_controls,
    transfer_encoding,
)

if TYPE_CHECKING:
    from parsers.mail.parts import Attachment

_DECODED = frozenset({"base64", "quoted-printable", "x-uuencode", "uuencode", "uue", "x-uue"})

# Words that hint an attachment is a letter or email from the family (a hint for the
# classifier, not a decision). Matched as whole words after lower-casing and turning
# punctuation into spaces.
CORRESPONDENCE_NAME_WORDS: tuple[str, ...] = (
    "letter", "letters", "correspondence", "note from", "notes from", "parent email",
    "parents email", "email from", "emails from", "message from", "text from",
)
FAMILY_SENDERS: tuple[str, ...] = (
    "parent", "parents", "mum", "mom", "mother", "dad", "father", "carer", "carers",
    "family", "guardian", "grandparent", "grandmother", "grandfather", "nan", "aunt", "uncle",
)
CORRESPONDENCE_TEXT_PHRASES: tuple[str, ...] = tuple(
    f"{verb} from {article}{sender}"
    for verb in ("email", "e mail", "letter", "note", "message", "text")
    for article in ("", "the ", "my ", "pupil s ", "child s ")
    for sender in FAMILY_SENDERS
) + ("yours sincerely", "yours faithfully", "original message", "forwarded message")
_TEXT_OPENINGS = re.compile(r"\s*(dear\b|from:.{0,300}\n\s*(sent|date):)", re.I | re.S)


class _VerbatimPolicy(email_policy.Compat32):
    """Writes source headers back exactly as they were read (no refolding, 8-bit kept)."""

    def fold_binary(self, name, value):  # type: ignore[no-untyped-def]
        return f"{name}: {value}{self.linesep}".encode("utf-8", "surrogateescape")


_VERBATIM = _VerbatimPolicy(linesep="\r\n", max_line_length=0)


def message_part_content(part: Message, index: int,
                         note: Note) -> tuple[bytes, Message | None]:
    """Bytes of a message/rfc822 part, and the parsed message when no re-parse is needed.

    The parser has already split the forwarded message; its bytes are re-serialised with the
    source headers verbatim. Some clients base64-encode message/rfc822 (RFC 2046 forbids it),
    in which case the "parsed" message is the encoded text: decode it and parse again.
    """
    payload = part.get_payload()
    messages = [m for m in payload if isinstance(m, Message)] if isinstance(payload, list) else []
    if not messages:
        return part_content(part, f"attachment {index}", note), None
    content = b"".join(_serialise(m) for m in messages)
    encoding = transfer_encoding(part)
    if encoding in ("base64", "quoted-printable"):
        return part_content(_carrier(encoding, content), f"attachment {index}", note), None
    return content, messages[0]


def _carrier(encoding: str, data: bytes) -> Message:
    """A bare part holding ``data`` under a clean Content-Transfer-Encoding, so the stdlib
    decoders (and their defect reporting) can be reused on it."""
    carrier = Message()
    carrier["Content-Transfer-Encoding"] = encoding
    carrier.set_payload(data.decode("ascii", "surrogateescape"))
    return carrier


def _serialise(message: Message) -> bytes:
    """A parsed message's bytes again, its headers exactly as received."""
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=_VERBATIM).flatten(message)
    except Exception:
        pass  # keep what was written: a damaged forwarded message is still worth storing
    return buffer.getvalue()


def part_content(part: Message, label: str, note: Note) -> bytes:
    """Decoded body bytes of a leaf; the raw bytes, noted, when its encoding fails.

    The stdlib decodes only an exact ``base64``/``quoted-printable`` value; "base64 " or
    "base64 (comment)" would come back undecoded, so those go through a clean carrier.
    """
    encoding = transfer_encoding(part)
    stdlib_sees = safe(lambda: str(part.get("content-transfer-encoding", "")).lower(), "")
    try:
        if encoding in _DECODED and encoding != stdlib_sees:
            undecoded = part.get_payload(decode=True)  # the stdlib hands back the raw bytes
            if isinstance(undecoded, bytes):
                part = _carrier(encoding, undecoded)
        before = len(part.defects)
        content = part.get_payload(decode=True)
    except Exception:
        note(f"{label}: content could not be decoded; part skipped")
        return b""
    if not isinstance(content, bytes):
        payload = part.get_payload() if part.is_multipart() else []
        return b"".join(_serialise(m) for m in payload if isinstance(m, Message))
    new = part.defects[before:]
    if any(isinstance(d, email_errors.InvalidBase64LengthDefect) for d in new):
        note(f"{label}: transfer encoding {encoding} failed; raw bytes kept")
    elif any(isinstance(d, email_errors.InvalidBase64CharactersDefect) for d in new):
        note(f"{label}: {encoding} content had invalid characters; "
             "decoded what could be read")
    elif encoding not in _DECODED and encoding not in ("", "7bit", "8bit", "binary"):
        note(f"{label}: unknown transfer encoding {strip_controls(encoding[:40])!r}; "
             "raw bytes kept")
    return content


def body_text(part: Message, note: Note) -> str:
    """A text part's text: its declared charset, else UTF-8, else Windows-1252."""
    content = part_content(part, "body text", note)
    charset = safe(lambda: part.get_content_charset(), None)
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return content.decode(candidate)
        except UnicodeDecodeError:
            note("body text is not valid in its declared charset; bytes replaced")
        except Exception:  # LookupError, or a NUL or bytes-to-bytes codec in the name
            note(f"body text in unknown charset {strip_controls(candidate[:40])!r}")
    return content.decode("cp1252", "replace")


def is_shown_image(part: Message, shown: set[str]) -> bool:
    """Is ``part`` an image the HTML body shows (its Content-ID among the ``cid:`` refs)?"""
    content_id = (raw_header(part, "content-id") or "").strip().strip("<>").casefold()
    if not content_id or content_id not in shown:
        return False
    if part_type(part).startswith("image/"):
        return True
    return sniffing.sniff(safe(lambda: part.get_payload(decode=True), b"") or b"") \
        .startswith("image/")


def html_to_text(html: str) -> str:
    """Visible text of an HTML body: no scripts, styles, comments or network access."""
    from lxml import etree

    parser = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True,
                              recover=True)
    try:
        root = etree.fromstring(html.encode("utf-8", "replace"), parser)
    except Exception:
        root = None
    if root is None:
        return re.sub(r"<[^>]{0,2000}>", " ", html).strip()
    etree.strip_elements(root, "script", "style", "head", "title", with_tail=False)
    _drop_screen_reader_and_actions(root)
    for element in root.iter("dt", "th", "td", "dd"):
        # Summary lists and tables keep their pairs apart: "Key: value", cells by tabs.
        sep = ":\t" if element.tag == "dt" else "\t"
        element.tail = sep + (element.tail or "")
    for element in root.iter("br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5",
                             "table", "dl"):
        element.tail = "\n" + (element.tail or "")
    for element in root.iter("h1", "h2", "h3", "h4", "h5"):
        element.text = "\n" + (element.text or "")
    lines = (re.sub(r"[ \t\xa0]+", " ", line).strip()
             for line in "".join(root.itertext()).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_ACTION_WORDS = frozenset({"change", "edit", "amend", "remove"})


def _drop_screen_reader_and_actions(root: Any) -> None:
    """An online form's "check your answers" page: its "Change" links and the text kept
    for screen readers only are not answers."""
    doomed = []
    for element in root.iter():
        classes = str(element.get("class") or "")
        if "visually-hidden" in classes or "actions" in classes.split("__")[-1]:
            doomed.append(element)
        elif element.tag == "a" and (element.text or "").strip().lower() in _ACTION_WORDS:
            doomed.append(element)
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            tail = element.tail or ""
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
            parent.remove(element)


def looks_like_family_correspondence(att: Attachment, *, text: str = "") -> bool:
    """Hint: is this attachment a letter or email from the family?

    True for forwarded/attached emails (an Outlook .msg included), a filename naming a
    letter or correspondence, or text that opens like a letter or names a family sender.
    The referral form itself asks about "letters/emails from the family", so text matching
    uses sender phrases, not the bare word "letter".
    """
    if att.media_type in (sniffing.EML, sniffing.MSG):
        return True
    name = f" {normalise_words(att.filename or '')} "
    if any(f" {word} " in name for word in CORRESPONDENCE_NAME_WORDS):
        return True
    opening = text[:4000]
    if _TEXT_OPENINGS.match(opening):
        return True
    words = f" {normalise_words(opening)} "
    return any(f" {phrase} " in words for phrase in CORRESPONDENCE_TEXT_PHRASES)


def normalise_words(text: str) -> str:
    """Lower-case words separated by single spaces (``Letter_from-Mum.pdf`` ->
    ``letter from mum pdf``)."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))
