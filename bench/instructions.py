"""Ours against the bare library in CPU instructions, which machine load does not change.

    .venv/bin/python bench/instructions.py pdf     # needs valgrind (Debian: valgrind)
    .venv/bin/python bench/instructions.py docx

Times on a shared machine swing by a third from run to run; instructions executed do not.
For each side (``ours``: the full ``parse_document``; ``bare``: python-docx reading every
paragraph and cell, or pdfplumber extracting every page's words, exactly as in
``bench/parse.py``) a child process is run under ``valgrind --tool=cachegrind`` twice: once
importing and parsing the corpus once (warm-up), once doing that and then one more pass.
The difference is one warm pass; divided by the corpus size it is instructions per form.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def child(kind: str, side: str, passes: int) -> None:
    sys.path[:0] = [str(REPO), str(BENCH)]
    import parse as bench_parse

    files = bench_parse.corpus(kind)
    if side == "ours":
        from intake.core.pipeline import parse_document

        def one(name: str, content: bytes) -> object:
            return parse_document(content, filename=name)
    else:
        bare = bench_parse.bare_docx if kind == "docx" else bench_parse.bare_pdf

        def one(name: str, content: bytes) -> object:
            return bare(content)
    for _ in range(1 + passes):
        for name, content in files:
            one(name, content)
    print(len(files))


def instructions(kind: str, side: str, passes: int) -> tuple[int, int]:
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
               "--cachegrind-out-file=/dev/null", sys.executable, str(Path(__file__).resolve()),
               "--child", kind, side, str(passes)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", "")), int(done.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("docx", "pdf"))
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)")
        return 2
    jobs = [(side, passes) for side in ("ours", "bare") for passes in (0, 1)]
    with ThreadPoolExecutor(2) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: instructions(args.kind, *job), jobs),
                          strict=True))
    per_form = {}
    for side in ("ours", "bare"):
        (warm, files), (more, _) = counts[(side, 0)], counts[(side, 1)]
        per_form[side] = (more - warm) / files
        print(f"{args.kind} {side}: {per_form[side] / 1e6:.1f} M instructions per form "
              f"({files} forms, one warm pass)")
    print(f"{args.kind} ratio ours / bare (instructions): {per_form['ours'] / per_form['bare']:.2f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(main())
