"""Properties of the email walker on hostile and random input.

Whatever the bytes, walk_message returns a WalkedMessage or raises MalformedMessage, and
what it returns is safe to store and show: UTF-8-encodable text, sanitised names, dense
indices, bounded problems.
"""

from __future__ import annotations

import re
import unicodedata
from email.message import EmailMessage

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from parsers.errors import MalformedMessage
from parsers.mail.walker import MAX_PROBLEMS, WalkedMessage, walk_message
from tests.test_sniff import MINIMAL_PDF

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HEADERS = (b"From: office@oakfield-primary.example\r\nTo: cme@council.example\r\n"
           b"Subject: Referral\r\nMIME-Version: 1.0\r\n")
TOKENS = [b"\r\n", b"\n", b"--XX", b"--XX--", b"\r\n\r\n", b"=?utf-8?q?", b"?=", b'"', b";",
          b"Content-Type: multipart/mixed; boundary=XX\r\n", b"Content-Type: message/rfc822\r\n",
          b"Content-Transfer-Encoding: base64\r\n", b"Content-Disposition: attachment; filename*=",
          b"filename*0*=utf-8''%C3", b"\xff\xfe", b"\x00", b"(", b"\\", b"cid:", b"<html>"]


def sample_message() -> bytes:
    inner = EmailMessage()
    inner["From"] = "parent@family.example"
    inner["Subject"] = "moved"
    inner.set_content("We moved.")
    inner.add_attachment(MINIMAL_PDF, maintype="application", subtype="pdf", filename="a.pdf")
    outer = EmailMessage()
    outer["From"] = "office@oakfield-primary.example"
    outer["Subject"] = "=?utf-8?q?R=C3=A9f=C3=A9rral?="
    outer.set_content("Form attached")
    outer.add_alternative("<p>Form <img src='cid:x@y'></p>", subtype="html")
    outer.add_attachment(MINIMAL_PDF, maintype="application", subtype="octet-stream",
                         filename="Référral form.docx")
    outer.add_attachment(inner)
    return outer.as_bytes()


SAMPLE = sample_message()


def check(raw: bytes) -> WalkedMessage | None:
    """Walk ``raw``; only MalformedMessage may escape, and the result must be well formed."""
    try:
        walked = walk_message(raw)
    except MalformedMessage as error:
        assert error.reason
        return None
    texts = [walked.from_, walked.to, walked.subject, walked.date, walked.message_id,
             walked.in_reply_to, walked.body_text, *walked.references, *walked.problems]
    for attachment in walked.attachments:
        texts += [attachment.filename, attachment.raw_filename, attachment.media_type]
        name = attachment.filename
        if name is not None:
            assert name and len(name) <= 200
            assert not re.search(r"[/\\\x00-\x1f\x7f]", name)
        assert 0 <= attachment.depth <= 3
        assert isinstance(attachment.content, bytes)
    for text in texts:
        if text is not None:
            text.encode("utf-8")  # no lone surrogates left over from raw 8-bit bytes
    assert [a.index for a in walked.attachments] == list(range(len(walked.attachments)))
    assert len(walked.attachments) <= 200
    assert len(walked.problems) <= MAX_PROBLEMS + 2
    return walked


@SETTINGS
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(raw: bytes) -> None:
    check(raw)


@SETTINGS
@given(st.binary(max_size=4000))
def test_valid_headers_then_arbitrary_bytes(tail: bytes) -> None:
    assert check(HEADERS + tail) is not None


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=40)), max_size=40))
def test_valid_headers_then_mime_like_noise(pieces: list[bytes]) -> None:
    body = b"".join(pieces)
    assert check(HEADERS + b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n" + body) \
        is not None


@SETTINGS
@given(cut=st.integers(min_value=0, max_value=len(SAMPLE)),
       insert=st.lists(st.tuples(st.integers(0, len(SAMPLE)), st.sampled_from(TOKENS)),
                       max_size=4))
def test_damaged_real_message(cut: int, insert: list[tuple[int, bytes]]) -> None:
    raw = bytearray(SAMPLE[:cut])
    for position, token in sorted(insert, reverse=True):
        raw[position:position] = token
    check(bytes(raw))


NAME_CHARS = st.characters(categories=["L", "N"]) | st.sampled_from(list(" -_()'&,"))


@settings(SETTINGS, max_examples=50)
@given(stem=st.text(NAME_CHARS, min_size=1, max_size=90))
def test_filenames_round_trip(stem: str) -> None:
    stem = unicodedata.normalize("NFC", re.sub(r"\s+", " ", stem).strip(" ."))
    assume(stem)
    name = stem + ".pdf"
    message = EmailMessage()
    message["From"] = "office@oakfield-primary.example"
    message.set_content("x")
    message.add_attachment(MINIMAL_PDF, maintype="application", subtype="pdf", filename=name)
    walked = check(message.as_bytes())
    assert walked is not None
    assert walked.attachments[0].filename == name
