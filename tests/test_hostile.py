"""The hostile corpus through the pipeline: each case ends with its specific reason.

Fast, in-process (and once through the isolated workers): every email of
tests/fixtures/hostile/generate.py is parsed by ``parse_message``; what each must end
with (a document problem, a flag, or MalformedMessage) is checked, and no message may take
longer than the per-document limit. The daemon against Dovecot with the same corpus is
tests/test_hostile_daemon.py. Last, a property: ``parse_message`` on arbitrary bytes raises
nothing but MalformedMessage.
"""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.errors import MalformedMessage
from intake.pipeline import ParsedMessage, parse_message
from parsers.documents import ReadLimits
from tests.fixtures.hostile.generate import Expect, HostileCase, _docx_sample, cases, email
from tests.test_email_walker_properties import TOKENS

RECEIVED = date(2026, 11, 2)
WALL_LIMIT = ReadLimits().wall_seconds
CASES = {case.name: case for case in cases()}
SLOW = {"fifty_mb_attachment"}


def outcome(parsed: ParsedMessage, expect: Expect) -> str:
    """The text in which the case's phrase must appear: its flag of ``expect.code``, and the
    problems of its documents."""
    flags = [f["message"] for f in parsed.record["flags"] if f["code"] == expect.code]
    assert flags, f"no {expect.code} flag: {[f['code'] for f in parsed.record['flags']]}"
    return "\n".join(flags + [d.problem or "" for d in parsed.documents])


def check_case(case: HostileCase, limits: ReadLimits) -> float:
    raw = case.build()
    started = time.monotonic()
    if case.expect.failed:
        with pytest.raises(MalformedMessage, match=case.expect.phrase):
            parse_message(raw, received_on=RECEIVED, limits=limits)
        return time.monotonic() - started
    parsed = parse_message(raw, received_on=RECEIVED, limits=limits)
    elapsed = time.monotonic() - started
    if case.expect.form:
        assert parsed.has_form and not any(d.problem for d in parsed.documents)
        return elapsed
    text = outcome(parsed, case.expect)
    assert re.search(case.expect.phrase, text), f"{case.name}: {text!r}"
    assert not parsed.has_form
    return elapsed


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in CASES])
def test_each_case_ends_with_its_reason(name: str) -> None:
    elapsed = check_case(CASES[name], ReadLimits())
    assert elapsed < WALL_LIMIT, f"{name} took {elapsed:.1f} s"


@pytest.mark.parametrize("name", ["billion_laughs_docx", "nested_tables_docx", "pdf_2000_pages",
                                  "truncated_pdf", "zero_bytes", "zip_bomb_docx"])
def test_reasons_survive_isolation(name: str) -> None:
    elapsed = check_case(CASES[name], ReadLimits(isolate=True))
    assert elapsed < WALL_LIMIT


def test_five_hundred_attachments_are_capped() -> None:
    parsed = parse_message(CASES["five_hundred_attachments"].build(), received_on=RECEIVED)
    assert len(parsed.documents) == 200  # the walker's attachment limit
    assert parsed.record["documents"][-1]["filename"] == "note 199.txt"


def test_javascript_is_never_run_and_the_pdf_is_kept() -> None:
    parsed = parse_message(CASES["pdf_javascript_embedded"].build(), received_on=RECEIVED)
    (document,) = parsed.documents
    assert document.problem is None and document.content.startswith(b"%PDF")
    assert document.role != "referral_form"


# No PDF in the sample: a PDF without text goes to OCR, which would make each example slow.
SAMPLE = email("CME referral", [("Référral form.docx", _docx_sample(), "application/octet-stream"),
                                ("letter.txt", b"Dear Sir, we moved.\n", "text/plain")])
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _parse_or_malformed(raw: bytes) -> None:
    try:
        parsed = parse_message(raw, received_on=RECEIVED)
    except MalformedMessage as error:
        assert error.reason
        return
    assert isinstance(parsed.record, dict)
    assert len(parsed.documents) == len(parsed.record["documents"])


@SETTINGS
@given(st.binary(max_size=4096))
def test_parse_message_on_arbitrary_bytes(raw: bytes) -> None:
    _parse_or_malformed(raw)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS) | st.binary(max_size=40), max_size=40),
       st.integers(min_value=0, max_value=len(SAMPLE)))
def test_parse_message_on_damaged_emails(pieces: list[bytes], at: int) -> None:
    """A real email with random MIME-ish debris spliced in, or cut short."""
    _parse_or_malformed(SAMPLE[:at] + b"".join(pieces) + SAMPLE[at:])
    _parse_or_malformed(SAMPLE[:at])


def test_a_portal_named_in_a_signature_is_not_a_notice() -> None:
    from parsers import secure_mail

    assert secure_mail.portal_of(subject="Re: CME", body="Thanks.\n-- \nWe use Egress.",
                                 sender=None, filenames=[]) is None
    raw = email("CME referral", [("form.docx", b"", "application/octet-stream")],
                body="Form attached. Sent securely with Egress: click here for our policy.")
    (document,) = parse_message(raw, received_on=RECEIVED).documents
    assert document.problem == "the file is empty (0 bytes)"
