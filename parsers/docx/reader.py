"""Read a Word (.docx/.docm) CME referral form into entries, grids and text.

The reader works on the package's XML with lxml directly: python-docx loses content
controls, legacy form fields, text boxes and tracked insertions (pitfalls §3), and opening
the zip ourselves lets every hostile-file check happen before any XML is parsed
(pitfalls §7): member count, sizes, compression ratio, byte-capped reads, no DTDs, no
entity expansion. Macros in a .docm are never touched.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from parsers.docx import xml as x
from parsers.docx.walk import BodyWalker, StyleInfo
from parsers.entries import ExtractedForm
from parsers.errors import UnreadableDocument
from parsers.layout.text import default_known_label

log = logging.getLogger(__name__)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = "/officeDocument"
DAMAGED = "the file is damaged (not a complete Word document)"


@dataclass(frozen=True)
class DocxLimits:
    """Caps that make a hostile or broken file fail fast instead of eating the machine.

    Sizes and the compression ratio are checked on the XML parts (the only ones ever
    decompressed); a blank scanned image may compress 500:1 and is no threat unread.
    """

    max_file_bytes: int = 100 * 1024 * 1024
    max_members: int = 2000
    max_total_uncompressed: int = 300 * 1024 * 1024
    max_part_bytes: int = 40 * 1024 * 1024
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 64 * 1024
    max_table_depth: int = 50


def read_docx(
    content: bytes,
    *,
    known_label: Callable[[str], bool] | None = None,
    limits: DocxLimits = DocxLimits(),
) -> ExtractedForm:
    """Everything a Word form says, as label/value entries, grids and plain text.

    Raises :class:`UnreadableDocument` (and nothing else) for a file that is not a readable
    Word document, with a reason that can be shown to staff.
    """
    try:
        return _read(content, known_label or default_known_label, limits)
    except UnreadableDocument:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, etree.XMLSyntaxError) as exc:
        log.info("docx unreadable: %s", type(exc).__name__)
        raise UnreadableDocument(_syntax_reason(exc)) from None
    except (RecursionError, MemoryError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("docx reader failed: %s", type(exc).__name__)
        raise UnreadableDocument(DAMAGED) from None
    except Exception:  # noqa: BLE001 - a reader bug must not stop the daemon
        log.exception("docx reader error")
        raise UnreadableDocument("the Word document could not be read (reader error)") from None


def _read(content: bytes, known_label: Callable[[str], bool], limits: DocxLimits) -> ExtractedForm:
    archive = _open_package(content, limits)
    with archive:
        main = _main_part_name(archive, limits)
        body = _parse(_read_part(archive, main, limits)).find(x.w("body"))
        if body is None:
            raise UnreadableDocument("the Word document has no body (it may be damaged)")
        styles = _styles(archive, content, main, body, limits)
        macros = any(name.lower().endswith("vbaproject.bin") for name in archive.namelist())
    walker = BodyWalker(
        styles=styles, known_label=known_label, max_table_depth=limits.max_table_depth
    )
    walker.walk(body)
    notes = list(walker.notes)
    if walker.revisions:
        notes.append("document has tracked changes")
    if macros:
        notes.append("document contains macros (not run)")
    return ExtractedForm(
        extraction="docx_form_fields" if _mostly_controls(walker) else "docx",
        entries=walker.entries,
        grids=walker.grids,
        text="\n".join(line for line in walker.lines if line.strip()),
        notes=notes,
    )


def _mostly_controls(walker: BodyWalker) -> bool:
    """Whether most written values, or most tick boxes, came from form controls."""
    written = sum(1 for e in walker.entries if e.value and e.checked is None)
    boxes = len({e.locator for e in walker.entries if e.checked is not None})
    if walker.control_values and walker.control_values * 2 >= written:
        return True
    return bool(walker.control_boxes) and walker.control_boxes >= boxes


def _open_package(content: bytes, limits: DocxLimits) -> zipfile.ZipFile:
    """Open the zip after the checks that need no decompression."""
    if content.startswith(OLE_MAGIC):
        raise UnreadableDocument(_ole_reason(content))
    if len(content) > limits.max_file_bytes:
        raise UnreadableDocument("the Word document is larger than this service accepts")
    if not content.startswith(b"PK"):
        raise UnreadableDocument("the file is not a Word .docx document")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnreadableDocument(DAMAGED) from None
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise UnreadableDocument("the Word document has too many parts to be a form")
    if sum(info.file_size for info in infos) > limits.max_total_uncompressed:
        raise UnreadableDocument("the Word document unpacks to more data than this service accepts")
    for info in infos:
        if not info.filename.lower().endswith((".xml", ".rels")):
            continue  # images and other binaries are never decompressed here
        if info.file_size > limits.max_part_bytes:
            raise UnreadableDocument("a part of the Word document is too large to read safely")
        if info.file_size > limits.ratio_floor_bytes and (
            info.file_size > limits.max_ratio * max(info.compress_size, 1)
        ):
            raise UnreadableDocument(
                "the Word document is compressed suspiciously tightly (a possible zip bomb)"
            )
    return archive


def _ole_reason(content: bytes) -> str:
    """An OLE file is either an encrypted OOXML package or a Word 97-2003 .doc."""
    try:
        import msoffcrypto

        encrypted = msoffcrypto.OfficeFile(io.BytesIO(content)).is_encrypted()
    except Exception:  # noqa: BLE001 - msoffcrypto raises many types on junk input
        return "the file is damaged or not a Word document"
    if encrypted:
        return "the document is password-protected: ask the school to send it without a password"
    return "the file is an old Word 97-2003 document, not .docx"


def _read_part(archive: zipfile.ZipFile, name: str, limits: DocxLimits) -> bytes:
    """A member's bytes through a capped stream (the central directory may lie)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise UnreadableDocument(DAMAGED) from None
    if info.flag_bits & 0x1:
        raise UnreadableDocument(
            "the document is password-protected: ask the school to send it without a password"
        )
    chunks, total = [], 0
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(1024 * 1024)
            if not chunk:
                break
            total += len(chunk)
            if total > limits.max_part_bytes:
                raise UnreadableDocument("a part of the Word document is too large to read safely")
            chunks.append(chunk)
    data = b"".join(chunks)
    if total > limits.ratio_floor_bytes and total > limits.max_ratio * max(info.compress_size, 1):
        raise UnreadableDocument(
            "the Word document is compressed suspiciously tightly (a possible zip bomb)"
        )
    return data


_PARSER = etree.XMLParser(
    resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, remove_comments=True
)


def _parse(data: bytes) -> etree._Element:
    """Parse one part; OOXML forbids DTDs, so any DOCTYPE is refused before parsing."""
    head = data[:4].lstrip(b"\xef\xbb\xbf")
    probe = data if not head.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16(data)
    if b"<!DOCTYPE" in probe or b"<!ENTITY" in probe:
        raise UnreadableDocument("the Word document contains a DTD, which Word never writes")
    if x.W_STRICT_NS.encode() in data:
        data = data.replace(x.W_STRICT_NS.encode(), x.W_NS.encode())
    root = etree.fromstring(data, _PARSER)
    if root.getroottree().docinfo.doctype:
        raise UnreadableDocument("the Word document contains a DTD, which Word never writes")
    return root


def _utf16(data: bytes) -> bytes:
    try:
        return data.decode("utf-16").encode("utf-8", "replace")
    except UnicodeDecodeError:
        raise UnreadableDocument(DAMAGED) from None


def _main_part_name(archive: zipfile.ZipFile, limits: DocxLimits) -> str:
    names = set(archive.namelist())
    if "_rels/.rels" in names:
        rels = _parse(_read_part(archive, "_rels/.rels", limits))
        for rel in rels.iter(f"{{{REL_NS}}}Relationship"):
            if (rel.get("Type") or "").endswith(OFFICE_DOCUMENT):
                target = (rel.get("Target") or "").lstrip("/")
                if target in names:
                    return target
    if "word/document.xml" in names:
        return "word/document.xml"
    if "xl/workbook.xml" in names or "ppt/presentation.xml" in names:
        raise UnreadableDocument("the file is an Excel or PowerPoint file, not a Word document")
    raise UnreadableDocument("the file is damaged (it has no Word document body)")


# Forms made from one template carry the same styles.xml; what the used styles say is kept
# (a few dozen answers), keyed by the part exactly as stored, so such a form skips
# inflating ~300 KB again.
_STYLE_ANSWERS: dict[tuple[object, ...], dict[str, StyleInfo]] = {}
_STYLE_ANSWERS_KEPT = 32


def _styles(
    archive: zipfile.ZipFile,
    content: bytes,
    main: str,
    body: etree._Element,
    limits: DocxLimits,
) -> dict[str, StyleInfo]:
    """The styles the body uses, by id: name, bold, and whether it is a heading style.

    Word's styles.xml is often 300 KB of latent styles; parsing it all would cost more than
    reading the form, so only the used styles (and what they are based on) are looked up.
    """
    used = {el.get(x.VAL) or "" for el in body.iter(x.PSTYLE, x.RSTYLE)}
    folder = main.rsplit("/", 1)[0] + "/" if "/" in main else ""
    name = folder + "styles.xml"
    if not used or name not in archive.namelist():
        return {}
    stored = _stored_member(archive.getinfo(name), content)
    key = None if stored is None else (stored, frozenset(used), limits)
    known = _STYLE_ANSWERS.get(key) if key is not None else None
    if known is not None:
        return dict(known)
    data = _read_part(archive, name, limits)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnreadableDocument("the Word document contains a DTD, which Word never writes")
    raw: dict[str, tuple[str, bool | None, str | None, bool]] = {}
    pending = list(used)
    while pending and len(raw) < 200:
        style_id = pending.pop()
        if style_id in raw:
            continue
        raw[style_id] = _style_facts(data, style_id)
        based = raw[style_id][2]
        if based and based not in raw:
            pending.append(based)
    found = {style_id: _resolve(style_id, raw) for style_id in used if style_id in raw}
    if key is not None and len(raw) < 200:  # complete, so independent of lookup order
        if len(_STYLE_ANSWERS) >= _STYLE_ANSWERS_KEPT:
            _STYLE_ANSWERS.clear()  # one atomic step: readers may run in threads (web)
        _STYLE_ANSWERS[key] = dict(found)
    return found


def _stored_member(info: zipfile.ZipInfo, content: bytes) -> tuple[object, ...] | None:
    """All that reading one zip member depends on: its local header and compressed bytes as
    stored, and its central-directory entry. Members with equal keys give the same bytes
    and pass or fail the same checks (names, sizes, CRC); None when the entry points
    outside the file (then the member is read, and fails, as usual)."""
    start = info.header_offset
    if start < 0 or start + 30 > len(content):
        return None
    name_length, extra_length = struct.unpack_from("<HH", content, start + 26)
    end = start + 30 + name_length + extra_length + info.compress_size
    if end > len(content):
        return None
    return (content[start:end], info.orig_filename, info.flag_bits, info.compress_type,
            info.CRC, info.compress_size, info.file_size, getattr(info, "_end_offset", None))


_STYLE_BOLD = re.compile(rb'<w:b(?:\s+w:val="([^"]*)")?\s*/>')


def _style_facts(data: bytes, style_id: str) -> tuple[str, bool | None, str | None, bool]:
    """(name, bold, basedOn, outline) of one style, found in the raw styles.xml bytes."""
    marker = f'w:styleId="{style_id}"'.encode()
    at = data.find(marker)
    if at < 0 or not style_id:
        return (style_id, None, None, False)
    end = data.find(b"</w:style>", at)
    chunk = data[at : end if end > 0 else at + 4000]
    name = re.search(rb'<w:name w:val="([^"]*)"', chunk)
    based = re.search(rb'<w:basedOn w:val="([^"]*)"', chunk)
    rpr_at = chunk.find(b"<w:rPr>")
    bold_match = _STYLE_BOLD.search(chunk, rpr_at) if rpr_at >= 0 else None
    bold = None
    if bold_match:
        value = (bold_match.group(1) or b"1").decode("ascii", "replace").lower()
        bold = value not in x.OFF_VALUES
    return (
        name.group(1).decode("utf-8", "replace") if name else style_id,
        bold,
        based.group(1).decode("utf-8", "replace") if based else None,
        b"<w:outlineLvl" in chunk,
    )


_HEADING_STYLE = re.compile(r"^(heading\s*\d|title|subtitle)$", re.IGNORECASE)


def _resolve(style_id: str, raw: dict[str, tuple[str, bool | None, str | None, bool]]) -> StyleInfo:
    name, bold, _, outline = raw[style_id]
    heading = bool(_HEADING_STYLE.match(name)) or outline
    seen = {style_id}
    parent = raw[style_id][2]
    while parent in raw and parent not in seen and len(seen) < 20:
        seen.add(parent)
        p_name, p_bold, grand, p_outline = raw[parent]
        bold = p_bold if bold is None else bold
        heading = heading or bool(_HEADING_STYLE.match(p_name)) or p_outline
        parent = grand
    return StyleInfo(name=name, bold=bold, heading=heading)


def _syntax_reason(exc: Exception) -> str:
    message = str(exc).lower()
    if "depth" in message or "nest" in message:
        return "the document is nested too deeply to read safely"
    if isinstance(exc, etree.XMLSyntaxError):
        return "the file is damaged (its Word XML is broken)"
    return DAMAGED
