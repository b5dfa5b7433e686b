"""Reading the printed lines of a PDF page (outside ruled tables) as form entries.

What a Word form's paragraphs said survives only as lines of words at positions. This
reader walks them in order and rebuilds "Label: value" (several on a line too), a label
with its value across a column gap or on the lines below, a value that wraps, tick options
and their question, and bold or larger lines as section headings. Ruled tables met on the
way go to :func:`parsers.layout.table.table_to_entries`, so that their rows are read by the
same rules as Word tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from parsers.entries import Entry, Grid
from parsers.layout.table import Cell, clean_label, section_heading, table_to_entries
from parsers.layout.text import strip_instructions
from parsers.pdf.checklist import ChecklistLines
from parsers.pdf.draft import Draft
from parsers.pdf.geometry import LineOptions, Token, line_options, segments, separator
from parsers.pdf.tables import (
    HeldTable,
    RuledTable,
    carry_on,
    column_edges,
    name_fields,
    row_fields,
    same_columns,
)

KnownLabel = Callable[[str], bool]

_COLON = re.compile(r"^(?P<label>[^:]{1,80}?)\s*[:：]\s*(?P<value>.*)$")
_LATER_COLON = re.compile(r"(?<=[^\s\d]):(?:\s|$)")
_NOT_LABEL = re.compile(r"(?:https?$|\bwww\b)", re.IGNORECASE)


def _text(tokens: list[Token]) -> str:
    return " ".join(tok.shown() for tok in tokens).strip()


_OPEN_ENDS = frozenset("the of from and to for with in on by or a an any your their".split())


class LineReader(ChecklistLines):
    """Walks a page's lines and tables in reading order, keeping the section and question."""

    def __init__(self, page_no: int, section: str | None, known_label: KnownLabel,
                 body: float, right: float) -> None:
        self.page_no = page_no
        self.right = right
        self.tail: tuple[Draft, list[Token]] | None = None  # last option and its line
        self.section = section
        self.known_label = known_label
        self.body = body
        self.drafts: list[Draft] = []
        self.entries: list[Entry] = []
        self.grids: list[Grid] = []
        self.question: tuple[str, float] | None = None
        self.last: Draft | None = None
        self.headings: list[tuple[float, str]] = []
        self.caption: str | None = None  # a heading line with nothing under it yet
        self.bold_keys = False  # the page is a summary list: bold keys beside regular answers

    def finish(self) -> None:
        self.entries.extend(
            Entry(d.label, d.value.strip(), d.locator, d.section, d.checked, d.confidence)
            for d in self.drafts if d.value.strip() or not d.from_heading
        )
        self.drafts = []

    def table_block(self, table: RuledTable, rows: list[list[Cell]], table_no: int,
                    held: HeldTable | None, *, first: bool, last: bool) -> HeldTable | None:
        """Read a table, joined to the held one when it carries it on; hold it if it ends
        the page. Returns what is held now."""
        fields = row_fields(table)
        if held is not None and first and same_columns(held.edges,
                                                       column_edges(table, last=False)):
            held = carry_on(held, rows, fields)
        else:
            self.release(held)
            where = f"page {self.page_no}, table {table_no}"
            held = HeldTable(rows, fields, where, column_edges(table, last=True), self.caption)
        self.caption = None
        held.edges = column_edges(table, last=True)
        if last:
            return held
        self.release(held)
        return None

    def release(self, held: HeldTable | None) -> None:
        if held is not None:
            self.table(held.rows, held.where, -1.0, held.fields, held.caption)

    def table(self, rows: list[list[Cell]], where: str, top: float,
              fields: list[list[tuple[str, str]]], caption: str | None = None) -> None:
        self.finish()
        before = self.section
        entries, grids, self.section = table_to_entries(
            rows, locator=where, section=self.section,
            known_label=self.known_label, merge_duplicates=False, caption=caption,
        )
        self.entries.extend(name_fields(entry, where, fields) for entry in entries)
        self.grids.extend(grids)
        self.question = self.last = None
        if self.section and self.section != before:
            self.headings.append((top, self.section))

    def is_label(self, text: str) -> bool:
        text = text.strip()
        if not text or len(text) > 80:
            return False
        return text.endswith((":", "*", "?")) or bool(self.known_label(clean_label(text)))

    def add(self, label: str, value: str, where: str, line: list[Token], **extra: object) -> Draft:
        draft = Draft(clean_label(label), value, where, self.section, bottom=line[-1].bottom,
                       size=max(tok.size for tok in line), line_x1=line[-1].x1,
                       label_bold=line[0].bold and not line[-1].bold,
                       **extra)  # type: ignore[arg-type]
        self.drafts.append(draft)
        self.last = draft
        return draft

    def line(self, tokens: list[Token], number: int) -> None:
        live = [tok for tok in tokens if not tok.consumed]
        where = f"page {self.page_no}, line {number}"
        self.caption = None
        if not live:
            self.question = self.last = None
            return
        parsed = line_options(live)
        if parsed is not None:
            self.options_line(live, parsed, where)
            return
        if self.item_detail(live, where):
            if self.question:  # the checklist's question carries on to the next item
                self.question = (self.question[0], live[-1].bottom)
            return
        self.item = None
        text = _text(live)
        if self.option_wraps(live, text):
            return
        self.tail = None
        if self.key_wraps(live, text) or self.pair_wraps(live):
            return
        if self.heading(live, text):
            self.section = self.caption = text
            self.headings.append((live[0].top, text))
            self.question = (text, live[-1].bottom)
            self.last = None
            if self.known_label(clean_label(text)):
                self.add(text, "", where, live, open_below=True, from_heading=True)
            return
        if _COLON.match(text) is None and self.continues(live, text):
            return
        if not self.labelled(live, where):
            self.question = (text, live[-1].bottom) if len(text) <= 200 else None
            self.last = None

    def options_line(self, live: list[Token], parsed: LineOptions, where: str) -> None:
        prefix = _text(parsed.prefix)
        label = prefix
        if not label and self.last is not None and self.last.open_below and not self.last.value:
            label = self.last.label
            self.drafts.remove(self.last)
        elif not label and self.question and live[0].top - self.question[1] < 3 * self.body:
            label = self.question[0]
        if self.checklist_item(live, parsed, label, where):
            self.tail = self.last = None
            self.question = (clean_label(label), live[-1].bottom) if label else None
            return
        for option, checked in parsed.options:
            self.tail = (self.add(label, option, where, live, checked=checked), live)
        rest = _text(parsed.rest)
        if rest:
            self.add(label, rest, where, live)
            self.tail = None
        if label:
            self.question = (clean_label(label), live[-1].bottom)
        self.last = None

    def heading(self, live: list[Token], text: str) -> bool:
        words = [tok for tok in live if tok.tick is None]
        if not words or len(words) > 15 or len(segments(live)) > 1 or text.endswith(":"):
            return False
        if section_heading(text, strict=True) and not self.known_label(clean_label(text)):
            return True
        if _COLON.match(text) or not any(ch.isalpha() for ch in text):
            return False
        return all(tok.bold for tok in words) or min(t.size for t in words) >= self.body + 1.5

    def labelled(self, live: list[Token], where: str) -> bool:
        """Emit the label/value pairs of one line; False when the line holds none."""
        parts = segments(live)
        found = False
        pos = 0
        while pos < len(parts):
            text = _text(parts[pos])
            match = _COLON.match(text)
            if match and pos == 0 and len(parts) == 2 and _bold_over_regular(parts[0], parts[1]):
                match = None  # "Parent/carer 1: Name" in bold beside its answer: one key
            if match and len(parts) == 1 and all(tok.bold for tok in live) and self.bold_keys:
                self.add(text, "", where, live)  # a summary's key left unanswered
                return True
            if match and match["value"] and len(parts) == 1 and not strip_instructions(
                    match["value"]).strip():  # "Written to the school? (delete as appropriate)"
                self.add(match["label"], "", where, live, open_below=True)
                return True
            if match and match["value"] and not _not_label(match, text):
                pairs = self.split_pairs(match["label"], match["value"])
                for label, value in pairs:
                    self.add(label, value, where, live,
                             value_x0=_value_x0(parts[pos], match["label"]))
                if len(pairs) > 1:
                    self.last = None
                found, pos = True, pos + 1
                continue
            nxt = _text(parts[pos + 1]) if pos + 1 < len(parts) else None
            key = pos == 0 and len(parts) == 2 and _bold_over_regular(parts[0], parts[1])
            self.bold_keys = self.bold_keys or key
            if nxt is not None and (key or (self.is_label(text) and not self.is_label(nxt))):
                if not _COLON.match(nxt):
                    self.add(text, nxt, where, live, value_x0=parts[pos + 1][0].x0)
                    found, pos = True, pos + 2
                    continue
            if len(parts) == 1 and (text.endswith(":") or (self.is_label(text) and
                                                           len(text.split()) <= 8)):
                self.add(text, "", where, live, open_below=True)
                return True
            pos += 1
        return found

    def split_pairs(self, label: str, value: str) -> list[tuple[str, str]]:
        """ "Surname: Doe Forename: Ann" on one line: split where a known label and colon
        start again (the longest known label of up to five words before the colon)."""
        for colon in _LATER_COLON.finditer(value):
            words = value[: colon.start()].split()
            for size in range(min(5, len(words) - 1), 0, -1):
                candidate = " ".join(words[-size:])
                if self.known_label(clean_label(candidate)):
                    head = " ".join(words[:-size])
                    rest = value[colon.end():].strip()
                    return [(label, head), *self.split_pairs(candidate, rest)]
        return [(label, value)]

    def option_wraps(self, live: list[Token], text: str) -> bool:
        """A plain line that carries on the caption of the option above it."""
        if self.tail is None:
            return False
        draft, above = self.tail
        if live[0].top - draft.bottom > 0.9 * draft.size or separator(above, live,
                                                                     self.right) != " ":
            return False
        caption = next((tok for tok in above if tok.tick is None), above[0])
        if live[0].x0 < caption.x0 - 0.5 * draft.size and (
                live[0].x0 < above[0].x0 - 0.5 * draft.size or _COLON.match(text)):
            return False  # "Details of the referral: ..." set out left of the option's box
        draft.value = f"{draft.value} {text}"
        draft.bottom = live[-1].bottom
        self.tail = (draft, live)
        return True

    def key_wraps(self, live: list[Token], text: str) -> bool:
        """A bold key too long for its column goes on under itself, left of its answer
        ("Parent/carer 1: Name of" / "parent/carer with parental" / "responsibility")."""
        last = self.last
        if last is None or not last.label_bold or not last.value or last.value_x0 is None:
            return False
        if not all(tok.bold for tok in live) or live[-1].x1 >= last.value_x0:
            return False
        if live[0].top - last.bottom > 1.6 * last.size or _COLON.match(text) or self.known_label(
                clean_label(text)):
            return False
        last.label = clean_label(f"{last.label} {text}")
        last.bottom = live[-1].bottom
        return True

    def pair_wraps(self, live: list[Token]) -> bool:
        """A bold key and its answer both wrapped: the next line carries on the key in its
        column and the answer in its own ("Details of any information from the" / "family")."""
        last = self.last
        parts = segments(live)
        if last is None or not last.label_bold or not last.value or last.value_x0 is None \
                or len(parts) != 2 or live[0].top - last.bottom > 1.6 * last.size:
            return False
        key, answer = parts
        key_text = _text(key)
        if not all(tok.bold for tok in key) or key[-1].x1 >= last.value_x0 or any(
                tok.bold for tok in answer) or abs(answer[0].x0 - last.value_x0) > 1.5 * last.size:
            return False
        if _COLON.match(key_text) or self.known_label(clean_label(key_text)):
            return False
        ends_open = last.label.split()[-1].lower() in _OPEN_ENDS if last.label.split() else False
        joined = clean_label(f"{last.label} {key_text}")
        if last.label.rstrip().endswith("?") or not (ends_open or (
                key_text[:1].islower() and self.known_label(joined)
                and not self.known_label(last.label))):
            return False  # a key of its own on the next row, not the rest of this one
        last.label = joined
        last.value = f"{last.value} {_text(answer)}"
        last.bottom = live[-1].bottom
        return True

    def continues(self, live: list[Token], text: str) -> bool:
        """A plain line that carries on the value of the entry above: aligned under the value
        (an address), wrapped from it, regular text under a bold label, or below a label."""
        last = self.last
        if last is None or live[0].top - last.bottom > (1.6 if last.open_below else 0.9) * last.size:
            return False
        if len(segments(live)) > 1:
            return False
        first = live[0]
        wrapped = bool(last.value) and (
            last.line_x1 + 0.3 * last.size + (first.x1 - first.x0) > self.right)
        aligned = last.value_x0 is not None and abs(first.x0 - last.value_x0) <= 1.5 * last.size
        plain = last.label_bold and not any(tok.bold for tok in live)
        if not (last.open_below or aligned or wrapped or plain):
            return False
        glue = " " if wrapped else "\n"
        last.value = f"{last.value}{glue}{text}" if last.value else text
        last.bottom, last.line_x1 = live[-1].bottom, live[-1].x1
        return True


def _bold_over_regular(label: list[Token], value: list[Token]) -> bool:
    """A bold key beside regular text is a label and its answer (an online form's summary
    list), even when the key is unknown or the answer reads like label words
    ("Job title | Head of Year 8", "Year group | Year 9")."""
    return all(tok.bold for tok in label) and not any(tok.bold for tok in value)


def _not_label(match: re.Match[str], text: str) -> bool:
    """A link or a time of day ("10:30"), not "Label: value"."""
    colon = match.end("label")
    while colon < len(text) and text[colon] not in ":：":
        colon += 1
    time = 0 < colon < len(text) - 1 and text[colon - 1].isdigit() and text[colon + 1].isdigit()
    return time or bool(_NOT_LABEL.search(match["label"]))


def _value_x0(tokens: list[Token], label: str) -> float:
    """Where the value after "Label:" starts on the line (for aligning its next lines)."""
    seen = ""
    for tok in tokens:
        if len(seen.strip()) >= len(label.strip()) and ":" in seen:
            return tok.x0
        seen += tok.text + " "
    return tokens[-1].x1
