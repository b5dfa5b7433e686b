"""Generality: the parser scored as a black box on forms written without reading it.

The corpus (tests/fixtures/generality/) is rebuilt from seeds on every run. Floors sit just
below the figures measured when they were set (docs/generality.md); raise them as the parser
improves. The test split is never debugged form by form: only its aggregates are printed.
tuning2 is the first test split, retired into tuning data on 2026-12-08; tuning3 (pool F
wording) was added as tuning data the same day.
"""

from __future__ import annotations

import email
import email.policy

import pytest

from tests.fixtures.generality import score as S
from tests.fixtures.generality.corpus import (
    HELD_BACK_FAMILIES,
    SPLITS,
    TUNING3_POOL,
    generate,
    plan,
)
from tests.fixtures.generality.people import upn_check_letter
from tests.fixtures.generality.wording import HELD_BACK_POOL

# Measured 2026-12-07 on main (tuning 59.3 / 71.6 / 23.6 %, 140 of 163 complete forms given a
# blocking flag; test 49.2 / 68.9 / 16.0 %, 101 of 109). See docs/generality.md.
FLOORS = {
    # Raised 2026-12-07 after the reading work (measured: tuning 72.0 / 80.9 / 33.9 %,
    # test 56.6 / 72.8 / 20.0 %); raised again in the next session (tuning 79.2 / 82.8 / 46.1 %,
    # test 63.0 / 74.5 / 24.6 %), and after the third session (tuning 94.8 / 94.8 / 72.0 %,
    # test 81.1 / 90.6 / 39.5 %). The target for the test split is 0.98 / 0.99 / 0.97.
    # Raised at the end of the 2026-12-08 session (measured, PYTHONHASHSEED any:
    # tuning 97.3 / 96.4 / 82.3 %, 10 of 163; tuning2 96.2 / 95.0 / 79.4 %, 8 of 109;
    # tuning3 95.4 / 93.8 / 73.9 %, 14 of 109; test 78.4 / 89.2 / 38.3 %, 61 of 133).
    "tuning": {"field_accuracy": 0.96, "flag_recall": 0.95, "flag_precision": 0.80},
    # The first test split, retired into tuning data on 2026-12-08 (measured then:
    # 81.1 / 90.9 / 39.6 %, 68 of 109).
    "tuning2": {"field_accuracy": 0.95, "flag_recall": 0.93, "flag_precision": 0.77},
    # The new test split (held-back pool E, qa_paragraphs, pdf_boxes), first measured in
    # aggregate on 2026-12-08 at 68.4 / 85.1 / 25.9 %, 89 of 133.
    "test": {"field_accuracy": 0.76, "flag_recall": 0.87, "flag_precision": 0.36},
    # Tuning3 (pool F wording, every family but the held-back two), first measured on
    # 2026-12-08 at 82.9 / 87.1 / 45.1 %, 80 of 109.
    "tuning3": {"field_accuracy": 0.93, "flag_recall": 0.92, "flag_precision": 0.71},
}
# Most complete forms (no blocking flag in truth) allowed to come back with a blocking flag.
# Measured 10 of 163 (tuning), 8 of 109 (tuning2), 61 of 133 (test), 14 of 109 (tuning3).
MAX_COMPLETE_BLOCKED = {"tuning": 13, "tuning2": 11, "test": 65, "tuning3": 18}


@pytest.mark.parametrize("split", ["tuning", "tuning2", "test", "tuning3"])
def test_generality_floors(split: str) -> None:
    scores = S.score_split(split)
    print("\n" + S.report(scores))  # aggregates only, for both splits
    total = scores.total
    for metric, floor in FLOORS[split].items():
        value = getattr(total, metric)
        assert value >= floor, f"{split}: {metric} {value:.1%} fell below the floor {floor:.0%}"
    assert total.complete_blocked <= MAX_COMPLETE_BLOCKED[split], (
        f"{split}: {total.complete_blocked} of {total.complete} complete forms got a "
        f"blocking flag (allowed {MAX_COMPLETE_BLOCKED[split]})")


def test_split_rule_holds_back_a_pool_and_two_families() -> None:
    plans = {split: plan(split) for split in SPLITS}
    seeds = {split: {s for s, _, _ in entries} for split, entries in plans.items()}
    for a in SPLITS:
        for b in SPLITS:
            assert a == b or not seeds[a] & seeds[b], f"{a} and {b} share a seed"
    for split in ("tuning", "tuning2", "tuning3"):
        assert all(f not in HELD_BACK_FAMILIES and p != HELD_BACK_POOL
                   for _, f, p in plans[split]), f"{split} uses held-back wording or layout"
    assert all(f != "label_over" and p in "ABC" for _, f, p in plans["tuning"])
    assert all(p == TUNING3_POOL for _, _, p in plans["tuning3"])
    assert TUNING3_POOL not in {p for split in SPLITS if split != "tuning3"
                                for _, _, p in plans[split]}
    test = plans["test"]
    assert sum(f in HELD_BACK_FAMILIES for _, f, _ in test) >= len(test) // 6
    assert all(sum(f == fam for _, f, _ in test) >= len(test) // 12 for fam in HELD_BACK_FAMILIES)
    assert sum(p == HELD_BACK_POOL for _, _, p in test) >= len(test) // 3


def test_upn_check_letter_matches_a_published_example() -> None:
    # python-stdnum's documented valid UPN (stdnum.gb.upn): B801200005001.
    assert upn_check_letter("801200005001") == "B"
    body = "383123412345"
    letter = upn_check_letter(body)
    assert len(letter + body) == 13
    assert upn_check_letter("383123412346") != letter


def test_test_split_refuses_per_form_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert S.main(["--split", "test", "--verbose"]) == 2
    assert "aggregate only" in capsys.readouterr().err


def test_truth_flag_codes_are_the_schema_codes(record_schema: dict) -> None:
    codes = set(record_schema["properties"]["flags"]["items"]["properties"]["code"]["enum"])
    forms = [generate(seed, family, pool) for seed, family, pool in plan("tuning")[:24]]
    assert {code for f in forms for code, _ in f.truth.flags} <= codes
    assert sum(f.truth.complete for f in forms) >= len(forms) // 2


def test_a_form_is_the_same_every_time_it_is_drawn() -> None:
    for seed, family, pool in plan("tuning")[:12]:
        first, again = generate(seed, family, pool), generate(seed, family, pool)
        assert (first.truth.fields, first.truth.flags) == (again.truth.fields, again.truth.flags)
        if first.kind == "pdf":
            assert first.payload == again.payload


def test_a_test_split_form_is_the_same_every_time_it_is_drawn() -> None:
    """Held-back families included: nothing is printed, only truth and bytes compared."""
    entries = plan("test")
    sample = [e for e in entries if e[1] in HELD_BACK_FAMILIES][:4] + entries[:6]
    pdfs = 0
    for seed, family, pool in sample:
        first, again = generate(seed, family, pool), generate(seed, family, pool)
        assert (first.truth.fields, first.truth.flags) == (again.truth.fields, again.truth.flags)
        assert _pdfs(first) == _pdfs(again)
        pdfs += len(_pdfs(first))
    assert pdfs


def _pdfs(form) -> list[bytes]:
    """The PDF bytes of a form, bare or attached to its email (MIME boundaries vary)."""
    if form.kind == "pdf":
        return [form.payload]
    if form.kind != "eml":
        return []
    message = email.message_from_bytes(form.payload, policy=email.policy.default)
    return [part.get_payload(decode=True) for part in message.walk()
            if part.get_content_type() == "application/pdf"]
