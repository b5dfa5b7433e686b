"""Referrals typed as letters (no labels), read by the letter rules (parsers/letter/).

The letters here are written by hand in wordings the corpus generator does not use, and
all the people are invented.
"""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest

from intake.core.pipeline import parse_document, parse_message
from parsers.letter.reader import enquiry_label, looks_like_referral_letter, read_letter
from parsers.letter.sentences import name_at, sentences

RECEIVED = date(2026, 11, 20)

LETTER_A = """Brookfield Primary School
Dear CME Team,
Re: Tomasz Jan WIŚNIEWSKI, date of birth 14/03/2016, UPN U383100200301
I am writing to refer the above boy as a child missing education. He is on roll at Brookfield Primary School (DfE number 383/2101), a local authority maintained school.
His last known address is 9 Quarry Row, Leeds, LS6 2QQ.
He last attended school on 3 October 2026.
The reason for referral is: the family are believed to have left the country.
His father is Marek Wiśniewski, who can be reached on 07700 900456 and emailed at marek.w@example.org.
When we visited, a neighbour said the family had returned to Poland in late September.
Before referring, the school completed these enquiries: home visit made; neighbours spoken to; all known contacts telephoned. The following were not done: copies of flight information requested.
We have not received any letters or emails from the family.
He remains on the school roll.
Safeguarding: no safeguarding concerns are known. This section was completed by our Designated Safeguarding Lead, Mrs Harriet Okafor, dated 6 October 2026.
Yours sincerely,
Daniel Achterberg
Headteacher
Please contact Sunita Rao (Attendance Lead) on 0113 496 0777 or by email at s.rao@brookfield.example.sch.uk with any questions.
"""

# Another house's way of saying the same things.
LETTER_B = """Dear Colleague
Referral to the Children Missing Education team
We would like to make a referral regarding our pupil Amara Joy OKONKWO-van der MERWE (DOB 2 May 2014), who is a pupil at St Aidan's CE Academy.
Amara last came to school on 15/09/2026 and has not been seen since.
Her mum, Grace Okonkwo, can be contacted on 07700 900222.
We were told by her aunt that the family moved to Manchester over the summer.
The reasons for this referral are: moved to another local authority; absent for 20 school days without authorisation.
Kind regards,
Peter Lindqvist
Attendance Officer
"""

FAMILY_LETTER = """Dear Mrs Rao,
I am writing to tell you that we have moved to Gdansk for my husband's work. Tomasz will go to a school there from January.
Please take him off the school roll.
Yours faithfully,
Marek Wisniewski
"""


def _docx(text: str) -> bytes:
    document = docx.Document()
    for line in text.strip().splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_sentences_keep_titles_and_initials_whole() -> None:
    assert sentences("Contact Mrs. Khan today. It was agreed by J. Oduya. Done.") == [
        "Contact Mrs. Khan today.", "It was agreed by J. Oduya.", "Done."]
    assert name_at("Shabana van der Berg, who") == "Shabana van der Berg"
    assert name_at("The family") is None


def test_a_referral_letter_is_read_into_the_record() -> None:
    parsed = parse_document(_docx(LETTER_A), filename="referral.docx", mailbox="cme",
                            received_on=RECEIVED)
    record = parsed.record
    assert record["documents"][0]["role"] == "referral_form"
    pupil = record["pupil"]
    assert (pupil["forenames"], pupil["surname"]) == ("Tomasz Jan", "Wiśniewski")
    assert pupil["date_of_birth"] == "2016-03-14" and pupil["upn"] == "U383100200301"
    assert pupil["gender"] == "male" and pupil["address"]["postcode"] == "LS6 2QQ"
    assert record["school"]["name"] == "Brookfield Primary School"
    assert record["school"]["type"] == "maintained"
    assert record["school"]["contact"]["email"] == "s.rao@brookfield.example.sch.uk"
    assert record["attendance"]["last_attended"] == "2026-10-03"
    assert record["referral"]["grounds"] == ["left_country"]
    parent = record["parents"][0]
    assert (parent["name"], parent["relationship"], parent["phone"]) == (
        "Marek Wiśniewski", "Father", "07700900456")
    enquiries = record["enquiries"]
    assert enquiries["home_visit"]["done"] is True and enquiries["neighbours"]["done"] is True
    assert enquiries["flight_information"]["done"] is False
    assert record["family_correspondence"]["held"] is False
    assert record["roll"]["removed"] is False
    assert record["safeguarding"]["dsl"]["name"] == "Mrs Harriet Okafor"
    assert record["safeguarding"]["dsl"]["date"] == "2026-10-06"
    assert record["part1_completed_by"]["name"] == "Daniel Achterberg"
    assert "returned to Poland" in record["family_information"]["text"]
    codes = {f["code"] for f in record["flags"]}
    assert "no_referral_form" not in codes


def test_another_wording_of_a_letter() -> None:
    entries = read_letter(LETTER_B)
    assert entries is not None
    found = {e.label: e.value for e in entries}
    assert found["Date of birth"] == "2 May 2014"
    assert found["Date last attended"] == "15/09/2026"
    assert found["Parent 1 name"] == "Grace Okonkwo" and found["Parent 1 telephone"] == "07700900222"
    assert "moved to Manchester" in found["Information provided by the family"]
    parsed = parse_document(_docx(LETTER_B), filename="letter.docx", received_on=RECEIVED)
    assert set(parsed.record["referral"]["grounds"]) == {"moved_not_on_roll",
                                                         "unauthorised_absence_20_days"}
    assert parsed.record["part1_completed_by"]["name"] == "Peter Lindqvist"


def test_a_letter_from_the_family_stays_family_correspondence() -> None:
    assert not looks_like_referral_letter(FAMILY_LETTER)
    assert read_letter(FAMILY_LETTER) is None
    parsed = parse_document(_docx(FAMILY_LETTER), filename="letter from dad.docx",
                            received_on=RECEIVED)
    assert parsed.record["documents"][0]["role"] == "family_correspondence"


def test_a_letter_in_the_email_body_is_the_referral() -> None:
    raw = ("From: attendance@brookfield.example.sch.uk\r\nTo: cme@council.example.gov.uk\r\n"
           "Subject: CME referral\r\nDate: Fri, 20 Nov 2026 09:00:00 +0000\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n" + LETTER_A.replace("\n", "\r\n"))
    parsed = parse_message(raw.encode("utf-8"), mailbox="cme", received_on=RECEIVED)
    assert parsed.record["pupil"]["upn"] == "U383100200301"
    assert parsed.record["documents"][0]["extraction"] == "email_body"


@pytest.mark.parametrize(("item", "label"), [
    ("enquired about the destination school", "new school check"),
    ("visit to the home address", "visit to the home address"),
    ("baked a cake", "baked a cake"),
])
def test_items_of_an_enquiry_list_are_enquiries(item: str, label: str) -> None:
    assert enquiry_label(item) == label


def test_an_enquiry_list_that_mentions_email_is_no_correspondence() -> None:
    from parsers.letter.facts import correspondence

    said: list[tuple[str, str]] = []
    correspondence("Before referring, the school completed these enquiries: forwarding address "
                   "sought from family; asked carers to confirm current phone and email.",
                   lambda label, value: said.append((label, value)))
    assert said == []
    correspondence("We have not received any letters or emails from the family.",
                   lambda label, value: said.append((label, value)))
    assert said == [("Correspondence from the family", "No")]
