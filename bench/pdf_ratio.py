"""How much dearer read_pdf is than the bare pdfplumber read it is built on.

Makes a realistic three-page CME referral form (a Word-style form saved as PDF: ruled
tables, tick boxes, headings, free-text boxes, an enquiry log) and times, on the same
bytes, (a) ``pdfplumber.open`` + ``extract_words()`` on every page and (b) ``read_pdf``.
Target: ratio <= 1.3 (CPU time; wall time is printed too). Run: ``.venv/bin/python bench/pdf_ratio.py [--repeat N]``.
Every person and place in the form is invented.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pdfplumber
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parsers.pdf.reader import read_pdf  # noqa: E402

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#E7E6E6")),
    ("FONTSIZE", (0, 0), (-1, -1), 9),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


def _tick_font() -> tuple[str, str, str]:
    if os.path.exists(DEJAVU):
        if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVu", DEJAVU))
        return "DejaVu", "☒", "☐"
    return "Helvetica", "[X]", "[ ]"


def _pairs(rows: list[tuple[str, str]]) -> Table:
    table = Table([list(row) for row in rows], colWidths=[170, 310])
    table.setStyle(_GRID)
    return table


def _quad(rows: list[tuple[str, str, str, str]]) -> Table:
    table = Table([list(row) for row in rows], colWidths=[95, 145, 95, 145])
    table.setStyle(TableStyle([*_GRID.getCommands(),
                               ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#E7E6E6"))]))
    return table


def make_form() -> bytes:
    """A three-page referral form, filled in, as Word would save it to PDF."""
    styles = getSampleStyleSheet()
    story = _pupil_page(styles) + _referral_page(styles) + _dsl_page(styles)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def _pupil_page(styles: Any) -> list[Any]:
    head = styles["Heading3"]
    siblings = Table([["Name", "Date of birth", "School attended"],
                      ["Sam Testperson", "12/01/2013", "Example Academy"],
                      ["Lee Testperson", "30/06/2019", "Example Infant School"]],
                     colWidths=[160, 120, 200])
    siblings.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                  ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E7E6E6")),
                                  ("FONTSIZE", (0, 0), (-1, -1), 9)]))
    return [
        Paragraph("CHILDREN MISSING EDUCATION REFERRAL FORM", styles["Heading1"]),
        Paragraph("PART 1 - PUPIL DETAILS", head),
        _pairs([
            ("Legal surname*", "Testperson"), ("Forename(s)*", "Alexa Jane"),
            ("Date of birth*", "03/09/2015"), ("Gender", "Female"), ("Year group", "Year 6"),
            ("UPN", "A123456789012"), ("Current address (include post code)*",
                                       "1 Example Road, Exampletown EX1 2AB"),
            ("Date last attended", "01/07/2026"), ("Ethnicity", "Prefer not to say"),
        ]),
        Spacer(1, 8), Paragraph("PARENTS / CARERS", head), _quad([
            ("Name", "Jo Testperson", "Relationship", "Mother"),
            ("Telephone", "07700 900123", "Email", "jo@example.org"),
            ("Name", "Chris Testperson", "Relationship", "Father"),
            ("Telephone", "07700 900456", "Email", "chris@example.org"),
        ]),
        Spacer(1, 8), Paragraph("SIBLINGS", head), siblings,
        Spacer(1, 8), Paragraph("SCHOOL DETAILS", head), _pairs([
            ("School name", "Example Primary School"), ("DfE number", "999/1234"),
            ("Name of person completing the form", "Pat Example"),
            ("Role", "Attendance officer"), ("Telephone", "0113 496 0000"),
            ("Email", "office@example-primary.example"),
        ]),
        PageBreak(),
    ]


def _referral_page(styles: Any) -> list[Any]:
    font, on, off = _tick_font()
    body, head = styles["BodyText"], styles["Heading3"]
    tick = body.clone("tick", fontName=font, fontSize=9)
    story: list[Any] = [Paragraph("REFERRAL GROUNDS (please tick all that apply)", head)]
    for ticked, text in [(True, "The child has left the country"),
                         (False, "Moved out of the area, whereabouts unknown"),
                         (False, "Moved to another LA but not confirmed on a school roll"),
                         (False, "Not returned 10 school days after authorised absence"),
                         (True, "Absent without authorisation for 20 consecutive school days")]:
        story.append(Paragraph(f"{on if ticked else off} {text}", tick))
    log = [["Date", "Action", "Person contacted", "Outcome"]]
    for day in range(2, 12):
        log.append([f"{day:02d}/07/2026", "Home visit" if day % 2 else "Telephone call",
                    "Neighbour at no. 3" if day % 2 else "Mother (mobile)",
                    "No answer; curtains closed" if day % 2 else "Number unobtainable"])
    grid = Table(log, colWidths=[70, 110, 130, 170])
    grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                              ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                              ("FONTSIZE", (0, 0), (-1, -1), 9)]))
    return story + [
        Spacer(1, 8), Paragraph("INFORMATION PROVIDED BY THE FAMILY", head),
        Paragraph("Information provided by the family:", body),
        Paragraph("The mother told the class teacher at the gate that the family were moving "
                  "abroad, possibly to Portugal, to live near relatives. No new address or "
                  "school was given. " * 3, body),
        Spacer(1, 8), Paragraph("ENQUIRIES MADE BEFORE REFERRAL", head), grid, PageBreak(),
    ]


def _dsl_page(styles: Any) -> list[Any]:
    font, on, off = _tick_font()
    head = styles["Heading3"]
    tick = styles["BodyText"].clone("tick", fontName=font, fontSize=9)
    return [
        Paragraph("PART 2 - TO BE COMPLETED BY THE DSL", head),
        Paragraph("Does the school have any safeguarding concerns about this child? "
                  f"Yes {off}   No {on}", tick),
        _pairs([("Details of concerns", "None known to the school. " * 4),
                ("DSL name", "Sam Example"), ("Role", "Deputy head teacher"),
                ("Signature", "S. Example"), ("Date", "12/07/2026")]),
        Spacer(1, 8), Paragraph("PART 3 - FOR LOCAL AUTHORITY USE", head),
        _pairs([("AIO allocated", ""), ("Date allocated", ""), ("Notes", "")]),
    ]


def bare(content: bytes) -> int:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return sum(len(page.extract_words()) for page in pdf.pages)


def timed(content: bytes, repeat: int) -> dict[str, tuple[float, float]]:
    """Median CPU and wall times of the bare read and of read_pdf, run alternately.

    CPU time (``process_time``) is the figure to judge: wall time on a shared machine
    mostly measures the other processes.
    """
    samples: dict[str, tuple[list[float], list[float]]] = {"bare": ([], []), "read": ([], [])}
    for _ in range(repeat):
        for name, func in (("bare", bare), ("read", read_pdf)):
            cpu, wall = time.process_time(), time.perf_counter()
            func(content)
            samples[name][0].append(time.process_time() - cpu)
            samples[name][1].append(time.perf_counter() - wall)
    return {name: (statistics.median(c), statistics.median(w)) for name, (c, w) in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    content = make_form()
    form = read_pdf(content)
    print(f"form: {len(content)} bytes, {form.pages} pages, {len(form.entries)} entries, "
          f"{len(form.grids)} grids, extraction={form.extraction}")
    bare(content)  # warm imports and caches alike
    times = timed(content, args.repeat)
    (base_cpu, base_wall), (read_cpu, read_wall) = times["bare"], times["read"]
    print(f"median of {args.repeat}            CPU ms   wall ms")
    print(f"pdfplumber + extract_words  {base_cpu * 1000:7.1f}  {base_wall * 1000:8.1f}")
    print(f"read_pdf                    {read_cpu * 1000:7.1f}  {read_wall * 1000:8.1f}")
    print(f"ratio (CPU): {read_cpu / base_cpu:.2f}   ratio (wall): {read_wall / base_wall:.2f}"
          "   target <= 1.3")


if __name__ == "__main__":
    main()
