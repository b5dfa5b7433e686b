"""Tick boxes in text: is this ☒ ticked, and which words around "☐ Yes ☒ No" are the
question and which the options.

Every reader meets marks as glyphs (☐ ☒ ✓), as "[X]" / "[ ]", or as a typed X before an
option; the pure tests here are cached (bounded LRU) because the layout rules ask them of
the same cell several times.
"""

from __future__ import annotations

import re
from functools import lru_cache

TICKED_GLYPHS = "☒☑✓✔✗✘■⊠☓▣√"
EMPTY_GLYPHS = "☐□❑❒▢"
_MARK = re.compile(r"\[\s*[xX✓✔]?\s*\]|[" + TICKED_GLYPHS + EMPTY_GLYPHS + "]")
_SINGLE_CHOICES = frozenset(
    "yes|y|done|tick|ticked|✓|✔|completed|complete|tick if done|tick if applicable|"
    "please tick|tick as appropriate|true".split("|")
)
_OTHER_CHOICES = frozenset(
    "no|n|not done|n/a|na|not applicable|unknown|not known|don't know|false|partly".split("|")
)
_TRUE_WORDS = frozenset({"x", "yes", "y", "done", "true", "completed"})
_FALSE_WORDS = frozenset({"no", "n", "not done", "false"})


@lru_cache(maxsize=4096)
def choice_word(text: str) -> str | None:
    """ "single" for a tick-column heading that can stand alone (Yes, Done, Tick), "other" for
    one that only makes sense beside another (No, N/A, Not done), else None."""
    word = " ".join(text.lower().split()).strip(" .:?*")
    if word in _SINGLE_CHOICES:
        return "single"
    if word in _OTHER_CHOICES:
        return "other"
    return None


@lru_cache(maxsize=1024)
def mark_state(text: str, *, words: bool = True) -> bool | None:
    """Checked state of a cell holding only a mark (☒, ☐, X, ✓; with ``words`` also Yes/No)."""
    text = " ".join(text.split())
    if not text:
        return None
    if len(text) == 1 and text in TICKED_GLYPHS:
        return True
    if len(text) == 1 and text in EMPTY_GLYPHS:
        return False
    if re.fullmatch(r"\[\s*[xX✓✔]\s*\]|[xX]", text):
        return True
    if re.fullmatch(r"\[\s*\]", text):
        return False
    lowered = text.lower().strip(".")
    if words and lowered in _TRUE_WORDS:
        return True
    if words and lowered in _FALSE_WORDS:
        return False
    return None


_WORD_NEXT = re.compile(r"[ \t]*\w")
_TYPED_X = re.compile(r"(?:^|(?<=\n)|(?<=\s\s)|(?<=\t))[xX](?=[ \t]+\w)")


def find_marks(text: str) -> list[re.Match[str]]:
    """The tick marks in a piece of text, in order.

    A mark just inside a bracket is part of an instruction ("(✓ all that apply)"), not a
    tick. Where the text has boxes before their captions ("☐ Yes"), an X typed over a box
    in the same place ("☐ Yes    X No") is a ticked box too.
    """
    if _MARK.search(text) is None:
        return []
    marks = [m for m in _MARK.finditer(text) if not text[: m.start()].rstrip().endswith("(")]
    if marks and any(_WORD_NEXT.match(text, m.end()) for m in marks):
        typed = list(_TYPED_X.finditer(text))
        if typed:
            marks = sorted(marks + typed, key=lambda m: m.start())
    return marks


@lru_cache(maxsize=4096)
def options_from_text(text: str) -> tuple[str, tuple[tuple[str, bool | None], ...]]:
    """Split "Left the UK? ☐ Yes ☒ No" into ("Left the UK?", (("Yes", False), ("No", True))).

    Handles the mark before its caption (☐ Yes) and after it (Yes ☐), and "[X]" / "[ ]".
    Returns ("", ()) when the text has no tick marks.
    """
    marks = find_marks(text)
    if not marks:
        return "", ()
    per_line = _options_per_line(text)
    if per_line is not None:
        return per_line
    states = [mark_state(match.group()) for match in marks]
    bounds = [0] + [pos for m in marks for pos in (m.start(), m.end())] + [len(text)]
    pieces = [text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    pieces = [" ".join(piece.split()).strip(" |/,;") for piece in pieces]
    first, last = pieces[0], pieces[-1]
    bare = bool(first) and all(choice_word(word) for word in first.split())
    after = bool(first) and (
        not last or bare or (_ends_with_choice(first) and not choice_word(last))
    )
    if not after:
        captions = [_first_line(text, marks, i) for i in range(len(marks))]
        return first, tuple(zip(captions, states, strict=True))
    leading, first_option = _split_question(first)
    captions = [first_option] + pieces[1:-1]
    options = tuple(zip(captions, states, strict=True))
    if last and all(choice_word(word) for word in last.split()):
        options += tuple((word, False) for word in last.split())
    words = leading.split()
    if words and all(choice_word(word) for word in words):
        return "", tuple((word, False) for word in words) + options
    return leading, options


def _options_per_line(text: str) -> tuple[str, tuple[tuple[str, bool | None], ...]] | None:
    """One option per line, the mark at the line's start or end, or only on the ticked line:
    "Authorised" / "Unauthorised ✔". A first unmarked line ending in ":" or "?" is the
    question; a line starting in lower case, or an unmarked line under "☐ caption" lines,
    continues the caption above (wrapped text). None when the lines are not like that."""
    lines = joined_lines(text)
    if len(lines) < 2:
        return None
    leading = ""
    if not find_marks(lines[0]) and lines[0].endswith((":", "?")):
        leading, lines = lines[0], lines[1:]
    marks_first = sum(1 for line in lines if _MARK.match(line))
    parsed: list[tuple[str, bool | None]] = []
    for line in lines:
        found = find_marks(line)
        if len(found) > 1:
            return None
        if not found:
            if marks_first and parsed:
                caption, state = parsed[-1]
                parsed[-1] = (f"{caption} {line}".strip(), state)
            else:
                parsed.append((line.strip(" |/,;"), None))
            continue
        mark = found[0]
        if mark.start() > 0 and mark.end() < len(line):
            return None
        caption = (line[: mark.start()] + line[mark.end() :]).strip(" |/,;")
        parsed.append((caption, mark_state(mark.group())))
    if len(parsed) < 2 or not all(caption for caption, _ in parsed):
        return None
    ticked = any(state for _, state in parsed)
    return leading, tuple((c, bool(s) if ticked or s is not None else None) for c, s in parsed)


def joined_lines(text: str) -> list[str]:
    """Non-empty lines, with a line that starts in lower case joined to the one above."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if lines and line[0].islower():
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    return lines


def _first_line(text: str, marks: list[re.Match[str]], index: int) -> str:
    end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
    caption = text[marks[index].end() : end].strip(" \t|/,;")
    return " ".join(caption.split("\n", 1)[0].split()).strip(" |/,;")


def _ends_with_choice(text: str) -> bool:
    words = text.split()
    return bool(words) and (
        choice_word(words[-1]) is not None or choice_word(" ".join(words[-2:])) is not None
    )


def _split_question(text: str) -> tuple[str, str]:
    """The question and the first option's caption in "Left the UK? Yes" (mark after)."""
    cut = max(text.rfind("?"), text.rfind(":"))
    if cut >= 0:
        return text[: cut + 1].strip(), text[cut + 1 :].strip()
    words = text.split()
    for size in (2, 1):
        if len(words) > size and choice_word(" ".join(words[-size:])):
            return " ".join(words[:-size]), " ".join(words[-size:])
    return "", text
