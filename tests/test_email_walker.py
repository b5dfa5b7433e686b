"""The email walker on the shapes schools' mail clients really send (pitfalls §1, §7).

Emails are built here with EmailMessage or, where the exact header bytes matter, by hand.
All people and schools are invented.
"""

from __future__ import annotations

import base64
import time
from email.message import EmailMessage

import pytest

from parsers import sniff as s
from parsers.errors import MalformedMessage
from parsers.mail.walker import Attachment, looks_like_family_correspondence, walk_message
from tests.test_sniff import MINIMAL_PDF, MSG_STREAMS, build_ole, docx_bytes

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def docx() -> bytes:
    return docx_bytes("CME referral form for Ava Example")


def school_email(subject: str = "CME referral") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Office <office@oakfield-primary.example>"
    message["To"] = "cme@council.example"
    message["Subject"] = subject
    message["Date"] = "Tue, 03 Mar 2026 10:15:00 +0000"
    message["Message-ID"] = "<ref-1@oakfield-primary.example>"
    return message


def hand_made(*parts: bytes, headers: bytes = b"") -> bytes:
    """A multipart/mixed message whose part headers are exactly the given bytes."""
    head = (b"From: office@oakfield-primary.example\r\nTo: cme@council.example\r\n"
            b"Subject: Referral\r\nMIME-Version: 1.0\r\n" + headers
            + b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n")
    body = b"".join(b"--XX\r\n" + part + b"\r\n" for part in parts)
    return head + body + b"--XX--\r\n"


def pdf_part(disposition: bytes) -> bytes:
    encoded = base64.encodebytes(MINIMAL_PDF)
    return (b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            + disposition + b"\r\n\r\n" + encoded)


# --- headers ----------------------------------------------------------------------------


def test_headers_are_decoded() -> None:
    message = school_email("=?utf-8?q?R=C3=A9f=C3=A9rral_for_Zo=C3=AB?=")
    message["In-Reply-To"] = "<q-9@council.example>"
    message["References"] = "<q-8@council.example> <q-9@council.example>"
    message.set_content("Please find the form attached.")
    walked = walk_message(message.as_bytes())
    assert walked.from_ == "Office <office@oakfield-primary.example>"
    assert walked.to == "cme@council.example"
    assert walked.subject == "Référral for Zoë"
    assert walked.date == "2026-03-03T10:15:00+00:00"
    assert walked.message_id == "ref-1@oakfield-primary.example"
    assert walked.in_reply_to == "q-9@council.example"
    assert walked.references == ["q-8@council.example", "q-9@council.example"]
    assert walked.body_text == "Please find the form attached."
    assert walked.attachments == [] and walked.problems == []


@pytest.mark.parametrize(("raw_date", "expected"), [
    ("Tue, 3 Mar 2026 10:15:00 +0100", "2026-03-03T10:15:00+01:00"),
    ("3 Mar 2026 10:15 -0000", "2026-03-03T10:15:00+00:00"),
    (None, None),
])
def test_dates(raw_date: str | None, expected: str | None) -> None:
    message = EmailMessage()
    message["From"] = "a@b.example"
    if raw_date:
        message["Date"] = raw_date
    assert walk_message(message.as_bytes()).date == expected


def test_folded_and_odd_id_headers() -> None:
    raw = (b"From: a@b.example\r\nMessage-ID: \r\n <x.1@b.example> (comment)\r\n"
           b"References: <r1@b.example>\r\n\t<r2@b.example>\r\nIn-Reply-To: bare-id@b.example\r\n"
           b"\r\nhi\r\n")
    walked = walk_message(raw)
    assert walked.message_id == "x.1@b.example"
    assert walked.references == ["r1@b.example", "r2@b.example"]
    assert walked.in_reply_to == "bare-id@b.example"


def test_bad_date_is_a_problem_not_an_error() -> None:
    raw = b"From: a@b.example\r\nDate: the third of March\r\n\r\nhi\r\n"
    walked = walk_message(raw)
    assert walked.date is None
    assert "header Date could not be parsed" in walked.problems


def test_non_utf8_header_bytes() -> None:
    raw = (b"From: M\xe9lanie Example <m@family.example>\r\n"
           b"Subject: Caf\xc3\xa9 \xff\xfe r\xe9sum\xe9\r\nTo: cme@council.example\r\n\r\nhi\r\n")
    walked = walk_message(raw)
    assert walked.from_ == "Mélanie Example <m@family.example>"
    assert walked.subject is not None and walked.subject.startswith("Caf")
    assert "\udcff" not in walked.subject and walked.subject.encode("utf-8")


def test_eight_megabyte_header_line() -> None:
    for name in (b"Subject", b"X-Junk", b"Content-Disposition", b"To"):
        raw = (b"From: a@b.example\r\n" + name + b": " + b"a(\"=?; " * (8 * 1024 * 1024 // 7)
               + b"\r\n\r\nbody\r\n")
        started = time.process_time()  # CPU time: machine load does not count
        walked = walk_message(raw)
        assert time.process_time() - started < 2.0, name
        assert any("characters long" in p for p in walked.problems)


# --- filenames --------------------------------------------------------------------------


@pytest.mark.parametrize(("disposition", "expected"), [
    (b"attachment; filename*=utf-8''R%C3%A9f%C3%A9rral%20form.pdf", "Référral form.pdf"),
    (b"attachment;\r\n filename*0*=utf-8''Referral%20form%20-%20;\r\n filename*1*=Zo%C3%AB.pdf",
     "Referral form - Zoë.pdf"),
    (b'attachment; filename="=?utf-8?B?UsOpZsOpcnJhbCBmb3JtLnBkZg==?="', "Référral form.pdf"),
    (b'attachment; filename="=?iso-8859-1?Q?Lettre_de_M=E8re.pdf?="', "Lettre de Mère.pdf"),
    (b'attachment; filename="../../etc/pa\x01ss\xe2\x80\xaewd.pdf"', "_.._etc_passwd.pdf"),
    (b'attachment; filename="Lettre de M\xe8re.pdf"', "Lettre de Mère.pdf"),
    (b"attachment; filename=Letter from parent.pdf; size=120", "Letter from parent.pdf"),
    (b"attachment; filename*=iso-8859-1''M%E8re.pdf", "Mère.pdf"),
])
def test_encoded_filenames(disposition: bytes, expected: str) -> None:
    walked = walk_message(hand_made(pdf_part(b"Content-Disposition: " + disposition)))
    [attachment] = walked.attachments
    assert attachment.filename == expected
    assert attachment.raw_filename
    assert attachment.media_type == s.PDF and attachment.content == MINIMAL_PDF


def test_raw_filename_is_kept_for_the_record() -> None:
    part = pdf_part(b"Content-Disposition: attachment;\r\n filename*0*=utf-8''R%C3%A9f;\r\n"
                    b" filename*1*=.pdf")
    [attachment] = walk_message(hand_made(part)).attachments
    assert attachment.filename == "Réf.pdf"
    assert attachment.raw_filename == "filename*0*=utf-8''R%C3%A9f; filename*1*=.pdf"
    part = pdf_part(b'Content-Disposition: attachment; filename="=?utf-8?q?a=C3=A9.pdf?="')
    [attachment] = walk_message(hand_made(part)).attachments
    assert attachment.raw_filename == "=?utf-8?q?a=C3=A9.pdf?="


def test_name_parameter_of_content_type_is_the_fallback() -> None:
    part = (b'Content-Type: application/pdf; name="=?utf-8?q?Lettre_M=C3=A8re.pdf?="\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(MINIMAL_PDF))
    [attachment] = walk_message(hand_made(part)).attachments
    assert attachment.filename == "Lettre Mère.pdf"
    assert attachment.inline is True and attachment.declared_type == "application/pdf"


def test_long_continued_filename_goes_through_the_compat32_fallback() -> None:
    stem = "Référral form for a pupil who left in September " * 4
    encoded = "".join(f"%{b:02X}" for b in f"{stem}.pdf".encode())
    pieces = [encoded[i:i + 60] for i in range(0, len(encoded), 60)]
    params = ";\r\n".join(f" filename*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}{p}"
                          for i, p in enumerate(pieces))
    part = pdf_part(b"Content-Disposition: attachment;\r\n" + params.encode())
    [attachment] = walk_message(hand_made(part)).attachments
    assert attachment.filename is not None and len(attachment.filename) <= 200
    assert attachment.filename.startswith("Référral form") and attachment.filename.endswith(".pdf")


def test_display_filename_is_sanitised() -> None:
    long_name = "x" * 500 + ".docx"
    part = pdf_part(f'Content-Disposition: attachment; filename="C:\\\\a\\\\{long_name}"'.encode())
    [attachment] = walk_message(hand_made(part)).attachments
    name = attachment.filename
    assert name is not None and len(name) == 200 and name.endswith(".docx")
    assert not set("/\\:") & set(name)


# --- parts kept and parts skipped -------------------------------------------------------


def test_apple_mail_inline_pdf_is_kept(docx: bytes) -> None:
    message = school_email()
    message.set_content("Hello,\nthe form is below.")
    message.add_attachment(MINIMAL_PDF, maintype="application", subtype="pdf",
                           filename="Referral.pdf", disposition="inline")
    message.add_attachment("Kind regards,\nOffice", disposition="inline")
    walked = walk_message(message.as_bytes())
    [attachment] = walked.attachments
    assert attachment.inline is True and attachment.media_type == s.PDF
    assert attachment.filename == "Referral.pdf" and attachment.depth == 0
    assert "the form is below." in walked.body_text and "Kind regards" in walked.body_text


def test_part_without_disposition_is_kept(docx: bytes) -> None:
    part = (b"Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml"
            b".document\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(docx))
    body = b"Content-Type: text/plain; charset=utf-8\r\n\r\nForm attached."
    walked = walk_message(hand_made(body, part))
    [attachment] = walked.attachments
    assert attachment.media_type == s.DOCX and attachment.inline is True
    assert attachment.filename is None and attachment.content == docx
    assert walked.body_text == "Form attached."


def test_wrong_declared_type_is_overruled_by_content() -> None:
    message = school_email()
    message.set_content("see attached")
    message.add_attachment(MINIMAL_PDF, maintype="application", subtype="octet-stream",
                           filename="form.docx")
    [attachment] = walk_message(message.as_bytes()).attachments
    assert attachment.media_type == s.PDF
    assert attachment.declared_type == "application/octet-stream"
    assert attachment.filename == "form.docx"


def test_html_only_body() -> None:
    message = school_email()
    message.set_content(
        "<html><head><title>t</title><style>p{color:red}</style>"
        "<script>alert('x')</script></head><body><p>Dear team,</p><p>Ava&nbsp;has "
        "left &amp; gone.<br>Thanks</p><!-- hidden --></body></html>", subtype="html")
    walked = walk_message(message.as_bytes())
    assert walked.body_text == "Dear team,\nAva has left & gone.\nThanks"


def test_cid_image_skipped_other_inline_image_kept() -> None:
    message = school_email()
    message.set_content("Form attached")
    message.add_alternative('<p>Form attached <img src="cid:logo@school"></p>', subtype="html")
    html = message.get_payload()[1]
    html.add_related(PNG, maintype="image", subtype="png", cid="<logo@school>")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="letter-photo.png",
                           disposition="inline")
    walked = walk_message(message.as_bytes())
    assert [a.filename for a in walked.attachments] == ["letter-photo.png"]
    assert walked.body_text == "Form attached"


def test_outlook_msg_is_left_as_an_attachment() -> None:
    message = school_email()
    message.set_content("forwarding the parent's email")
    message.add_attachment(build_ole(MSG_STREAMS), maintype="application",
                           subtype="vnd.ms-outlook", filename="From Mum.msg")
    [attachment] = walk_message(message.as_bytes()).attachments
    assert attachment.media_type == s.MSG and attachment.depth == 0


# --- forwarded and attached messages ----------------------------------------------------


def parent_email(docx: bytes) -> EmailMessage:
    inner = EmailMessage()
    inner["From"] = "Parent <parent@family.example>"
    inner["To"] = "office@oakfield-primary.example"
    inner["Subject"] = "We have moved"
    inner.set_content("We have moved to Spain. Form attached.")
    inner.add_attachment(docx, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1],
                         filename="new-school.docx")
    return inner


def test_forwarded_message_with_docx_inside(docx: bytes) -> None:
    message = school_email()
    message.set_content("Forwarding the family's email.")
    message.add_attachment(parent_email(docx))
    walked = walk_message(message.as_bytes())
    forwarded, inner_docx = walked.attachments
    assert forwarded.media_type == s.EML and forwarded.declared_type == "message/rfc822"
    assert forwarded.depth == 0 and forwarded.index == 0
    assert b"We have moved" in forwarded.content
    assert inner_docx.media_type == s.DOCX and inner_docx.depth == 1 and inner_docx.index == 1
    assert inner_docx.filename == "new-school.docx" and inner_docx.content == docx
    assert walked.body_text == "Forwarding the family's email."
    assert "Spain" not in walked.body_text


def test_attached_eml_file_is_opened(docx: bytes) -> None:
    message = school_email()
    message.set_content("See the parent's email.")
    message.add_attachment(parent_email(docx).as_bytes(), maintype="application",
                           subtype="octet-stream", filename="from parent.eml")
    walked = walk_message(message.as_bytes())
    eml, inner_docx = walked.attachments
    assert eml.media_type == s.EML and eml.declared_type == "application/octet-stream"
    assert inner_docx.media_type == s.DOCX and inner_docx.depth == 1


def test_base64_encoded_message_rfc822_is_opened(docx: bytes) -> None:
    encoded = base64.encodebytes(parent_email(docx).as_bytes())
    part = (b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n" + encoded)
    walked = walk_message(hand_made(part))
    assert [(a.media_type, a.depth) for a in walked.attachments] == [(s.EML, 0), (s.DOCX, 1)]
    assert walked.attachments[1].content == docx


def test_nesting_stops_at_max_depth(docx: bytes) -> None:
    message = parent_email(docx)
    for level in range(5):
        outer = school_email(f"Fwd {level}")
        outer.set_content("fwd")
        outer.add_attachment(message)
        message = outer
    walked = walk_message(message.as_bytes(), max_depth=3)
    assert [a.depth for a in walked.attachments] == [0, 1, 2, 3]
    assert all(a.media_type == s.EML for a in walked.attachments)
    assert any("nested more than 3 levels" in p for p in walked.problems)
    deep = walk_message(message.as_bytes(), max_depth=10)
    assert deep.attachments[-1].media_type == s.DOCX and deep.attachments[-1].depth == 5


# --- limits and damage ------------------------------------------------------------------


def test_attachment_limit() -> None:
    parts = [b"Content-Type: application/pdf\r\nContent-Disposition: attachment; "
             b"filename=\"part%d.pdf\"\r\n\r\n%%PDF-1.4 %d" % (number, number)
             for number in range(500)]
    raw = hand_made(b"Content-Type: text/plain\r\n\r\n500 attachments", *parts)
    started = time.perf_counter()
    walked = walk_message(raw)
    assert time.perf_counter() - started < 5.0
    assert len(walked.attachments) == 200
    assert [a.index for a in walked.attachments] == list(range(200))
    assert walked.attachments[-1].filename == "part199.pdf"
    assert "attachment limit of 200 reached; 300 more parts not read" in walked.problems


def nested_multiparts(levels: int, tail: bytes = b"") -> bytes:
    return (b"From: a@b.example\r\n"
            + b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
                       for i in range(levels))
            + b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n" + tail)


def test_moderate_nesting_is_walked() -> None:
    walked = walk_message(nested_multiparts(30))
    assert [a.media_type for a in walked.attachments] == [s.PDF]
    assert any("truncated" in p for p in walked.problems)


@pytest.mark.parametrize("raw", [
    nested_multiparts(3000),
    nested_multiparts(40, b"x\r\n" * 60_000),
    b"From: a@b.example\r\n\r\n" + b"\n" * 8_000_000,
    b"From: a@b.example\r\n\r\n" + b"\r" * 8_000_000,
], ids=["3000-levels", "40-levels-60k-lines", "8M-LF", "8M-CR"])
def test_input_too_costly_for_the_line_parser_is_refused_fast(raw: bytes) -> None:
    """The stdlib parser spends ~6 µs a line plus ~2 µs a line per enclosing multipart."""
    started = time.process_time()  # CPU time: machine load does not count
    with pytest.raises(MalformedMessage, match="safely"):
        walk_message(raw)
    assert time.process_time() - started < 2.0


def test_large_legitimate_message_is_not_refused() -> None:
    """4 MB of attachments (55,000 base64 lines), one inside a forwarded email."""
    big = MINIMAL_PDF + bytes(range(256)) * (2 * 4096)
    inner = school_email("Fwd: scans")
    inner.set_content("scans")
    inner.add_attachment(big, maintype="application", subtype="pdf", filename="scan.pdf")
    message = school_email()
    message.set_content("two scans")
    message.add_attachment(big, maintype="application", subtype="pdf", filename="scan2.pdf")
    message.add_attachment(inner)
    walked = walk_message(message.as_bytes())
    assert [a.content == big for a in walked.attachments] == [True, False, True]
    assert walked.problems == []


def test_truncated_message(docx: bytes) -> None:
    message = school_email()
    message.set_content("form attached")
    message.add_attachment(docx, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename="a.docx")
    message.add_attachment(docx, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename="b.docx")
    raw = message.as_bytes()
    for cut in (len(raw) // 2, len(raw) - 300, len(raw) - 7, 400):
        walked = walk_message(raw[:cut])
        assert walked.subject == "CME referral"
    walked = walk_message(raw[: len(raw) - 300])
    assert walked.attachments[0].media_type == s.DOCX
    assert walked.problems


def test_failed_transfer_encoding_keeps_raw_bytes() -> None:
    part = (b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=x.pdf\r\n\r\nJVBERi0xLjQK\r\nA\r\n")
    walked = walk_message(hand_made(part))
    [attachment] = walked.attachments
    assert attachment.content.startswith(b"JVBERi0xLjQK")
    assert "attachment 0: transfer encoding base64 failed; raw bytes kept" in walked.problems


@pytest.mark.parametrize("encoding", [b"BASE64", b"base64 ", b" base64 (by Outlook)", b'"base64"'])
def test_sloppy_transfer_encoding_values_still_decode(encoding: bytes) -> None:
    part = (b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: " + encoding
            + b"\r\n\r\n" + base64.encodebytes(MINIMAL_PDF))
    walked = walk_message(hand_made(part))
    assert walked.attachments[0].content == MINIMAL_PDF and walked.problems == []


def test_unknown_transfer_encoding_keeps_raw_bytes() -> None:
    part = (b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: x-gzip64\r\n"
            b"\r\n" + MINIMAL_PDF)
    walked = walk_message(hand_made(part))
    assert walked.attachments[0].media_type == s.PDF
    assert any("unknown transfer encoding" in p for p in walked.problems)


def test_unknown_charset_body() -> None:
    raw = (b"From: a@b.example\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n"
           b"Caf\xc3\xa9\r\n")
    walked = walk_message(raw)
    assert walked.body_text == "Café"
    assert any("unknown charset" in p for p in walked.problems)


def test_missing_boundary_is_a_problem() -> None:
    raw = (b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=nope\r\n\r\n"
           b"just text\r\n")
    walked = walk_message(raw)
    assert walked.attachments == []
    assert any("boundary not found" in p for p in walked.problems)


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "empty"),
    (b"\r\n \r\n", "empty"),
    (MINIMAL_PDF, "not an email"),
    (b"Dear school, we have moved.\nRegards", "not an email"),
    (b"Note: just a note\n\nhello", "not an email"),
])
def test_not_an_email(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedMessage) as caught:
        walk_message(raw)
    assert reason in caught.value.reason


def test_not_bytes() -> None:
    with pytest.raises(MalformedMessage):
        walk_message("From: a@b.example\n\nhi")  # type: ignore[arg-type]


# --- family correspondence hint ---------------------------------------------------------


def attachment(filename: str | None, media_type: str = s.PDF, depth: int = 0) -> Attachment:
    return Attachment(filename=filename, raw_filename=filename, content=b"", media_type=media_type,
                      declared_type=None, inline=False, depth=depth, index=0)


@pytest.mark.parametrize(("att", "text", "expected"), [
    (attachment(None, s.EML), "", True),
    (attachment("fwd.msg", s.MSG), "", True),
    (attachment("Letter_from-Mum.pdf"), "", True),
    (attachment("parent correspondence.docx", s.DOCX), "", True),
    (attachment("Email from parent.pdf"), "", True),
    (attachment("scan001.pdf"), "Dear Mrs Head,\nWe are moving to Leeds.", True),
    (attachment("scan001.pdf"), "From: A Parent\nSent: 3 March\nTo: office", True),
    (attachment("scan.jpg", s.JPEG), "Note from the mother: we have left.", True),
    (attachment("CME referral form.docx", s.DOCX),
     "Does the school hold letters/emails from the family? Yes", False),
    (attachment("newsletter.pdf"), "", False),
    (attachment("referral.pdf", depth=1), "", False),
])
def test_family_correspondence_hint(att: Attachment, text: str, expected: bool) -> None:
    assert looks_like_family_correspondence(att, text=text) is expected


def test_email_walker_still_exports_every_public_name() -> None:
    """Other parsers import these from parsers.mail.walker after its split."""
    import parsers.mail.walker as walker

    names = {
        "CORRESPONDENCE_NAME_WORDS", "CORRESPONDENCE_TEXT_PHRASES", "FAMILY_SENDERS",
        "MAX_FILENAME_CHARS", "MAX_HEADER_CHARS", "MAX_LINES", "MAX_PARAM_HEADER_CHARS",
        "MAX_PARSE_WORK", "MAX_PROBLEMS", "PARAM_PARSE_BUDGET", "PARAM_PARSE_CHARS",
        "Attachment", "WalkedMessage", "html_to_text", "looks_like_family_correspondence",
        "normalise_words", "walk_message",
    }
    assert names <= set(walker.__all__)
    assert all(hasattr(walker, name) for name in names)


def test_split_readers_report_problems_through_note() -> None:
    """mail_text and mail_headers never raise: problems reach the caller's ``note``."""
    from email.message import Message

    from parsers.mail.headers import header_date
    from parsers.mail.text import part_content

    part = Message()
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload("abcde")
    problems: list[str] = []
    assert part_content(part, "attachment 0", problems.append) == b"abcde"
    dated = Message()
    dated["Date"] = "not a date"
    assert header_date(dated, problems.append) is None
    assert problems == [
        "attachment 0: transfer encoding base64 failed; raw bytes kept",
        "header Date could not be parsed",
    ]
