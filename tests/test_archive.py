"""Zip attachments: members read as attachments, within limits (pitfalls §7)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from email.message import EmailMessage

import pytest

from intake.core.pipeline import parse_message
from parsers import sniff
from parsers.documents import ReadLimits
from parsers.errors import UnreadableDocument
from parsers.mail.archive import ArchiveLimits, expand_attachments, read_archive, zip_attachments
from parsers.mail.walker import Attachment
from tests.fixtures.gen_common import draw_standard
from tests.fixtures.gen_people import school_named
from tests.fixtures.gen_truth import base_truth
from tests.fixtures.hostile.outlook import MsgAttachment, OutlookMessage, build_msg

RECEIVED = date(2026, 11, 2)


def zipped(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def email_with_zip(data: bytes, name: str = "referral.zip") -> bytes:
    message = EmailMessage()
    message["From"] = "office@school.example.org"
    message["To"] = "cme@council.example.org"
    message["Subject"] = "CME referral (zipped)"
    message["Date"] = "Mon, 02 Nov 2026 09:00:00 +0000"
    message.set_content("The form and the family's letter are in the zip.\n")
    message.add_attachment(data, maintype="application", subtype="zip", filename=name)
    return message.as_bytes()


@pytest.fixture(scope="module")
def docx() -> bytes:
    return draw_standard(base_truth("z01", school_named("Kettlewick"))).data


def test_members_become_documents_one_level_deeper(docx: bytes) -> None:
    letter = b"Dear Sir,\nWe have moved to Spain.\nYours sincerely,\nA Parent\n"
    data = zipped({"forms/CME referral.docx": docx, "letter from mum.txt": letter,
                   "__MACOSX/._CME referral.docx": b"junk", "forms/": b""})
    parsed = parse_message(email_with_zip(data), received_on=RECEIVED)
    summary = [(d.filename, d.role, d.extraction, d.problem) for d in parsed.documents]
    assert summary == [("referral.zip", "other", "none", None),
                       ("CME referral.docx", "referral_form", "docx", None),
                       ("letter from mum.txt", "family_correspondence", "none", None)]
    assert parsed.record["pupil"]["surname"]
    assert parsed.record["family_correspondence"]["attached"] is True


def test_member_names_are_never_paths(docx: bytes) -> None:
    found = zip_attachments(zipped({"../../etc/CME form.docx": docx, "C:\\x\\y.pdf": b"%PDF"}),
                            depth=1)
    assert [a.filename for a in found] == ["CME form.docx", "y.pdf"]
    assert all(a.depth == 1 for a in found)


@pytest.mark.parametrize(("members", "caps", "reason"), [
    ({f"f{i}.txt": b"x" for i in range(120)}, ArchiveLimits(), "holds 120 files; the limit is 100"),
    ({"big.bin": b"\0" * (3 * 1024 * 1024)}, ArchiveLimits(max_total_mb=2), "expand to 3 MB"),
    ({"bomb.bin": b"\0" * (2 * 1024 * 1024)}, ArchiveLimits(), "compressed more than 100:1"),
])
def test_limits_give_specific_reasons(members: dict[str, bytes], caps: ArchiveLimits,
                                      reason: str) -> None:
    with pytest.raises(UnreadableDocument, match=reason):
        zip_attachments(zipped(members), depth=1, caps=caps)


def test_lying_central_directory_is_caught() -> None:
    data = bytearray(zipped({"a.txt": b"A" * 5000}, method=zipfile.ZIP_STORED))
    # The central directory says 50 bytes; the member really holds 5000.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (50).to_bytes(4, "little")
    with pytest.raises(UnreadableDocument, match="bigger than the archive says|damaged"):
        zip_attachments(bytes(data), depth=1)


def test_encrypted_zip_is_password_protected() -> None:
    data = bytearray(zipped({"form.docx": b"PK"}))
    for marker in (b"PK\x03\x04", b"PK\x01\x02"):
        at = data.find(marker)
        flags_at = at + (6 if marker == b"PK\x03\x04" else 8)
        data[flags_at] |= 0x1
    with pytest.raises(UnreadableDocument, match="password-protected"):
        read_archive(bytes(data), lambda text: False, ReadLimits())


def test_damaged_zip() -> None:
    with pytest.raises(UnreadableDocument, match="damaged or truncated"):
        read_archive(b"PK\x03\x04" + b"\0" * 40, lambda text: False, ReadLimits())


def test_containers_nest_to_the_depth_cap(docx: bytes) -> None:
    """zip > .msg > zip > form: each level one deeper; past the cap nothing more is opened."""
    inner_zip = zipped({"CME referral.docx": docx})
    msg = build_msg(OutlookMessage(attachments=[MsgAttachment("forms.zip", inner_zip)]))
    outer = zipped({"parent email.msg": msg})
    top = Attachment("all.zip", "all.zip", outer, sniff.ZIP, None, False, 0, 0)
    found = expand_attachments([top], ReadLimits())
    assert [(a.filename, a.depth) for a in found] == [
        ("all.zip", 0), ("parent email.msg", 1), ("forms.zip", 2), ("CME referral.docx", 3)]
    deeper = Attachment("all.zip", "all.zip", outer, sniff.ZIP, None, False, 1, 0)
    assert [a.filename for a in expand_attachments([deeper], ReadLimits())] == [
        "all.zip", "parent email.msg", "forms.zip"]


def test_zip_bomb_email_keeps_the_message_with_a_reason() -> None:
    bomb = zipped({"a.bin": b"\0" * (50 * 1024 * 1024)})
    parsed = parse_message(email_with_zip(bomb, "photos.zip"), received_on=RECEIVED)
    (document,) = parsed.documents
    assert "zip bomb" in (document.problem or "")
    assert "unreadable_document" in {f["code"] for f in parsed.record["flags"]}
