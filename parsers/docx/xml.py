"""WordprocessingML vocabulary and the small readings of single elements.

Tag names, content-control and legacy form-field properties, symbol-font tick boxes and
"delete as appropriate" choices. The walk over the body is in :mod:`parsers.docx.walk`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from parsers.layout.text import choice_word, strip_placeholders

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT_NS = "http://purl.oclc.org/ooxml/wordprocessingml/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


P, R, T, TBL, TR, TC = w("p"), w("r"), w("t"), w("tbl"), w("tr"), w("tc")
PPR, RPR, TCPR, TRPR, PSTYLE, RSTYLE = (
    w("pPr"),
    w("rPr"),
    w("tcPr"),
    w("trPr"),
    w("pStyle"),
    w("rStyle"),
)
TAB, BR, CR, SYM, FLDCHAR, INSTR, DELTEXT = (
    w("tab"),
    w("br"),
    w("cr"),
    w("sym"),
    w("fldChar"),
    w("instrText"),
    w("delText"),
)
NOBREAK_HYPHEN, SOFT_HYPHEN, DRAWING, PICT = (
    w("noBreakHyphen"),
    w("softHyphen"),
    w("drawing"),
    w("pict"),
)
SDT, SDT_PR, SDT_CONTENT = w("sdt"), w("sdtPr"), w("sdtContent")
HYPERLINK, INS, DEL, MOVE_TO, MOVE_FROM = (
    w("hyperlink"),
    w("ins"),
    w("del"),
    w("moveTo"),
    w("moveFrom"),
)
SMART_TAG, CUSTOM_XML, FLD_SIMPLE, DIR, BDO = (
    w("smartTag"),
    w("customXml"),
    w("fldSimple"),
    w("dir"),
    w("bdo"),
)
TXBX = w("txbxContent")
ALT, CHOICE = f"{{{MC_NS}}}AlternateContent", f"{{{MC_NS}}}Choice"
B, STRIKE, DSTRIKE, HIGHLIGHT, SHD, VANISH, RFONTS = (
    w("b"),
    w("strike"),
    w("dstrike"),
    w("highlight"),
    w("shd"),
    w("vanish"),
    w("rFonts"),
)
GRID_SPAN, VMERGE, GRID_BEFORE, OUTLINE, IND = (
    w("gridSpan"),
    w("vMerge"),
    w("gridBefore"),
    w("outlineLvl"),
    w("ind"),
)
VAL, FILL, FONT, CHAR = w("val"), w("fill"), w("font"), w("char")
INLINE_CONTAINERS = frozenset({HYPERLINK, SMART_TAG, CUSTOM_XML, FLD_SIMPLE, DIR, BDO})
OFF_VALUES = frozenset({"0", "false", "off", "none"})

TICKED, UNTICKED = "☒", "☐"
_SYMBOL_TICKS: dict[str, dict[int, str]] = {
    "wingdings": {
        0xFE: TICKED,
        0xFD: TICKED,
        0x78: TICKED,
        0xFC: TICKED,
        0xFB: TICKED,
        0x6E: TICKED,
        0xA8: UNTICKED,
        0x6F: UNTICKED,
        0x70: UNTICKED,
        0x71: UNTICKED,
        0x72: UNTICKED,
    },
    "wingdings 2": {
        0x4F: TICKED,
        0x50: TICKED,
        0x51: TICKED,
        0x52: TICKED,
        0x53: TICKED,
        0x54: TICKED,
        0xA3: UNTICKED,
        0x2A: UNTICKED,
    },
    "symbol": {0xD6: TICKED, 0xB4: TICKED},
}


def child(element: object, tag: str) -> Any:
    """The first direct child with ``tag``: ``element.find(tag)`` without the cost of lxml's
    ElementPath (a few microseconds a call, paid for every run, paragraph and cell)."""
    for item in element:  # type: ignore[attr-defined]
        if item.tag == tag:
            return item
    return None


def first_children(root: object, tags: tuple[str, ...]) -> dict[str, dict[Any, Any]]:
    """For each tag, ``parent.find(tag)`` of every element under ``root`` that has such a
    child, found in one pass of lxml's C iterator. Properties (``w:pPr``, ``w:rPr``) are
    rare next to the runs they would otherwise be searched among, child by child."""
    found: dict[str, dict[Any, Any]] = {tag: {} for tag in tags}
    for element in root.iter(*tags):  # type: ignore[attr-defined]
        found[element.tag].setdefault(element.getparent(), element)
    return found


def on(element: object | None) -> bool:
    """A WordprocessingML on/off property: present and not val="0"/"false"."""
    if element is None:
        return False
    value = element.get(VAL)  # type: ignore[attr-defined]
    return value is None or value.lower() not in OFF_VALUES


def symbol_text(font: str | None, text: str) -> str:
    """Map symbol-font tick boxes (Wingdings þ, Wingdings 2 T/£) to ☒/☐; drop other glyphs."""
    table = _SYMBOL_TICKS.get((font or "").lower())
    if table is None:
        return text
    out = []
    for ch in text:
        code = ord(ch) - 0xF000 if ord(ch) >= 0xF000 else ord(ch)
        out.append(table.get(code, ""))
    return "".join(out)


def sym_glyph(sym: object) -> str:
    """The text of a ``w:sym`` element: a tick box glyph, or nothing."""
    font = sym.get(FONT)  # type: ignore[attr-defined]
    char = sym.get(CHAR) or ""  # type: ignore[attr-defined]
    try:
        code = int(char, 16)
    except ValueError:
        return ""
    return symbol_text(font, chr(code)) if (font or "").lower() in _SYMBOL_TICKS else ""


@dataclass(frozen=True)
class SdtInfo:
    """What a content control's properties say about its value."""

    hint: str | None
    placeholder: bool
    checkbox: bool | None
    date: str | None


def sdt_info(sdt: object) -> SdtInfo:
    pr = child(sdt, SDT_PR)
    if pr is None:
        return SdtInfo(None, False, None, None)
    hint = _val(child(pr, w("alias"))) or _val(child(pr, w("tag")))
    placeholder = on(child(pr, w("showingPlcHdr")))
    checkbox = None
    box = child(pr, f"{{{W14_NS}}}checkbox")
    if box is not None:
        checked = child(box, f"{{{W14_NS}}}checked")
        value = None if checked is None else checked.get(f"{{{W14_NS}}}val")
        checkbox = checked is not None and (value is None or value.lower() in {"1", "true", "on"})
    date = None
    date_el = child(pr, w("date"))
    if date_el is not None and not placeholder:
        full = date_el.get(w("fullDate")) or ""
        date = full[:10] if re.match(r"\d{4}-\d{2}-\d{2}", full) else None
    return SdtInfo(hint, placeholder, checkbox, date)


def _val(element: object | None) -> str | None:
    if element is None:
        return None
    value = (element.get(VAL) or "").strip()  # type: ignore[attr-defined]
    return value or None


@dataclass(frozen=True)
class FormField:
    """A legacy form field's begin mark: its kind, name and any value it shows itself."""

    kind: str  # "text" | "checkbox" | "dropdown" | "other"
    name: str | None
    shown: str


def form_field(fld_char: object) -> FormField:
    ff = child(fld_char, w("ffData"))
    if ff is None:
        return FormField("other", None, "")
    name = _val(child(ff, w("name")))
    box = child(ff, w("checkBox"))
    if box is not None:
        checked = child(box, w("checked"))
        state = on(checked) if checked is not None else on_default(child(box, w("default")))
        return FormField("checkbox", name, TICKED if state else UNTICKED)
    drop = child(ff, w("ddList"))
    if drop is not None:
        entries = [_val(entry) or "" for entry in drop.findall(w("listEntry"))]
        result = _val(child(drop, w("result"))) or _val(child(drop, w("default"))) or "0"
        index = int(result) if result.isdigit() else 0
        return FormField("dropdown", name, entries[index] if index < len(entries) else "")
    return FormField("text", name, "")


def on_default(element: object | None) -> bool:
    """``w:default`` of a checkbox is off unless it says 1/true."""
    return element is not None and (_val(element) or "0").lower() in {"1", "true", "on"}


def is_placeholder(text: str) -> bool:
    return bool(text.strip()) and not strip_placeholders(text).strip()


_OPTION_END = re.compile(r"\s{2,}|[(\t.;,\n]")
_NOT_SLASH = re.compile(r"[^/]+")
_WORD = re.compile(r"\S+")


def formatting_choices(
    parts: list[tuple[str, bool, bool, bool]],
) -> tuple[tuple[str, bool | None], ...]:
    """Options of "YES / NO" (delete as appropriate) read from strike-through or highlight.

    ``parts`` are (text, bold, struck, highlighted) runs. The struck option is unselected,
    or the highlighted one selected; with neither and only choice words, each is ``None``.
    """
    text = "".join([part[0] for part in parts])
    if "/" not in text:
        return ()
    if any(part[2] for part in parts):
        # Strike-through is evidence enough: options may be whole sentences (the grounds).
        spans = _slash_pieces(text)
        struck = _flags(parts, 2)
        votes = [_mostly(struck, a, b, text) for a, b in spans]
        if len(spans) >= 2 and any(votes) and not all(votes) and \
                all(_uniform(struck, a, b, text) for a, b in spans):
            return tuple((text[a:b], not v) for (a, b), v in zip(spans, votes, strict=True))
    spans = _option_spans(text)
    if len(spans) < 2:
        return ()
    captions = [text[a:b] for a, b in spans]
    if any(part[2] for part in parts):  # no struck run: no option is mostly struck
        struck = _flags(parts, 2)
        struck_votes = [_mostly(struck, a, b, text) for a, b in spans]
        if any(struck_votes) and not all(struck_votes):
            return tuple((c, not s) for c, s in zip(captions, struck_votes, strict=True))
    if any(part[3] for part in parts):
        lit = _flags(parts, 3)
        lit_votes = [_mostly(lit, a, b, text) for a, b in spans]
        if any(lit_votes) and not all(lit_votes):
            return tuple((c, h) for c, h in zip(captions, lit_votes, strict=True))
    if all(choice_word(c) for c in captions):
        return tuple((c, None) for c in captions)
    return ()


def _flags(parts: list[tuple[str, bool, bool, bool]], which: int) -> list[bool]:
    """One flag (struck: 2, highlighted: 3) per character of the joined runs."""
    flags: list[bool] = []
    for part in parts:
        flags.extend([bool(part[which])] * len(part[0]))
    return flags


def _option_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the options in "Question? YES / NO (delete)"."""
    pieces = [m.span() for m in _NOT_SLASH.finditer(text)]
    if len(pieces) < 2:
        return []
    second_words = len(text[pieces[1][0] : pieces[1][1]].split()) or 1
    a, b = pieces[0]
    head = text[a:b]
    cut = max(head.rfind("?"), head.rfind(":"), head.rfind("\t"), head.rfind("\n"))
    words = list(_WORD.finditer(head[cut + 1 :]))[-min(second_words, 4) :]
    if not words:
        return []
    pieces[0] = (a + cut + 1 + words[0].start(), b)
    a, b = pieces[-1]
    tail = text[a:b]
    stop = _OPTION_END.search(tail.strip(" ")) if tail.strip() else None
    lead = len(tail) - len(tail.lstrip())
    if stop:
        pieces[-1] = (a, a + lead + stop.start())
    spans = []
    for a, b in pieces:
        seg = text[a:b]
        a2 = a + len(seg) - len(seg.lstrip())
        b2 = b - (len(seg) - len(seg.rstrip()))
        if a2 >= b2 or len(text[a2:b2].split()) > 4:
            return []
        spans.append((a2, b2))
    return spans


def _slash_pieces(text: str) -> list[tuple[int, int]]:
    """Spans of the " / "-separated pieces of ``text``, blanks trimmed."""
    spans = []
    for match in _NOT_SLASH.finditer(text):
        a, b = match.span()
        seg = text[a:b]
        a2, b2 = a + len(seg) - len(seg.lstrip()), b - (len(seg) - len(seg.rstrip()))
        if a2 < b2:
            spans.append((a2, b2))
    return spans


def _uniform(flags: list[bool], a: int, b: int, text: str) -> bool:
    """A piece struck through as a whole or not at all (a deletion, not an edit)."""
    letters = {flags[i] for i in range(a, b) if text[i].isalnum()}
    return len(letters) == 1


def _mostly(flags: list[bool], a: int, b: int, text: str) -> bool:
    letters = [flags[i] for i in range(a, b) if text[i].isalnum()]
    return bool(letters) and sum(letters) * 2 > len(letters)
