"""Parse throughput, memory and the ratio to the bare libraries, per format.

For each format, a realistic referral form (built by bench/docx_ratio.py and
bench/pdf_ratio.py, invented people) plus every golden fixture of that format is parsed
in-process by the full pipeline (``parse_document``: sniff, read, map, rules, risk rules)
and by the bare library alone:

* DOCX: python-docx opening the file and reading every paragraph and table cell's text;
* PDF: pdfplumber opening the file and extracting every page's words.

Rounds alternate ours/bare so machine load hits both alike; the ratio is of medians.
Then ``cme-intake parse form.docx --json`` is timed as a whole process.

    .venv/bin/python bench/parse.py [--rounds 30] [--quick]

Targets (issue 2): DOCX ratio <= 2.0 and >= 50 forms/s; PDF ratio <= 1.3; whole process
<= 1.5 s.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from intake.core.pipeline import parse_document  # noqa: E402

GOLDEN = ROOT / "tests" / "fixtures" / "golden"


def bare_docx(content: bytes) -> int:
    from docx import Document

    document = Document(io.BytesIO(content))
    total = 0

    def tables(items) -> None:  # type: ignore[no-untyped-def]
        nonlocal total
        for table in items:
            for row in table.rows:
                for cell in row.cells:
                    total += len(cell.text)
                    tables(cell.tables)

    for paragraph in document.paragraphs:
        total += len(paragraph.text)
    tables(document.tables)
    return total


def bare_pdf(content: bytes) -> int:
    import pdfplumber

    total = 0
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            total += len(page.extract_words())
            page.close()
    return total


def corpus(kind: str) -> list[tuple[str, bytes]]:
    if kind == "docx":
        from docx_ratio import build_form

        items = [("bench-form.docx", build_form())]
    else:
        from pdf_ratio import make_form

        items = [("bench-form.pdf", make_form())]
    items += [(p.name, p.read_bytes()) for p in sorted(GOLDEN.glob(f"*.{kind}"))]
    return items


def timed(call: Callable[[], object]) -> float:
    """CPU seconds of this process: other work on a shared machine does not count."""
    start = time.process_time()
    call()
    return time.process_time() - start


def measure(kind: str, rounds: int) -> dict[str, float]:
    files = corpus(kind)
    bare = bare_docx if kind == "docx" else bare_pdf
    for name, content in files:  # warm up: imports, spaCy, caches
        parse_document(content, filename=name)
        bare(content)
    ours_t, bare_t = [], []
    for _ in range(rounds):
        ours_t.append(sum(timed(lambda c=c, n=n: parse_document(c, filename=n)) for n, c in files))
        bare_t.append(sum(timed(lambda c=c: bare(c)) for _, c in files))
    gc.collect()
    tracemalloc.start()
    for name, content in files:
        parse_document(content, filename=name)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ours, base = statistics.median(ours_t), statistics.median(bare_t)
    return {"files": len(files), "per_second": len(files) / ours, "ours_ms": 1000 * ours / len(files),
            "bare_ms": 1000 * base / len(files), "ratio": ours / base, "peak_mb": peak / 2**20}


def whole_process(content: bytes, runs: int) -> tuple[float, float]:
    """Median wall and CPU (user+system of the child) seconds of `cme-intake parse F --json`."""
    exe = Path(sys.executable).with_name("cme-intake")
    with tempfile.TemporaryDirectory() as folder:
        form = Path(folder) / "form.docx"
        form.write_bytes(content)
        walls, cpus = [], []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([str(exe), "parse", str(form), "--json"], check=True,
                           stdout=subprocess.DEVNULL, env=dict(os.environ))
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="5 rounds, 3 process runs")
    args = parser.parse_args()
    rounds = 5 if args.quick else args.rounds
    print("| format | files | forms/s (1 core, CPU) | ours CPU ms/form | bare CPU ms/form | ratio | peak MB (tracemalloc) |")
    print("|---|---|---|---|---|---|---|")
    for kind in ("docx", "pdf"):
        r = measure(kind, rounds)
        print(f"| {kind} | {r['files']} | {r['per_second']:.1f} | {r['ours_ms']:.1f} | {r['bare_ms']:.1f} "
              f"| {r['ratio']:.2f} | {r['peak_mb']:.1f} |")
    from docx_ratio import build_form

    runs = 3 if args.quick else 7
    plain = (GOLDEN / "d01_two_col_complete.docx").read_bytes()
    print("\n| `cme-intake parse form.docx --json` (whole process) | wall s | CPU s |")
    print("|---|---|---|")
    for name, content in (("form whose free text names no risk indicator", plain),
                          ("form with \"no concerns of neglect\" (spaCy loaded)", build_form())):
        wall, cpu = whole_process(content, runs)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"benchmark process max RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
