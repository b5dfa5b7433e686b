"""Decide what an attachment is from its bytes, not from what the email or its name claims.

Schools' mail clients mislabel attachments all the time (a PDF sent as
``application/octet-stream`` named ``form.docx``), so every routing decision downstream is
keyed on :func:`sniff`. It is cheap on purpose: for zips it reads the central directory and at
most two tiny members, for OLE files only the directory; it never inflates a document body,
and it never raises, whatever the bytes.
"""

from __future__ import annotations

import io
import re
import zipfile

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCM = "application/vnd.ms-word.document.macroEnabled.12"
DOTX = "application/vnd.openxmlformats-officedocument.wordprocessingml.template"
DOTM = "application/vnd.ms-word.template.macroEnabled.12"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
ZIP = "application/zip"
PDF = "application/pdf"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
MSG = "application/vnd.ms-outlook"
ENCRYPTED_OOXML = "application/x-encrypted-ooxml"
OLE = "application/x-ole-storage"
RTF = "application/rtf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
GIF = "image/gif"
BMP = "image/bmp"
WEBP = "image/webp"
HTML = "text/html"
EML = "message/rfc822"
TEXT = "text/plain"
EMPTY = "application/x-empty"
UNKNOWN = "application/octet-stream"

EXTENSIONS: dict[str, str] = {
    DOCX: ".docx", DOCM: ".docm", DOTX: ".dotx", DOTM: ".dotm", XLSX: ".xlsx", XLSM: ".xlsm",
    PPTX: ".pptx", ODT: ".odt", ZIP: ".zip", PDF: ".pdf", DOC: ".doc", XLS: ".xls",
    PPT: ".ppt", MSG: ".msg", ENCRYPTED_OOXML: ".docx", OLE: ".bin", RTF: ".rtf",
    PNG: ".png", JPEG: ".jpg", TIFF: ".tif", GIF: ".gif", BMP: ".bmp", WEBP: ".webp",
    HTML: ".html", EML: ".eml", TEXT: ".txt", EMPTY: ".bin", UNKNOWN: ".bin", ODS: ".ods",
    ODP: ".odp",
}

# Main-part content type in [Content_Types].xml -> package media type; Word first, because
# that is what a referral form is.
_OOXML_MAIN_PARTS: tuple[tuple[str, str], ...] = (
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", DOCX),
    ("application/vnd.ms-word.document.macroEnabled.main+xml", DOCM),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", DOTX),
    ("application/vnd.ms-word.template.macroEnabledTemplate.main+xml", DOTM),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", XLSX),
    ("application/vnd.ms-excel.sheet.macroEnabled.main+xml", XLSM),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
     PPTX),
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SMALL_MEMBER = 256 * 1024          # [Content_Types].xml is a few KB; refuse to inflate more
_TEXT_PROBE = 64 * 1024             # bytes looked at to decide "is this text"
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_HEADER_LINE = re.compile(rb"[!-9;-~]{1,76}:")
_MAIL_HEADERS = frozenset({
    b"from", b"to", b"cc", b"subject", b"date", b"received", b"return-path", b"mime-version",
    b"message-id", b"delivered-to", b"reply-to", b"sender", b"in-reply-to", b"references",
    b"x-mailer", b"user-agent", b"content-type", b"thread-topic", b"x-originating-ip",
})
_HTML_START = re.compile(
    rb"\s*(?:<!--.*?-->\s*)?<(?:!doctype\s+html|html|head|body|meta|title|div|p|table)\b",
    re.IGNORECASE | re.DOTALL,
)


def sniff(content: bytes, filename: str | None = None) -> str:
    """Return the media type of ``content``, judged by its bytes.

    ``filename`` only breaks a tie for content that is plain text anyway (``.html``,
    ``.eml``); it never turns binary content into anything. Never raises.
    """
    try:
        return _sniff(bytes(content or b""), filename)
    except Exception:  # a sniffer must not be the thing that fails a message
        return UNKNOWN


def _sniff(content: bytes, filename: str | None) -> str:
    if not content:
        return EMPTY
    head = content[:1024]
    if b"%PDF-" in head:
        return PDF
    if content.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _sniff_zip(content)
    if content.startswith(_OLE_MAGIC):
        return _sniff_ole(content)
    image = _sniff_image(head)
    if image:
        return image
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return RTF
    if _looks_like_message(content):
        return EML
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return TEXT if _is_utf16_text(content[:_TEXT_PROBE]) else UNKNOWN
    if not _is_text(content[:_TEXT_PROBE]):
        return UNKNOWN
    if _HTML_START.match(content[:4096].lstrip(b"\xef\xbb\xbf")):
        return HTML
    return _break_text_tie(content, (filename or "").lower().strip())


def _sniff_zip(content: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except Exception:
        return ZIP
    with archive:
        names = set(archive.namelist())
        if "mimetype" in names:
            declared = _read_small(archive, "mimetype", 200).strip().decode("ascii", "replace")
            if declared in (ODT, ODS, ODP):
                return declared
        if "[Content_Types].xml" in names:
            types = _read_small(archive, "[Content_Types].xml", _SMALL_MEMBER)
            found = set(re.findall(rb'ContentType\s*=\s*["\']([^"\'<>]{1,200})["\']', types))
            for main_part, media_type in _OOXML_MAIN_PARTS:
                if main_part.encode() in found:
                    return media_type
        if "word/document.xml" in names:
            return DOCX
    return ZIP


def _read_small(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """Read at most ``limit`` bytes of one member, refusing members that claim to be bigger."""
    try:
        info = archive.getinfo(name)
        if info.file_size > limit:
            return b""
        with archive.open(info) as member:
            return member.read(limit)
    except Exception:
        return b""


def _sniff_ole(content: bytes) -> str:
    try:
        import olefile

        with olefile.OleFileIO(io.BytesIO(content)) as ole:
            entries = ole.listdir(streams=True, storages=True)
    except Exception:
        return OLE
    top = {entry[0] for entry in entries if entry}
    if "EncryptionInfo" in top and "EncryptedPackage" in top:
        return ENCRYPTED_OOXML
    if "__properties_version1.0" in top or any(n.startswith("__substg1.0_") for n in top):
        return MSG
    if "WordDocument" in top:
        return DOC
    if "Workbook" in top or "Book" in top:
        return XLS
    if "PowerPoint Document" in top:
        return PPT
    return OLE


def _sniff_image(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if _is_bmp(head):
        return BMP
    return None


def _is_bmp(head: bytes) -> bool:
    """``BM`` alone is too weak (text can start with it): also check the reserved fields and
    the size of the info header."""
    if len(head) < 26 or not head.startswith(b"BM") or head[6:10] != b"\x00" * 4:
        return False
    return int.from_bytes(head[14:18], "little") in (12, 16, 40, 52, 56, 64, 108, 124)


def _looks_like_message(content: bytes) -> bool:
    """True when the bytes open with an RFC 822 header block naming mail headers.

    Requires at least two header fields, one of them a well-known mail header, so that a
    note starting "Re: tomorrow" is not taken for an email.
    """
    lines = content[:_TEXT_PROBE].lstrip(b"\r\n").split(b"\n", 60)[:60]
    if lines and lines[0].startswith(b"From ") and not _HEADER_LINE.match(lines[0]):
        lines = lines[1:]  # mbox "From " envelope line
    fields, known = 0, 0
    for index, line in enumerate(lines):
        line = line.rstrip(b"\r")
        if not line:
            break
        if line[:1] in (b" ", b"\t") and index > 0:
            continue
        match = _HEADER_LINE.match(line)
        if not match:
            if index == len(lines) - 1 and len(line) > 76:
                break  # a very long last line cut by the probe window: judge what we have
            return False
        fields += 1
        known += match.group()[:-1].lower() in _MAIL_HEADERS
    return fields >= 2 and known >= 1


def _is_text(sample: bytes) -> bool:
    """UTF-8 (or ASCII), or failing that Windows-1252 (old letters typed on Windows), with
    few control characters. Binary data almost always has NULs or other C0 bytes."""
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(sample) - 4:  # a character cut by the probe window
            text = sample[: error.start].decode("utf-8")
        elif _CP1252_UNDEFINED.search(sample):
            return False
        else:
            text = sample.decode("cp1252")
    if not text:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls * 100 <= len(text)


def _is_utf16_text(sample: bytes) -> bool:
    """Notepad's "Unicode" (UTF-16 with a byte-order mark)."""
    sample = sample[: len(sample) // 2 * 2]
    try:
        text = sample.decode("utf-16")
    except UnicodeDecodeError:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return bool(text) and controls * 100 <= len(text)


def _break_text_tie(content: bytes, filename: str) -> str:
    if filename.endswith((".html", ".htm")) and b"<" in content[:4096]:
        return HTML
    if filename.endswith(".eml") and _HEADER_LINE.match(content.lstrip(b"\r\n")[:80]):
        return EML
    return TEXT
