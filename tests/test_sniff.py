"""Content sniffing: the type comes from the bytes, whatever the name or the email says."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import sniff as s
from parsers.sniff import sniff

ALL_TYPES = {value for name, value in vars(s).items() if name.isupper() and isinstance(value, str)}

# --- tiny documents built in memory ---------------------------------------------------------


def docx_bytes(text: str = "CME referral form") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(text: str = "CME referral form") -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def zip_bytes(members: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(stored_first, members[stored_first], zipfile.ZIP_STORED)
        for name, data in members.items():
            if name != stored_first:
                archive.writestr(name, data)
    return buffer.getvalue()


def content_types(main_part: str, main_type: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="{main_part}" ContentType="{main_type}"/></Types>'
    ).encode()


def rewrite_member(package: bytes, name: str, change) -> bytes:  # type: ignore[no-untyped-def]
    source = zipfile.ZipFile(io.BytesIO(package))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members[name] = change(members[name])
    return zip_bytes(members)


def build_ole(streams: dict[str, bytes]) -> bytes:
    """A minimal compound file (CFB v3) holding the given root streams.

    Streams are padded to 4,096 bytes so they live in normal sectors (no mini stream);
    that is all the sniffer needs: it only reads the directory.
    """
    sector = 512
    end, free, fat_mark, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    datas = [streams[n].ljust(4096, b"\0") for n in names]
    dir_sectors = (len(names) + 1 + 3) // 4
    fat = [fat_mark]
    fat += [i + 2 if i + 1 < dir_sectors else end for i in range(dir_sectors)]
    starts = []
    for data in datas:
        count = len(data) // sector
        first = len(fat)
        starts.append(first)
        fat += [first + i + 1 if i + 1 < count else end for i in range(count)]
    assert len(fat) <= sector // 4
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", nostream, right, child) + b"\0" * 36
                + struct.pack("<IQ", start, size))

    directory = [entry("Root Entry", 5, 1 if names else nostream, nostream, end, 0)]
    for i, (name, data) in enumerate(zip(names, datas, strict=True)):
        right = i + 2 if i + 1 < len(names) else nostream
        directory.append(entry(name, 2, nostream, right, starts[i], len(data)))
    directory += [b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", *(nostream,) * 3)
                  + b"\0" * 48] * (dir_sectors * 4 - len(directory))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    body = struct.pack(f"<{len(fat)}I", *fat) + b"".join(directory) + b"".join(datas)
    return header + body


MSG_STREAMS = {"__substg1.0_0037001F": "Referral".encode("utf-16-le"),
               "__properties_version1.0": b"\0" * 32}


def encrypted_docx() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(docx_bytes())).encrypt("secret", out)
    return out.getvalue()


def image_bytes(fmt: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, fmt)
    return buffer.getvalue()


# --- tests ----------------------------------------------------------------------------------


def test_docx_by_content_whatever_the_name() -> None:
    data = docx_bytes()
    assert sniff(data) == s.DOCX
    assert sniff(data, "form.pdf") == s.DOCX


def test_docm_from_content_types() -> None:
    main = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    macro = b"application/vnd.ms-word.document.macroEnabled.main+xml"
    data = rewrite_member(docx_bytes(), "[Content_Types].xml", lambda x: x.replace(main, macro))
    assert sniff(data, "form.docx") == s.DOCM


@pytest.mark.parametrize(("part", "main_type", "expected"), [
    ("/xl/workbook.xml",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", s.XLSX),
    ("/ppt/presentation.xml",
     "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
     s.PPTX),
    ("/word/document.xml",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", s.DOTX),
])
def test_other_ooxml(part: str, main_type: str, expected: str) -> None:
    data = zip_bytes({"[Content_Types].xml": content_types(part, main_type),
                      part.lstrip("/"): b"<x/>"})
    assert sniff(data) == expected


def test_odt_from_mimetype_member() -> None:
    data = zip_bytes({"mimetype": s.ODT.encode(), "content.xml": b"<x/>"}, stored_first="mimetype")
    assert sniff(data, "form.docx") == s.ODT


def test_plain_and_broken_zip() -> None:
    assert sniff(zip_bytes({"a.txt": b"hello"})) == s.ZIP
    assert sniff(b"PK\x03\x04" + b"\x00" * 40) == s.ZIP


def test_zip_sniff_reads_only_the_directory() -> None:
    """A 16 MB member (a bomb, once inflated) is never inflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", b"\0" * (16 * 1024 * 1024),
                         zipfile.ZIP_DEFLATED, compresslevel=1)
    started = time.perf_counter()
    assert sniff(buffer.getvalue()) == s.ZIP
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("data", [pdf_bytes(), MINIMAL_PDF, b"\r\n\0junk" * 100 + MINIMAL_PDF])
def test_pdf(data: bytes) -> None:
    assert sniff(data, "form.docx") == s.PDF


def test_pdf_marker_must_be_near_the_start() -> None:
    assert sniff(b"x" * 2000 + MINIMAL_PDF) == s.TEXT


@pytest.mark.parametrize(("streams", "expected"), [
    ({"WordDocument": b"\xec\xa5", "1Table": b""}, s.DOC),
    (MSG_STREAMS, s.MSG),
    ({"Workbook": b""}, s.XLS),
    ({"EncryptionInfo": b"", "EncryptedPackage": b""}, s.ENCRYPTED_OOXML),
    ({"Contents": b""}, s.OLE),
])
def test_ole_kinds(streams: dict[str, bytes], expected: str) -> None:
    assert sniff(build_ole(streams), "form.docx") == expected


def test_really_encrypted_docx() -> None:
    assert sniff(encrypted_docx(), "form.docx") == s.ENCRYPTED_OOXML


@pytest.mark.parametrize("data", [
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 3000,
    build_ole({"WordDocument": b""})[:700],
])
def test_broken_ole_is_generic_ole(data: bytes) -> None:
    assert sniff(data) == s.OLE


@pytest.mark.parametrize(("fmt", "expected"), [
    ("PNG", s.PNG), ("JPEG", s.JPEG), ("TIFF", s.TIFF), ("GIF", s.GIF), ("BMP", s.BMP),
    ("WEBP", s.WEBP),
])
def test_images(fmt: str, expected: str) -> None:
    assert sniff(image_bytes(fmt), "letter.pdf") == expected


@pytest.mark.parametrize(("data", "name", "expected"), [
    (b"{\\rtf1\\ansi Referral}", None, s.RTF),
    (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", None, s.HTML),
    (b"\xef\xbb\xbf<html><p>Hi</p></html>", None, s.HTML),
    (b"<p>Hello</p>", "x.txt", s.HTML),
    (b"Hello, we moved to Leeds. <b>", None, s.TEXT),
    (b"Hello <b>there</b>", "note.html", s.HTML),
    ("Caf\u00e9 au lait \u2013 r\u00e9sum\u00e9\n".encode(), None, s.TEXT),
    ("Caf\u00e9 \u2013 \u00a3 letter\n".encode("cp1252"), None, s.TEXT),
    (b"BMW notes\n" * 5, None, s.TEXT),
    ("We have moved to Leeds.\r\n".encode("utf-16-le"), None, s.UNKNOWN),
    ("We have moved to Leeds.\r\n".encode("utf-16"), None, s.TEXT),
    (b"\x00\x01\x02\x03binary", None, s.UNKNOWN),
    (b"", "x.pdf", s.EMPTY),
])
def test_text_kinds(data: bytes, name: str | None, expected: str) -> None:
    assert sniff(data, name) == expected


@pytest.mark.parametrize("data", [
    b"From: School <office@school.example>\r\nTo: cme@council.example\r\nSubject: Referral\r\n"
    b"\r\nBody\r\n",
    b"Received: from mx.example by mx2.example; Tue, 3 Mar 2026 10:00:00 +0000\r\n"
    b"\tfor <cme@council.example>\r\nReturn-Path: <a@b.example>\r\nSubject: x\r\n\r\n",
    b"MIME-Version: 1.0\nContent-Type: text/plain\n\nhello\n",
    b"From office@school.example Tue Mar  3 10:00:00 2026\nFrom: a@b.example\nTo: c@d.example\n\n",
    b"X-Mailer: Outlook\r\nSubject: caf\xe9\r\n\r\nbody",
])
def test_rfc822(data: bytes) -> None:
    assert sniff(data) == s.EML


@pytest.mark.parametrize("data", [
    b"Re: tomorrow\nsee you at 9\n",
    b"Subject: just one header line\n\nthen text\n",
    b"Note: we moved\nthanks, the family\n",
])
def test_text_that_is_not_a_message(data: bytes) -> None:
    assert sniff(data) == s.TEXT


def test_filename_breaks_the_tie_for_a_thin_message() -> None:
    data = b"Subject: just one header line\n\nthen text\n"
    assert sniff(data, "Forwarded.EML") == s.EML
    assert sniff(b"\x00\x01binary", "x.eml") == s.UNKNOWN


def test_extensions_cover_every_type() -> None:
    assert ALL_TYPES <= set(s.EXTENSIONS)
    assert all(ext.startswith(".") for ext in s.EXTENSIONS.values())


def test_non_bytes_and_odd_inputs_do_not_raise() -> None:
    assert sniff(None) == s.EMPTY  # type: ignore[arg-type]
    assert sniff(bytearray(MINIMAL_PDF)) == s.PDF  # type: ignore[arg-type]
    assert sniff(memoryview(b"hello")) == s.TEXT  # type: ignore[arg-type]


PREFIXES = [b"", b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"%PDF-",
            b"{\\rtf", b"From: a\r\nTo: b\r\n", b"RIFF\0\0\0\0WEBP", b"BM", b"<html>"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), tail=st.binary(max_size=3000),
       name=st.none() | st.text(max_size=30))
def test_sniff_never_raises(prefix: bytes, tail: bytes, name: str | None) -> None:
    assert sniff(prefix + tail, name) in ALL_TYPES
