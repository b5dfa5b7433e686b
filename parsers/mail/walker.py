"""Walk one raw email into its headers, body text and every attachment worth reading.

Schools send referral forms from every mail client there is, so this is lenient where
paperless-style importers lose documents (pitfalls §1): inline PDFs/DOCX and parts with no
Content-Disposition are kept, encoded filenames are decoded, forwarded messages and attached
``.eml`` files are opened (to a depth cap), and every type is sniffed from the bytes. Only
the body parts themselves and images the HTML body shows through ``cid:`` are left out.

It is also defensive (pitfalls §7): header values are cut before the stdlib's superlinear
header parser sees them, parse failures fall back to ``compat32``, and a bad part becomes a
line in ``problems`` rather than an exception. Only bytes that are not an email at all raise
:class:`~parsers.errors.MalformedMessage`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from urllib.parse import unquote

from parsers import sniff as sniffing
from parsers.errors import MalformedMessage
from parsers.mail.headers import (
    MAX_FILENAME_CHARS,
    MAX_HEADER_CHARS,
    MAX_PARAM_HEADER_CHARS,
    PARAM_PARSE_BUDGET,
    PARAM_PARSE_CHARS,
    BoundedPolicy,
    attachment_filename,
    display_header,
    first_message_id,
    has_header,
    header_date,
    is_attachment,
    note_long_headers,
    part_type,
    reference_ids,
)
from parsers.mail.parts import Attachment
from parsers.mail.text import (
    CORRESPONDENCE_NAME_WORDS,
    CORRESPONDENCE_TEXT_PHRASES,
    FAMILY_SENDERS,
    body_text,
    html_to_text,
    is_shown_image,
    looks_like_family_correspondence,
    message_part_content,
    normalise_words,
    part_content,
)

__all__ = [
    "CORRESPONDENCE_NAME_WORDS", "CORRESPONDENCE_TEXT_PHRASES", "FAMILY_SENDERS",
    "MAX_FILENAME_CHARS", "MAX_HEADER_CHARS", "MAX_LINES", "MAX_PARAM_HEADER_CHARS",
    "MAX_PARSE_WORK", "MAX_PROBLEMS", "PARAM_PARSE_BUDGET", "PARAM_PARSE_CHARS", "Attachment",
    "WalkedMessage", "html_to_text", "looks_like_family_correspondence", "normalise_words",
    "walk_message",
]

MAX_PROBLEMS = 100
MAX_LINES = 1_000_000
MAX_PARSE_WORK = 2_000_000
_MAIL_HEADERS = frozenset({
    "from", "to", "cc", "subject", "date", "received", "return-path", "mime-version",
    "message-id", "delivered-to", "reply-to", "sender", "in-reply-to", "references",
})
_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
_BODY_TYPES = frozenset({"text/plain", "text/html"})
_MAX_NESTING = 50
_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*("[^"\r\n]{1,200}"|[^\s;"]{1,200})')
_CID_REF = re.compile(r"cid:([^\s\"'<>()]{1,500})", re.IGNORECASE)


@dataclass
class WalkedMessage:
    from_: str | None
    to: str | None
    subject: str | None
    date: str | None
    message_id: str | None
    in_reply_to: str | None
    references: list[str] = field(default_factory=list)
    body_text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Walk:
    max_depth: int
    max_attachments: int
    policy: BoundedPolicy
    top: Message | None = None
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    not_read: int = 0
    unlisted: int = 0

    def note(self, problem: str) -> None:
        if problem in self.problems:
            return
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.unlisted += 1

    def final_problems(self) -> list[str]:
        """The problems, with the two summaries that must never be crowded out."""
        problems = list(self.problems)
        if self.unlisted:
            problems.append(f"{self.unlisted} more problems not listed")
        if self.not_read:
            problems.append(f"attachment limit of {self.max_attachments} reached; "
                            f"{self.not_read} more parts not read")
        return problems


def walk_message(raw: bytes, *, max_depth: int = 3, max_attachments: int = 200) -> WalkedMessage:
    """Parse ``raw`` (one RFC 822 message) into headers, body text and attachments.

    Raises MalformedMessage only for input that is not an email at all; everything else
    that is wrong is reported in ``problems`` and the walk goes on.
    """
    policy = BoundedPolicy(  # type: ignore[call-overload]
        header_cache={}, parse_budget=[PARAM_PARSE_BUDGET])
    walk = _Walk(max_depth, max_attachments, policy)
    message = walk.top = _parse_top(raw, policy)
    note_long_headers(message, walk.note, "header")
    plain, html = _walk_level(message, 0, walk)
    texts = plain or [html_to_text(h) for h in html]
    body = "\n\n".join(t.replace("\r\n", "\n").strip("\n") for t in texts)
    return WalkedMessage(
        from_=display_header(message, "from"), to=display_header(message, "to"),
        subject=display_header(message, "subject"), date=header_date(message, walk.note),
        message_id=first_message_id(message, "message-id"),
        in_reply_to=first_message_id(message, "in-reply-to"), references=reference_ids(message),
        body_text=body, attachments=walk.attachments, problems=walk.final_problems(),
    )


def _parse_top(raw: bytes, policy: BoundedPolicy) -> Message:
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise MalformedMessage("message input is not bytes")
    data = bytes(raw).lstrip(b"\r\n\t ")
    if not data:
        raise MalformedMessage("empty input: no message bytes")
    message = _parse_bytes(data, policy)
    names = {str(name).strip().lower() for name, _ in message.raw_items()}
    if not names & _MAIL_HEADERS:
        raise MalformedMessage("no email header lines (From, To, Subject, Date, ...): "
                               "not an email message")
    return message


def _parse_bytes(data: bytes, policy: BoundedPolicy) -> Message:
    """Parse with the bounded default policy, falling back to compat32; raise
    MalformedMessage when the bytes would cost the line-by-line parser too much."""
    _check_parse_cost(data)
    try:
        return BytesParser(policy=policy).parsebytes(data)
    except RecursionError:
        raise MalformedMessage("message structure is nested too deeply to parse") from None
    except Exception:
        try:
            return BytesParser(policy=email_policy.compat32).parsebytes(data)
        except Exception as error:
            raise MalformedMessage("message structure could not be parsed "
                                   f"({type(error).__name__})") from None


def _check_parse_cost(data: bytes) -> None:
    """Refuse input that would keep the stdlib parser busy for more than a few seconds.

    FeedParser handles each line in Python (about 6 µs) and, inside nested multiparts,
    tests each line against every enclosing boundary (about 2 µs more per level): 3,000
    nested multiparts in 150 KB take 20 s. The work is estimated in one linear scan as
    lines plus, for each boundary, the lines from its first delimiter to its closing one
    (or to the end, if it is never closed).
    """
    lines = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    if lines > MAX_LINES:
        raise MalformedMessage(f"message has {lines} lines, more than the {MAX_LINES} "
                               "that can be parsed safely")
    lowered = data.lower()  # lets the regex engine jump between literal "boundary"s
    boundaries = {data[m.start(1):m.end(1)].strip(b'"')
                  for m in _BOUNDARY_PARAM.finditer(lowered)}
    if not boundaries:
        return
    first: dict[bytes, int] = {}
    closed: dict[bytes, int] = {}
    for line, text in _delimiter_lines(data):
        if text in boundaries:
            first.setdefault(text, line)
        elif text.endswith(b"--") and text[:-2] in boundaries:
            first.setdefault(text[:-2], line)
            closed[text[:-2]] = line
    work = lines + sum(closed.get(token, lines) - begin for token, begin in first.items())
    if work > MAX_PARSE_WORK:
        raise MalformedMessage("MIME parts are nested too deeply over too many lines to "
                               "parse safely")


def _delimiter_lines(data: bytes):  # type: ignore[no-untyped-def]
    """Yield (line number, text after the dashes) for each line starting with "--"; found
    with bytes.find, since a ^-anchored regex would be tried at every byte."""
    line, previous = 0, 0
    start: int | None = 0 if data.startswith(b"--") else _after(data.find(b"\n--"))
    while start is not None:
        line += data.count(b"\n", previous, start)
        previous = start
        yield line, data[start + 2:start + 204].split(b"\n", 1)[0].rstrip(b"\r \t")
        start = _after(data.find(b"\n--", start + 2))


def _after(newline: int) -> int | None:
    return None if newline == -1 else newline + 1


def _walk_level(message: Message, depth: int, walk: _Walk) -> tuple[list[str], list[str]]:
    """Take the attachments of one message level; return its plain and HTML body texts."""
    plain: list[str] = []
    html: list[str] = []
    candidates: list[Message] = []
    for part in _leaves(message, walk):
        content_type = part_type(part)
        if content_type in _BODY_TYPES and not is_attachment(part):
            text = _guarded(lambda p=part: body_text(p, walk.note), walk, "body text")
            (plain if content_type == "text/plain" else html).append(text or "")
        elif content_type.startswith("multipart/"):
            walk.note(f"a {content_type} part has no readable sub-parts (boundary not found; "
                      "the message may be truncated)")
        else:
            candidates.append(part)
    shown = {unquote(ref).strip("<>").casefold() for text in html
             for ref in _CID_REF.findall(text)}
    for part in candidates:
        if shown and is_shown_image(part, shown):
            continue
        _guarded(lambda p=part: _take(p, depth, walk), walk, "a part")
    return plain, html


def _guarded(read, walk: _Walk, what: str):  # type: ignore[no-untyped-def]
    """Run one part's reading so that a failure costs that part, not the message."""
    try:
        return read()
    except RecursionError:
        walk.note(f"{what} is nested too deeply to read")
    except Exception as error:
        walk.note(f"{what} could not be read ({type(error).__name__})")
    return None


def _leaves(message: Message, walk: _Walk):  # type: ignore[no-untyped-def]
    """Yield non-multipart parts (message/* parts count as leaves) in document order."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, level = stack.pop()
        _note_defects(part, walk)
        if part_type(part).startswith("multipart/") and part.is_multipart():
            if level >= _MAX_NESTING:
                walk.note(f"multipart nesting deeper than {_MAX_NESTING}; inner parts not read")
                continue
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            stack.extend((child, level + 1) for child in reversed(children))
        else:
            yield part


_DEFECT_PROBLEMS = {
    "StartBoundaryNotFoundDefect": "MIME boundary not found (the message may be truncated)",
    "CloseBoundaryNotFoundDefect": "closing MIME boundary not found (the message may be "
                                   "truncated)",
    "MissingHeaderBodySeparatorDefect": "a header block does not end with a blank line",
    "FirstHeaderLineIsContinuationDefect": "a header block starts with a continuation line",
    "MultipartInvariantViolationDefect": "a multipart part has no sub-parts",
}


def _note_defects(part: Message, walk: _Walk) -> None:
    """Report the structural defects the parser recorded (not the decoding ones, which
    part_content reports per attachment)."""
    for defect in getattr(part, "defects", [])[:10]:
        name = type(defect).__name__
        if not name.startswith("InvalidBase64"):
            walk.note(_DEFECT_PROBLEMS.get(name, f"MIME defect: {name}"))


def _take(part: Message, depth: int, walk: _Walk) -> None:
    """Record one attachment; open it as a message when it is a forwarded/attached email."""
    if len(walk.attachments) >= walk.max_attachments:
        walk.not_read += 1
        return
    index = len(walk.attachments)
    if part is not walk.top:
        note_long_headers(part, walk.note, f"attachment {index}: header")
    declared = part_type(part) if has_header(part, "content-type") else None
    filename, raw_filename = attachment_filename(part)
    inner: Message | None = None
    if declared in _MESSAGE_TYPES:
        content, inner = message_part_content(part, index, walk.note)
        media_type = sniffing.EML
    else:
        content = part_content(part, f"attachment {index}", walk.note)
        media_type = sniffing.sniff(content, filename)
    walk.attachments.append(Attachment(
        filename=filename, raw_filename=raw_filename, content=content, media_type=media_type,
        declared_type=declared, inline=not is_attachment(part), depth=depth, index=index,
    ))
    if media_type != sniffing.EML:
        return
    if depth + 1 > walk.max_depth:
        walk.note(f"attachment {index}: email nested more than {walk.max_depth} levels deep; "
                  "its attachments were not read")
        return
    if inner is None:
        try:
            inner = _parse_bytes(content, walk.policy)
        except MalformedMessage as error:
            walk.note(f"attachment {index}: attached email could not be parsed: {error.reason}")
            return
    _walk_level(inner, depth + 1, walk)
