"""Reading an email's headers and attachment names, safely.

Header values from schools' mail clients arrive folded, RFC 2047-encoded, RFC 2231-encoded,
in raw 8-bit, or hostile. :class:`BoundedPolicy` keeps the stdlib's slow header parser away
from values that would cost it seconds. The readers here take one header of one part as
plain text, falling back to the raw value (or to ``compat32``) where the default policy
fails, and drop control and bidi characters before anything is shown. Problems go to the
caller's ``note``; nothing here raises.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC
from email import policy as email_policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import collapse_rfc2231_value, parsedate_to_datetime

Note = Callable[[str], None]  # records one problem (no personal data) for the caller

MAX_HEADER_CHARS = 16_384
MAX_PARAM_HEADER_CHARS = 1_024
PARAM_PARSE_CHARS = 384
PARAM_PARSE_BUDGET = 100_000
MAX_FILENAME_CHARS = 200
PARAM_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding",
                            "content-id"})
_ESSENTIAL_PARAM = re.compile(r'(?:^|;)\s*(boundary|charset)\s*=\s*("[^"]{0,200}"|[^;\s"]{1,200})',
                              re.IGNORECASE)
_SPECIAL_RUNS = re.compile(r'[\s()<>@,;:\\"/\[\]?=]+')
_MSG_ID = re.compile(r"<([^<>\s]{1,998})>")


class BoundedPolicy(email_policy.EmailPolicy):
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
        if name in PARAM_HEADERS:
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


DISPLAY_POLICY = BoundedPolicy()  # for one-off header decoding; walks get their own cache


# --- header access -------------------------------------------------------------------


def safe(call, default):  # type: ignore[no-untyped-def]
    """``call()``, or ``default`` if it raises: odd headers must never stop a walk."""
    try:
        return call()
    except Exception:
        return default


def raw_header(message: Message, name: str) -> str | None:
    """The first ``name`` header (lower-case) as sent, unfolded and cut, without parsing."""
    for key, value in message.raw_items():
        if str(key).strip().lower() == name:
            return re.sub(r"[\r\n]", "", str(value)[: MAX_HEADER_CHARS * 8])
    return None


def has_header(message: Message, name: str) -> bool:
    return raw_header(message, name) is not None


def note_long_headers(message: Message, note: Note, where: str) -> None:
    """Note each header longer than what the readers look at."""
    for key, value in message.raw_items():
        name = str(key).strip().lower()
        limit = MAX_PARAM_HEADER_CHARS if name in PARAM_HEADERS else MAX_HEADER_CHARS
        if len(value) > limit:
            note(f"{where} {strip_controls(name)[:40]} is {len(value)} characters long; "
                 f"only the first {limit} were read")


def part_type(part: Message) -> str:
    value = safe(part.get_content_type, None)
    if value:
        return str(value).lower()
    raw = (raw_header(part, "content-type") or "").split(";", 1)[0].strip().lower()
    return raw if re.fullmatch(r"[\w.+-]{1,64}/[\w.+-]{1,128}", raw) else "text/plain"


def is_attachment(part: Message) -> bool:
    value = safe(part.get_content_disposition, None)
    if value is None:
        value = (raw_header(part, "content-disposition") or "").split(";", 1)[0]
    return str(value).strip().lower() == "attachment"


def transfer_encoding(part: Message) -> str:
    """The encoding token, ignoring case, quotes, comments and stray whitespace."""
    value = (raw_header(part, "content-transfer-encoding") or "")[:MAX_PARAM_HEADER_CHARS]
    match = re.search(r"[A-Za-z0-9][\w.-]*", re.sub(r"\([^()]*\)", " ", value))
    return match.group().lower() if match else ""


def display_header(message: Message, name: str) -> str | None:
    raw = raw_header(message, name)
    if raw is None:
        return None
    value = fix_8bit(raw[:MAX_HEADER_CHARS])
    decoded = safe(lambda: str(DISPLAY_POLICY.header_factory("x-display", value)), None)
    if decoded is None:
        decoded = safe(lambda: str(make_header(decode_header(value))), value)
    return strip_controls(decoded).strip() or None


def header_date(message: Message, note: Note) -> str | None:
    raw = raw_header(message, "date")
    if raw is None:
        return None
    try:
        parsed = parsedate_to_datetime(fix_8bit(raw[:300]).strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.isoformat()
    except Exception:
        note("header Date could not be parsed")
        return None


def first_message_id(message: Message, name: str) -> str | None:
    raw = raw_header(message, name)
    if raw is None:
        return None
    value = strip_controls(fix_8bit(raw[:MAX_HEADER_CHARS]))
    match = _MSG_ID.search(value)
    return match.group(1) if match else (value.strip().strip("<>") or None)


def reference_ids(message: Message) -> list[str]:
    raw = raw_header(message, "references")
    if raw is None:
        return []
    value = strip_controls(fix_8bit(raw[: MAX_HEADER_CHARS * 4]))
    return _MSG_ID.findall(value) or value.split()


# --- filenames and text ----------------------------------------------------------------


def attachment_filename(part: Message) -> tuple[str | None, str | None]:
    """(display name, raw header text) of an attachment's filename.

    ``get_filename`` under policy.default decodes RFC 2231 continuations and RFC 2047
    encoded-words inside quoted parameters, and falls back to Content-Type ``name=``. The
    compat32 parameter parser is used instead where the default one gives a worse answer:
    raw 8-bit names (it would show U+FFFD), unquoted names with spaces (it would stop at the
    first space) and Content-Disposition values too long for it.
    """
    raw_cd = fix_8bit((raw_header(part, "content-disposition") or "")[:4096])
    raw_ct = fix_8bit((raw_header(part, "content-type") or "")[:4096])
    raw = _raw_param(raw_cd, "filename") or _raw_param(raw_ct, "name")
    name: str | None = None
    if not (raw_cd + raw_ct).isascii() or _UNQUOTED_WITH_SPACE.search(raw_cd + ";" + raw_ct):
        pass
    elif _raw_param(raw_cd, "filename") is None:
        name = safe(part.get_filename, None)
    else:  # not get_filename: it would quietly fall back to name= if the parser gave up
        params = safe(lambda: dict(getattr(part["content-disposition"], "params", {})), {})
        name = params.get("filename")
    if name is None and raw is not None:
        name = _compat32_param(raw_cd, "filename") or _compat32_param(raw_ct, "name")
    if name and "=?" in name:
        name = safe(lambda: str(make_header(decode_header(name))), name)
    return (display_filename(name) if name else None), (strip_controls(raw) if raw else None)


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


def display_filename(name: str) -> str | None:
    """A name safe to show: no path separators or control characters, at most 200 chars."""
    name = unicodedata.normalize("NFC", strip_controls(fix_8bit(name)))
    name = re.sub(r"[\\/:]", "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 16 else ""
        stem = stem if ext else name
        name = stem[: MAX_FILENAME_CHARS - len(ext)].rstrip(" .") + ext
    return name or None


def fix_8bit(text: str) -> str:
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


def strip_controls(text: str) -> str:
    """Drop control, format and surrogate characters (NUL, bidi overrides, stray escapes);
    a tab becomes a space."""
    text = text.replace("\t", " ")
    return "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
