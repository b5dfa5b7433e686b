"""OCR throughput: scanned-form pages per second, and where a page's time goes.

Draws invented referral forms (tests/fixtures/scans), scans them (turned, blurred,
speckled, 200 dpi) into an image-only PDF, and reads it with the full reader
(``read_scanned_pdf``: render, straighten, rules and tick boxes, Tesseract, layout). Then
times the stages of one page separately, and Tesseract alone on the same page, so the
overhead of the picture and layout work around Tesseract is visible.

    .venv/bin/python bench/ocr.py [--documents 2] [--workers 1]

``--workers 2`` reads documents in parallel (Tesseract uses one thread per page), which is
how a 2-core server with two mailboxes busy would run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parsers.documents import ReadLimits  # noqa: E402
from parsers.mapping.fieldmap import field_map  # noqa: E402
from parsers.ocr import layout as pic  # noqa: E402
from parsers.ocr import reader as ocr  # noqa: E402
from tests.fixtures.scans import cases, render  # noqa: E402


def stages(page: object) -> dict[str, float]:
    """Seconds per stage for one scanned page image."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    gray = pic.prepare(page)  # type: ignore[arg-type]
    times["prepare"] = time.perf_counter() - started
    mark = time.perf_counter()
    gray, _ = pic.straighten(gray)
    times["straighten"] = time.perf_counter() - mark
    mark = time.perf_counter()
    dark = pic.dark_mask(gray)
    horizontal, vertical = pic.rulings(dark, max(60, gray.width // 18))
    pic.tick_boxes(dark, ocr._stroke_height(dark))
    times["rules+boxes"] = time.perf_counter() - mark
    mark = time.perf_counter()
    ocr.tesseract_words(pic.despeckle(pic.erase(gray, horizontal, vertical, [])),
                        time.monotonic() + 300)
    times["tesseract"] = time.perf_counter() - mark
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    referrals = (cases.referrals() * 4)[: args.documents]
    scans = [cases.scanned_pdf(r, seed=n) for n, r in enumerate(referrals)]
    limits = ReadLimits(wall_seconds=3600)
    label = field_map().is_label

    def read(data: bytes) -> int:
        form = ocr.read_scanned_pdf(data, label, limits)
        return form.pages or 0

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        pages = sum(pool.map(read, scans))
    elapsed = time.perf_counter() - started
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{args.documents} scanned forms, {pages} pages at {render.DPI} dpi, "
          f"{args.workers} worker(s): {elapsed:.1f} s = {pages / elapsed:.2f} pages/s, "
          f"{elapsed / pages:.2f} s/page")
    page = render.scanned(cases.clean_pages(referrals[0])[0], 3)
    runs = [stages(page) for _ in range(2)]
    for name in runs[0]:
        print(f"  {name:<12} {statistics.median(r[name] for r in runs):6.2f} s")
    total = sum(statistics.median(r[name] for r in runs) for name in runs[0])
    print(f"  {'page total':<12} {total:6.2f} s (Tesseract "
          f"{statistics.median(r['tesseract'] for r in runs) / total:.0%})")


if __name__ == "__main__":
    main()
