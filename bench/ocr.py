"""OCR time per page: our reader against bare Tesseract on the same page image, side by side.

For each page of an invented referral form (tests/fixtures/scans, tests/fixtures/gen_photos)
as a flatbed scan (200 dpi, turned, blurred, speckled) and as a phone photo (perspective,
desk, shadow, JPEG), one run times:

- **ours**: the whole page read (:func:`parsers.ocr.reader.read_one_page`: the sheet found
  and laid flat, light evened out, straightened, rules and tick boxes found, Tesseract,
  layout), one Tesseract thread;
- **bare**: ``tesseract page.png stdout`` (its default page segmentation, plain text) on the
  very image handed to our reader, one thread (``OMP_THREAD_LIMIT=1``);
- **bare, flat** (``--flat``): the same bare Tesseract on the page as our reader hands it to
  Tesseract (found, laid flat, straightened): on a photo bare Tesseract reads only part
  of the raw picture (the desk and perspective defeat its layout analysis), so it is
  quicker there than on the page it should read; this column shows that share.

Runs alternate (ours, bare, ours, bare ...) so a change in the machine's load hits both;
the median of ``--repeats`` is reported. Then the whole 3-page form as one document, ours
(pages two at a time) against bare Tesseract on its pages one after another.

    .venv/bin/python bench/ocr.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from parsers.documents import ReadLimits  # noqa: E402
from parsers.mapping.fieldmap import field_map  # noqa: E402
from parsers.ocr import reader as ocr  # noqa: E402
from tests.fixtures import gen_photos  # noqa: E402
from tests.fixtures.scans import cases, render  # noqa: E402


def bare(image: Image.Image) -> float:
    """Seconds for plain Tesseract on the image (PNG on stdin, text on stdout)."""
    png = io.BytesIO()
    image.save(png, "PNG")
    started = time.perf_counter()
    subprocess.run([shutil.which("tesseract") or "tesseract", "stdin", "stdout"],
                   input=png.getvalue(), capture_output=True, check=True,
                   env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return time.perf_counter() - started


def flat(image: Image.Image) -> Image.Image:
    """The page as our reader hands it to Tesseract (before rules are painted out)."""
    from parsers.ocr import layout

    return layout.straighten(layout.prepare(image))[0]


def ours(image: Image.Image) -> float:
    started = time.perf_counter()
    ocr.read_one_page(image, 1, None, field_map().is_label, time.monotonic() + 600)
    return time.perf_counter() - started


def pages() -> list[tuple[str, Image.Image]]:
    referral = cases.referrals()[0]
    clean = cases.clean_pages(referral)
    scans = [(f"scan p{n}", render.scanned(p, n)) for n, p in enumerate(clean, start=1)]
    photos = [(f"photo p{n}", Image.open(io.BytesIO(gen_photos.jpeg(shot, 1))))
              for n, (shot, _) in enumerate(gen_photos.shots(gen_photos.referrals("dev")[0], 1),
                                            start=1)]
    return scans + photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["scan", "photo"], help="one kind of page; no "
                        "whole-document run")
    parser.add_argument("--flat", action="store_true", help="also bare Tesseract on the "
                        "flattened page")
    args = parser.parse_args()
    field_map()  # loaded once, outside the timings
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"median of {args.repeats}, one Tesseract thread")
    print(f"{'page':<10} {'pixels':>11} {'ours s':>7} {'bare s':>7} {'ratio':>6}"
          + (f" {'flat s':>7} {'ratio':>6}" if args.flat else ""))
    totals = {"scan": [0.0, 0.0, 0.0], "photo": [0.0, 0.0, 0.0]}
    for name, image in pages():
        if args.only and not name.startswith(args.only):
            continue
        flattened = flat(image) if args.flat else None
        runs = [(ours(image), bare(image), bare(flattened) if flattened else 0.0)
                for _ in range(args.repeats)]
        row = [statistics.median(r[n] for r in runs) for n in range(3)]
        for n in range(3):
            totals[name.split()[0]][n] += row[n]
        print(f"{name:<10} {image.width:>5}x{image.height:<5} {row[0]:7.2f} {row[1]:7.2f} "
              f"{row[0] / row[1]:6.2f}" + (f" {row[2]:7.2f} {row[0] / row[2]:6.2f}"
                                             if args.flat else ""))
    for kind, (mine, theirs, flats) in totals.items():
        if theirs:
            print(f"{kind + 's':<10} {'per page':>11} {mine / 3:7.2f} {theirs / 3:7.2f} "
                  f"{mine / theirs:6.2f}" + (f" {flats / 3:7.2f} {mine / flats:6.2f}"
                                             if args.flat else ""))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    if args.only:
        return
    document = cases.scanned_pdf(cases.referrals()[0])
    started = time.perf_counter()
    form = ocr.read_scanned_pdf(document, field_map().is_label, ReadLimits(wall_seconds=3600))
    whole = time.perf_counter() - started
    sequential = sum(bare(render.scanned(p, n)) for n, p in
                     enumerate(cases.clean_pages(cases.referrals()[0]), start=1))
    print(f"3-page scanned PDF as one document: ours {whole:.2f} s ({form.pages} pages, "
          f"{ocr.OCR_THREADS} at a time) vs bare Tesseract page after page {sequential:.2f} s")


if __name__ == "__main__":
    main()
