"""Walk one raw email into its headers, body text and every attachment worth reading.

Schools send referral forms from every mail client there is, so this is lenient where
paperless-style importers lose documents (pitfalls §1): inline PDFs/DOCX and parts with no
Content-Disposition are kept, encoded filenames are decoded, forwarded messages and attached
``.eml`` files are opened (to a depth cap), and every type is sniffed from the bytes. Only
the body parts themselves and images the HTML body shows through ``cid:`` are left out.

It is also defensive (pitfalls §7): header values are cut before the stdlib's superlinear
header parser sees them, parse failures fall back to ``compat32``, and a bad part becomes a
line in ``problems`` rather than an exception. Only bytes that are not an email at all raise
:class:`~intake.errors.MalformedMessage`.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC
from email import errors as email_errors
from email import policy as email_policy
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value, parsedate_to_datetime
from urllib.parse import unquote

from intake.errors import MalformedMessage
from parsers import sniff as sniffing

MAX_HEADER_CHARS = 16_384
MAX_PARAM_HEADER_CHARS = 1_024
PARAM_PARSE_CHARS = 384
PARAM_PARSE_BUDGET = 100_000
MAX_PROBLEMS = 100
MAX_FILENAME_CHARS = 200
MAX_LINES = 1_000_000
MAX_PARSE_WORK = 2_000_000
_PARAM_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding",
                            "content-id"})
_MAIL_HEADERS = frozenset({
    "from", "to", "cc", "subject", "date", "received", "return-path", "mime-version",
    "message-id", "delivered-to", "reply-to", "sender", "in-reply-to", "references",
})
_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
_BODY_TYPES = frozenset({"text/plain", "text/html"})
_DECODED = frozenset({"base64", "quoted-printable", "x-uuencode", "uuencode", "uue", "x-uue"})
_MAX_NESTING = 50
_ESSENTIAL_PARAM = re.compile(r'(?:^|;)\s*(boundary|charset)\s*=\s*("[^"]{0,200}"|[^;\s"]{1,200})',
                              re.IGNORECASE)
_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*("[^"\r\n]{1,200}"|[^\s;"]{1,200})')
_SPECIAL_RUNS = re.compile(r'[\s()<>@,;:\\"/\[\]?=]+')
_MSG_ID = re.compile(r"<([^<>\s]{1,998})>")
_CID_REF = re.compile(r"cid:([^\s\"'<>()]{1,500})", re.IGNORECASE)

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


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    raw_filename: str | None
    content: bytes
    media_type: str
    declared_type: str | None
    inline: bool
    depth: int
    index: int


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


class _BoundedPolicy(email_policy.EmailPolicy):
    """``policy.default`` that keeps the stdlib header parser away from hostile values.

    That parser costs about 10 µs a character on unusual input, is superlinear on some (4,000
    quote marks in a Content-Disposition take a third of a second) and hits the recursion
    limit on nested comments. So values are cut, a parameter header that is long or full of
    specials is parsed without its parameters (filenames then come from ``compat32``), each
    distinct value is parsed once per walk, and a value that still fails is retried without
    its parameters instead of raising out of the parser.
    """

    header_cache: dict[tuple[str, str], object] | None = None
    parse_budget: list[int] | None = None  # characters of parameter headers left to parse

    def header_fetch_parse(self, name, value):  # type: ignore[no-untyped-def]
        if hasattr(value, "name"):
            return value
        key = (name.lower(), value[: MAX_HEADER_CHARS * 2])
        cache = self.header_cache if self.header_cache is not None else {}
        if key not in cache:
            cache[key] = self._parse(*key)
        return cache[key]

    def _parse(self, name: str, value: str) -> object:
        value = re.sub(r"[\r\n]", "", value)[:MAX_HEADER_CHARS]
        if name in _PARAM_HEADERS:
            budget = self.parse_budget if self.parse_budget is not None else [PARAM_PARSE_BUDGET]
            if _too_complex(value) or budget[0] < len(value):
                value = _essential_params(value)
            budget[0] -= len(value)
        for candidate in (value, value.split(";", 1)[0], ""):
            try:
                return self.header_factory(name, candidate)
            except Exception:
                continue
        return self.header_factory("x-unparseable", "")


def _too_complex(value: str) -> bool:
    """A parameter header too long or too fiddly to hand to the slow parser."""
    return len(value) > PARAM_PARSE_CHARS or len(_SPECIAL_RUNS.findall(value)) > 48


def _essential_params(value: str) -> str:
    """The type token plus the boundary and charset parameters, found by a linear regex;
    filenames are then read by the compat32 fallback."""
    kept = [value.split(";", 1)[0][:100]]
    for match in _ESSENTIAL_PARAM.finditer(value):
        kept.append(f"{match.group(1)}={match.group(2)}")
    return "; ".join(kept[:3])


class _VerbatimPolicy(email_policy.Compat32):
    """Writes source headers back exactly as they were read (no refolding, 8-bit kept)."""

    def fold_binary(self, name, value):  # type: ignore[no-untyped-def]
        return f"{name}: {value}{self.linesep}".encode("utf-8", "surrogateescape")


_POLICY = _BoundedPolicy()  # for one-off header decoding; walks get their own cache
_VERBATIM = _VerbatimPolicy(linesep="\r\n", max_line_length=0)


@dataclass
class _Walk:
    max_depth: int
    max_attachments: int
    policy: _BoundedPolicy
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
    policy = _BoundedPolicy(  # type: ignore[call-overload]
        header_cache={}, parse_budget=[PARAM_PARSE_BUDGET])
    walk = _Walk(max_depth, max_attachments, policy)
    message = walk.top = _parse_top(raw, policy)
    _note_long_headers(message, walk, "header")
    plain, html = _walk_level(message, 0, walk)
    texts = plain or [html_to_text(h) for h in html]
    body = "\n\n".join(t.replace("\r\n", "\n").strip("\n") for t in texts)
    return WalkedMessage(
        from_=_display_header(message, "from"), to=_display_header(message, "to"),
        subject=_display_header(message, "subject"), date=_date(message, walk),
        message_id=_first_id(message, "message-id"),
        in_reply_to=_first_id(message, "in-reply-to"), references=_references(message),
        body_text=body, attachments=walk.attachments, problems=walk.final_problems(),
    )


def _parse_top(raw: bytes, policy: _BoundedPolicy) -> Message:
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


def _parse_bytes(data: bytes, policy: _BoundedPolicy) -> Message:
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
        content_type = _content_type(part)
        if content_type in _BODY_TYPES and not _is_attachment(part):
            text = _guarded(lambda p=part: _part_text(p, walk), walk, "body text")
            (plain if content_type == "text/plain" else html).append(text or "")
        elif content_type.startswith("multipart/"):
            walk.note(f"a {content_type} part has no readable sub-parts (boundary not found; "
                      "the message may be truncated)")
        else:
            candidates.append(part)
    shown = {unquote(ref).strip("<>").casefold() for text in html
             for ref in _CID_REF.findall(text)}
    for part in candidates:
        if shown and _is_shown_image(part, shown):
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
        if _content_type(part).startswith("multipart/") and part.is_multipart():
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
    _payload reports per attachment)."""
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
        _note_long_headers(part, walk, f"attachment {index}: header")
    declared = _content_type(part) if _has_header(part, "content-type") else None
    filename, raw_filename = _filename(part)
    inner: Message | None = None
    if declared in _MESSAGE_TYPES:
        content, inner = _message_part(part, index, walk)
        media_type = sniffing.EML
    else:
        content = _payload(part, f"attachment {index}", walk)
        media_type = sniffing.sniff(content, filename)
    walk.attachments.append(Attachment(
        filename=filename, raw_filename=raw_filename, content=content, media_type=media_type,
        declared_type=declared, inline=not _is_attachment(part), depth=depth, index=index,
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


def _message_part(part: Message, index: int, walk: _Walk) -> tuple[bytes, Message | None]:
    """Bytes of a message/rfc822 part, and the parsed message when no re-parse is needed.

    The parser has already split the forwarded message; its bytes are re-serialised with the
    source headers verbatim. Some clients base64-encode message/rfc822 (RFC 2046 forbids it),
    in which case the "parsed" message is the encoded text: decode it and parse again.
    """
    payload = part.get_payload()
    messages = [m for m in payload if isinstance(m, Message)] if isinstance(payload, list) else []
    if not messages:
        return _payload(part, f"attachment {index}", walk), None
    content = b"".join(_serialise(m) for m in messages)
    encoding = _transfer_encoding(part)
    if encoding in ("base64", "quoted-printable"):
        return _payload(_carrier(encoding, content), f"attachment {index}", walk), None
    return content, messages[0]


def _carrier(encoding: str, data: bytes) -> Message:
    """A bare part holding ``data`` under a clean Content-Transfer-Encoding, so the stdlib
    decoders (and their defect reporting) can be reused on it."""
    carrier = Message()
    carrier["Content-Transfer-Encoding"] = encoding
    carrier.set_payload(data.decode("ascii", "surrogateescape"))
    return carrier


def _serialise(message: Message) -> bytes:
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=_VERBATIM).flatten(message)
    except Exception:
        pass  # keep what was written: a damaged forwarded message is still worth storing
    return buffer.getvalue()


def _payload(part: Message, label: str, walk: _Walk) -> bytes:
    """Decoded body bytes of a leaf; the raw bytes, noted, when its encoding fails.

    The stdlib decodes only an exact ``base64``/``quoted-printable`` value; "base64 " or
    "base64 (comment)" would come back undecoded, so those go through a clean carrier.
    """
    encoding = _transfer_encoding(part)
    stdlib_sees = _safe(lambda: str(part.get("content-transfer-encoding", "")).lower(), "")
    try:
        if encoding in _DECODED and encoding != stdlib_sees:
            undecoded = part.get_payload(decode=True)  # the stdlib hands back the raw bytes
            if isinstance(undecoded, bytes):
                part = _carrier(encoding, undecoded)
        before = len(part.defects)
        content = part.get_payload(decode=True)
    except Exception:
        walk.note(f"{label}: content could not be decoded; part skipped")
        return b""
    if not isinstance(content, bytes):
        payload = part.get_payload() if part.is_multipart() else []
        return b"".join(_serialise(m) for m in payload if isinstance(m, Message))
    new = part.defects[before:]
    if any(isinstance(d, email_errors.InvalidBase64LengthDefect) for d in new):
        walk.note(f"{label}: transfer encoding {encoding} failed; raw bytes kept")
    elif any(isinstance(d, email_errors.InvalidBase64CharactersDefect) for d in new):
        walk.note(f"{label}: {encoding} content had invalid characters; "
                  "decoded what could be read")
    elif encoding not in _DECODED and encoding not in ("", "7bit", "8bit", "binary"):
        walk.note(f"{label}: unknown transfer encoding {_clean(encoding[:40])!r}; "
                  "raw bytes kept")
    return content


def _part_text(part: Message, walk: _Walk) -> str:
    content = _payload(part, "body text", walk)
    charset = _safe(lambda: part.get_content_charset(), None)
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return content.decode(candidate)
        except UnicodeDecodeError:
            walk.note("body text is not valid in its declared charset; bytes replaced")
        except Exception:  # LookupError, or a NUL or bytes-to-bytes codec in the name
            walk.note(f"body text in unknown charset {_clean(candidate[:40])!r}")
    return content.decode("cp1252", "replace")


def _is_shown_image(part: Message, shown: set[str]) -> bool:
    content_id = (_raw_header(part, "content-id") or "").strip().strip("<>").casefold()
    if not content_id or content_id not in shown:
        return False
    if _content_type(part).startswith("image/"):
        return True
    return sniffing.sniff(_safe(lambda: part.get_payload(decode=True), b"") or b"") \
        .startswith("image/")


# --- header access -------------------------------------------------------------------


def _safe(call, default):  # type: ignore[no-untyped-def]
    try:
        return call()
    except Exception:
        return default


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if str(key).strip().lower() == name:
            return re.sub(r"[\r\n]", "", str(value)[: MAX_HEADER_CHARS * 8])
    return None


def _has_header(message: Message, name: str) -> bool:
    return _raw_header(message, name) is not None


def _note_long_headers(message: Message, walk: _Walk, where: str) -> None:
    for key, value in message.raw_items():
        name = str(key).strip().lower()
        limit = MAX_PARAM_HEADER_CHARS if name in _PARAM_HEADERS else MAX_HEADER_CHARS
        if len(value) > limit:
            walk.note(f"{where} {_clean(name)[:40]} is {len(value)} characters long; "
                      f"only the first {limit} were read")


def _content_type(part: Message) -> str:
    value = _safe(part.get_content_type, None)
    if value:
        return str(value).lower()
    raw = (_raw_header(part, "content-type") or "").split(";", 1)[0].strip().lower()
    return raw if re.fullmatch(r"[\w.+-]{1,64}/[\w.+-]{1,128}", raw) else "text/plain"


def _is_attachment(part: Message) -> bool:
    value = _safe(part.get_content_disposition, None)
    if value is None:
        value = (_raw_header(part, "content-disposition") or "").split(";", 1)[0]
    return str(value).strip().lower() == "attachment"


def _transfer_encoding(part: Message) -> str:
    """The encoding token, ignoring case, quotes, comments and stray whitespace."""
    value = (_raw_header(part, "content-transfer-encoding") or "")[:MAX_PARAM_HEADER_CHARS]
    match = re.search(r"[A-Za-z0-9][\w.-]*", re.sub(r"\([^()]*\)", " ", value))
    return match.group().lower() if match else ""


def _display_header(message: Message, name: str) -> str | None:
    raw = _raw_header(message, name)
    if raw is None:
        return None
    value = _fix_8bit(raw[:MAX_HEADER_CHARS])
    decoded = _safe(lambda: str(_POLICY.header_factory("x-display", value)), None)
    if decoded is None:
        decoded = _safe(lambda: str(make_header(decode_header(value))), value)
    return _clean(decoded).strip() or None


def _date(message: Message, walk: _Walk) -> str | None:
    raw = _raw_header(message, "date")
    if raw is None:
        return None
    try:
        parsed = parsedate_to_datetime(_fix_8bit(raw[:300]).strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.isoformat()
    except Exception:
        walk.note("header Date could not be parsed")
        return None


def _first_id(message: Message, name: str) -> str | None:
    raw = _raw_header(message, name)
    if raw is None:
        return None
    value = _clean(_fix_8bit(raw[:MAX_HEADER_CHARS]))
    match = _MSG_ID.search(value)
    return match.group(1) if match else (value.strip().strip("<>") or None)


def _references(message: Message) -> list[str]:
    raw = _raw_header(message, "references")
    if raw is None:
        return []
    value = _clean(_fix_8bit(raw[: MAX_HEADER_CHARS * 4]))
    return _MSG_ID.findall(value) or value.split()


# --- filenames and text ----------------------------------------------------------------


def _filename(part: Message) -> tuple[str | None, str | None]:
    """(display name, raw header text) of an attachment's filename.

    ``get_filename`` under policy.default decodes RFC 2231 continuations and RFC 2047
    encoded-words inside quoted parameters, and falls back to Content-Type ``name=``. The
    compat32 parameter parser is used instead where the default one gives a worse answer:
    raw 8-bit names (it would show U+FFFD), unquoted names with spaces (it would stop at the
    first space) and Content-Disposition values too long for it.
    """
    raw_cd = _fix_8bit((_raw_header(part, "content-disposition") or "")[:4096])
    raw_ct = _fix_8bit((_raw_header(part, "content-type") or "")[:4096])
    raw = _raw_param(raw_cd, "filename") or _raw_param(raw_ct, "name")
    name: str | None = None
    if not (raw_cd + raw_ct).isascii() or _UNQUOTED_WITH_SPACE.search(raw_cd + ";" + raw_ct):
        pass
    elif _raw_param(raw_cd, "filename") is None:
        name = _safe(part.get_filename, None)
    else:  # not get_filename: it would quietly fall back to name= if the parser gave up
        params = _safe(lambda: dict(getattr(part["content-disposition"], "params", {})), {})
        name = params.get("filename")
    if name is None and raw is not None:
        name = _compat32_param(raw_cd, "filename") or _compat32_param(raw_ct, "name")
    if name and "=?" in name:
        name = _safe(lambda: str(make_header(decode_header(name))), name)
    return (_display_filename(name) if name else None), (_clean(raw) if raw else None)


_UNQUOTED_WITH_SPACE = re.compile(r'(?:^|;)\s*(?:file)?name\s*=\s*[^\s";*][^";]*\s[^\s";]',
                                  re.IGNORECASE)
_RAW_PARAM = re.compile(r"""(?:^|;)\s*({name})(\*\d*\*?)?\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)""",
                        re.IGNORECASE)


def _raw_param(header: str, name: str) -> str | None:
    pieces = re.compile(_RAW_PARAM.pattern.format(name=name), re.IGNORECASE).findall(header)
    if not pieces:
        return None
    if len(pieces) == 1 and not pieces[0][1]:
        return pieces[0][2].strip().strip('"')
    return "; ".join(f"{n}{star}={value.strip()}" for n, star, value in pieces)


def _compat32_param(header: str, name: str) -> str | None:
    holder = Message()
    try:
        holder["Content-Disposition"] = header[:MAX_PARAM_HEADER_CHARS]
        value = holder.get_param(name, None, "content-disposition")
        return collapse_rfc2231_value(value) if value is not None else None
    except Exception:
        return None


def _display_filename(name: str) -> str | None:
    """A name safe to show: no path separators or control characters, at most 200 chars."""
    name = unicodedata.normalize("NFC", _clean(_fix_8bit(name)))
    name = re.sub(r"[\\/:]", "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 16 else ""
        stem = stem if ext else name
        name = stem[: MAX_FILENAME_CHARS - len(ext)].rstrip(" .") + ext
    return name or None


def _fix_8bit(text: str) -> str:
    """Turn surrogate-escaped raw bytes back into text: UTF-8 if valid, else Windows-1252."""
    if not re.search("[\udc80-\udcff]", text):
        return text
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _clean(text: str) -> str:
    """Drop control, format and surrogate characters (NUL, bidi overrides, stray escapes);
    a tab becomes a space."""
    text = text.replace("\t", " ")
    return "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)


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
    for element in root.iter("br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table"):
        element.tail = "\n" + (element.tail or "")
    lines = (re.sub(r"[ \t\xa0]+", " ", line).strip()
             for line in "".join(root.itertext()).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


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
