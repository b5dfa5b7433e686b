"""Field accuracy of scans and phone photos on the held-out ``test`` split of invented
children (tests/fixtures/gen_photos.py), against the text PDF of the same records.

Protocol: ``dev`` is the tuning data (its misses may be read: ``python -m
tests.test_photo_accuracy dev [--media "photo PNG"] [--only t01]``); ``test`` is only
measured, and only its aggregate figures are ever printed (other children, other seeds,
desks the dev photos never show). The reader is never debugged on ``test``.

Per record, the same truth is read from its text PDF, a flatbed scan (image-only PDF), an
email of one JPEG per page photo, the same photos as PNG, and a scanner app's PDF of them.
A medium's figure is the share of the truth's filled fields read right, and its ratio to
the text PDF's share on the same records. The issue's target is 0.92 of fields and 0.95
of the text PDF: asserted per medium, as an xfail naming the measured value where the
reader does not reach it yet (``NOT_MET``), next to a floor just under what it reads
today, which fails on a regression.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest

from intake.core.pipeline import parse_document, parse_message
from parsers.documents import ReadLimits
from tests.fixtures import gen_photos
from tests.fixtures.scans import cases
from tests.services.base import require_binary

pytestmark = [pytest.mark.slow, pytest.mark.tesseract]
RECEIVED = date(2026, 11, 2)
LIMITS = ReadLimits(wall_seconds=900)  # accuracy, not speed: the machine may be busy
SEEDS = {"dev": 3, "test": 17}
TARGET = (0.92, 0.95)  # fields right, ratio to the text PDF (issue 11)
MEDIA = ("scanned PDF", "photo JPEG", "photo PNG", "scanner-app PDF")
# (fields, ratio) floors on the test split, just under the figures measured 2026-12-08 after
# an outdented "Details of the referral:" line stopped joining the tick option above it
# (scans 0.993, JPEG 0.986, PNG 0.993, scanner app 0.964; docs/benchmarks.md)
FLOORS = {"scanned PDF": (0.98, 0.98), "photo JPEG": (0.97, 0.97),
          "photo PNG": (0.98, 0.98), "scanner-app PDF": (0.95, 0.95)}
# medium -> the measured figures, while under the target (the xfail's reason); all met now
NOT_MET: dict[str, str] = {}


def _pdf(data: bytes) -> dict[str, Any]:
    return parse_document(data, filename="referral.pdf", received_on=RECEIVED,
                          limits=LIMITS).record


def _mail(data: bytes) -> dict[str, Any]:
    return parse_message(data, received_on=RECEIVED, limits=LIMITS).record


def _jobs(split: str, media: tuple[str, ...], only: str | None, seed: int
          ) -> list[tuple[str, cases.Referral, Callable[[], dict[str, Any]]]]:
    jobs: list[tuple[str, cases.Referral, Callable[[], dict[str, Any]]]] = []
    for referral in gen_photos.referrals(split):
        if only and referral.name != only:
            continue
        taken = gen_photos.shots(referral, seed, held_back=split == "test")
        readers: dict[str, Callable[[], dict[str, Any]]] = {
            "scanned PDF": lambda r=referral: _pdf(cases.scanned_pdf(r, seed=seed)),
            "photo JPEG": lambda r=referral, t=taken: _mail(
                gen_photos.photo_email(r, seed, kind="jpeg", taken=t)),
            "photo PNG": lambda r=referral, t=taken: _mail(
                gen_photos.photo_email(r, seed, kind="png", taken=t)),
            "scanner-app PDF": lambda t=taken: _pdf(gen_photos.app_pdf(t, seed)),
        }
        jobs += [(medium, referral, readers[medium]) for medium in media]
    return jobs


def measure(split: str, media: tuple[str, ...] = MEDIA, only: str | None = None,
            seed: int | None = None) -> dict[str, list[int]]:
    """medium -> [right, filled, right on the text PDF, filled], summed over the split.
    Misses are printed for ``dev`` only (which may also be shot with other seeds)."""
    jobs = _jobs(split, media, only, SEEDS[split] if seed is None else seed)
    with ThreadPoolExecutor(max_workers=2) as pool:
        records = list(pool.map(lambda job: job[2](), jobs))
    texts = {r.name: cases.field_accuracy(_pdf(cases.text_pdf(r)), r.truth)
             for r in {job[1].name: job[1] for job in jobs}.values()}
    totals: dict[str, list[int]] = {}
    for (medium, referral, _), record in zip(jobs, records, strict=True):
        right, filled, misses = cases.field_accuracy(record, referral.truth)
        text_right, text_filled, _ = texts[referral.name]
        row = totals.setdefault(medium, [0, 0, 0, 0])
        for n, value in enumerate((right, filled, text_right, text_filled)):
            row[n] += value
        if split == "dev":
            print(f"{referral.name} {medium}: {right}/{filled}; text PDF "
                  f"{text_right}/{text_filled}")
            for miss in misses:
                print(f"    {miss}")
    for medium, (right, filled, text_right, text_filled) in totals.items():
        print(f"{split} {medium}: fields {right}/{filled} = {right / filled:.3f}, text PDF "
              f"{text_right / text_filled:.3f}, ratio "
              f"{right / filled / (text_right / text_filled):.3f}")
    return totals


@pytest.fixture(scope="module")
def measured() -> dict[str, list[int]]:
    require_binary("tesseract", "tesseract-ocr")
    return measure("test")


def _figures(measured: dict[str, list[int]], medium: str) -> tuple[float, float]:
    right, filled, text_right, text_filled = measured[medium]
    share = right / filled
    return share, share / (text_right / text_filled)


@pytest.mark.parametrize("medium", MEDIA)
def test_no_regression_below_the_measured_floor(measured: dict[str, list[int]],
                                                medium: str) -> None:
    share, ratio = _figures(measured, medium)
    fields_floor, ratio_floor = FLOORS[medium]
    assert share >= fields_floor, f"{medium}: {share:.3f} of fields < floor {fields_floor}"
    assert ratio >= ratio_floor, f"{medium}: {ratio:.3f} of text PDF < floor {ratio_floor}"


@pytest.mark.parametrize("medium", [
    pytest.param(m, marks=pytest.mark.xfail(reason=NOT_MET[m], strict=False))
    if m in NOT_MET else m for m in MEDIA])
def test_scans_and_photos_read_nearly_as_well_as_the_text_pdf(
        measured: dict[str, list[int]], medium: str) -> None:
    share, ratio = _figures(measured, medium)
    assert share >= TARGET[0], f"{medium}: {share:.3f} of fields < target {TARGET[0]}"
    assert ratio >= TARGET[1], f"{medium}: {ratio:.3f} of text PDF < target {TARGET[1]}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="dev-split accuracy, misses printed")
    parser.add_argument("split", nargs="?", default="dev", choices=["dev"])
    parser.add_argument("--media", action="append", choices=MEDIA)
    parser.add_argument("--only", help="one referral of the split, e.g. t01")
    parser.add_argument("--seed", type=int, help=f"photograph with another seed than "
                        f"{SEEDS['dev']} (more tuning data; never the test split's)")
    args = parser.parse_args()
    if args.seed == SEEDS["test"]:
        parser.error("that is the test split's seed")
    measure(args.split, tuple(args.media or MEDIA), args.only, args.seed)
