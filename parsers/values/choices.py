"""Closed choices: yes/no answers, gender, SEN status, school type, absence type.

Each reads the ways schools actually answer: a word ("Yes - see notes"), a letter ("Y", "K"),
a tick glyph ("☒"), or a row of tick boxes ("Yes ☐ No ☒"). An answer that cannot be read
comes back as ``None`` with a problem and a low confidence, never as a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TypeVar

from parsers.values.text import CHECKED, UNCHECKED, Normalised, clean_text, ticked_options

T = TypeVar("T")
UNREADABLE_CONFIDENCE = 0.5
_ANSWER_CHARS = 500  # a choice is a few words; longer cells are read from their start
BOOLEAN_PROBLEM = "not a yes/no answer"
CONTRADICTORY = "contradictory tick boxes"

_DONT_KNOW = frozenset(
    {"n/a", "na", "n.a", "n/k", "nk", "not applicable", "unknown", "not known", "don't know",
     "dont know", "do not know", "unsure", "not sure", "?", "prefer not to say", "not stated",
     "not specified", "not disclosed", "declined", "not recorded"}
)


def _answer(raw: object) -> str | None:
    text = clean_text(raw)
    return None if text is None else text[:_ANSWER_CHARS]


def _key(text: str) -> str:
    return text.casefold().replace("\u2019", "'").strip().rstrip(".!").strip()


def _from_ticks(text: str, options: Sequence[tuple[str, T]]) -> Normalised | None:
    """The single ticked option, a contradiction, or ``None`` when no box is ticked by a label."""
    found = ticked_options(text, options)
    if found is None:
        return None
    ticked, unticked = set(found[0]), found[1]
    if len(ticked) == 1:
        return Normalised(ticked.pop())
    if len(ticked) > 1:
        return Normalised(None, CONTRADICTORY, UNREADABLE_CONFIDENCE)
    return Normalised(None) if unticked else None


def _settled(raw: object, exact: Mapping[str, str],
             options: Sequence[tuple[str, T]]) -> tuple[Normalised | None, str]:
    """What every closed choice reads the same way: blank or "Don't know" (``None``), a
    word of ``exact``, or a row of tick boxes. Else ``None`` and the answer's key, for the
    choice's own reading of free text."""
    text = _answer(raw)
    if text is None:
        return Normalised(None), ""
    key = _key(text)
    if key in _DONT_KNOW:
        return Normalised(None), key
    if key in exact:
        return Normalised(exact[key]), key
    return _from_ticks(text, options), key


_TRUE = frozenset({"yes", "y", "true", "ticked", "tick", "checked", "done", "completed",
                   "complete", "x", "yes please", *CHECKED})
_FALSE = frozenset({"no", "n", "false", "not done", "not completed", "not ticked", "unticked",
                    "not checked", "none", "nil", *UNCHECKED})
_BOTH_PRINTED = re.compile(r"(?:yes|y) ?/ ?(?:no|n)|(?:no|n) ?/ ?(?:yes|y)")
_YES_NO_PREFIX = re.compile(r"(?:(?P<yes>yes|done|completed|ticked)|(?P<no>no|not done|not completed))\b")
_YES_NO = ((r"\byes\b", True), (r"\bno\b", False))


_MARKS = frozenset({"x", "\u2713", "\u2714"})


def _marked_pair(key: str) -> tuple[bool, bool | None]:
    """ "Yes No X" (the options one a line, joined), one marked with an X or a tick: (True,
    that one); both printed and neither marked: (True, None); another shape: (False, None)."""
    tokens = key.replace("/", " ").split()
    words = [t for t in tokens if t not in _MARKS]
    if sorted(words) != ["no", "yes"] or len(tokens) > 3:
        return False, None
    if len(tokens) == 2:
        return True, None
    at = next(i for i, t in enumerate(tokens) if t in _MARKS)
    owner = tokens[at + 1] if at == 0 else tokens[at - 1]
    return True, owner == "yes"


def boolean(raw: object) -> Normalised:
    """A yes/no answer: True, False, or ``None`` when blank, "N/A" or "Don't know".

    An undeleted "YES / NO" counts as blank; anything unreadable is ``None`` with a problem.
    """
    text = _answer(raw)
    if text is None:
        return Normalised(None)
    key = _key(text)
    if key in _DONT_KNOW or _BOTH_PRINTED.fullmatch(key):
        return Normalised(None)
    if key in _TRUE or key in _FALSE:
        return Normalised(key in _TRUE)
    shaped, marked = _marked_pair(key)
    if shaped:
        return Normalised(marked)
    ticks = _from_ticks(text, _YES_NO)
    if ticks is not None:
        return ticks
    if text[0] in CHECKED or text[0] in UNCHECKED:
        return Normalised(text[0] in CHECKED)
    prefix = _YES_NO_PREFIX.match(key)
    if prefix:
        return Normalised(prefix.group("yes") is not None)
    return Normalised(None, BOOLEAN_PROBLEM, UNREADABLE_CONFIDENCE)


GENDER_PROBLEM = "not a recognised gender"
_GENDER_WORDS = {
    "m": "male", "male": "male", "boy": "male", "man": "male",
    "f": "female", "female": "female", "girl": "female", "woman": "female",
    "other": "other", "non-binary": "other", "nonbinary": "other", "nb": "other",
    "x": "other", "agender": "other", "genderfluid": "other", "gender-fluid": "other",
}
_GENDER_TICKS = (
    (r"\bmale\b|\bboy\b", "male"),
    (r"\bfemale\b|\bgirl\b", "female"),
    (r"\bnon[- ]?binary\b|\bother\b", "other"),
)


def gender(raw: object) -> Normalised:
    """"male" | "female" | "other"; ``None`` for blank or "Prefer not to say"."""
    settled, key = _settled(raw, _GENDER_WORDS, _GENDER_TICKS)
    if settled is not None:
        return settled
    words = re.findall(r"[a-z]+(?:-[a-z]+)?", key.replace("non binary", "non-binary"))
    found = {_GENDER_WORDS[w] for w in words if w in _GENDER_WORDS}
    if len(found) == 1:
        return Normalised(found.pop())
    if len(found) > 1 and re.fullmatch(r"[a-z]+(?: ?/ ?[a-z]+)+", key):
        return Normalised(None)  # "Male / Female" printed, neither deleted
    return Normalised(None, GENDER_PROBLEM, UNREADABLE_CONFIDENCE)


SEN_PROBLEM = "not a recognised SEN status"
_EHCP = r"\behcp?\b|\behc plan\b|\beducation,? health,? (?:and|&) care\b|\bstatement(?:ed)?\b"
_SEN_SUPPORT = (r"\bsen ?support\b|\bschool support\b|\bschool action(?: plus)?\b|\(k\)"
                r"|\bsen ?- ?k\b|\bk ?- ?sen\b")
_NO_EHCP = re.compile(
    r"\b(?:no|not|without|non)[\s-]+(?:an?\s+|on\s+(?:an?\s+)?)?(?:" + _EHCP + ")", re.IGNORECASE
)
_SEN_TICKS = (
    (_EHCP, "ehcp"),
    (_SEN_SUPPORT, "sen_support"),
    (r"\bnone\b|\bno\b", "none"),
    (r"\byes\b", "yes"),
)
_SEN_EXACT = {"e": "ehcp", "k": "sen_support", "sen": "sen_support", "n": "none", "no": "none",
              "none": "none", "nil": "none", "no sen": "none", "not sen": "none"}
_YES_ONLY_CONFIDENCE = 0.6


def sen(raw: object) -> Normalised:
    """"none" | "sen_support" | "ehcp"; a bare "Yes" is SEN support with confidence 0.6."""
    settled, key = _settled(raw, _SEN_EXACT, _SEN_TICKS)
    if settled is not None:
        if settled.value == "yes":  # only a tick box says a bare "yes"
            return Normalised("sen_support", None, _YES_ONLY_CONFIDENCE)
        return settled
    rest = _NO_EHCP.sub(" ", key)
    if re.search(_EHCP, rest):
        return Normalised("ehcp")
    if re.search(_SEN_SUPPORT, rest):
        return Normalised("sen_support")
    if rest != key:
        return Normalised("none", None, 0.8)  # "No EHCP": SEN support may still be unstated
    if re.match(r"(?:no|none|nil)\b", key):
        return Normalised("none")
    if re.match(r"yes\b", key):
        return Normalised("sen_support", None, _YES_ONLY_CONFIDENCE)
    return Normalised(None, SEN_PROBLEM, UNREADABLE_CONFIDENCE)


_INDEPENDENT = r"\bindependent\b|\bprivate\b|\bfee[- ]paying\b|\bnon[- ]?maintained\b"
_ACADEMY = (r"\bacadem(?:y|ies)\b|\bfree school\b|\butc\b|\buniversity technical college\b"
            r"|\bstudio school\b|\bmulti[- ]academy\b|\bmat\b")
_MAINTAINED = (r"\bmaintained\b|\bcommunity\b|\bfoundation\b|\bvoluntary[- ](?:aided|controlled)\b"
               r"|\bv[ac]\b|\bpru\b|\bpupil referral unit\b|\bspecial\b|\bnursery school\b"
               r"|\btrust school\b")
_SCHOOL_TYPES = ((_INDEPENDENT, "independent"), (_ACADEMY, "academy"), (_MAINTAINED, "maintained"))


def school_type(raw: object) -> Normalised:
    """"maintained" | "academy" | "independent" | "unknown" (never ``None``: the schema default).

    Free schools, UTCs and studio schools are academies; community, foundation, voluntary
    aided/controlled schools and PRUs are maintained. Unrecognised text is "unknown" with
    confidence 0.5 so the mapper may still try the school's name.
    """
    text = _answer(raw)
    if text is None:
        return Normalised("unknown")
    ticks = _from_ticks(text, _SCHOOL_TYPES)
    if ticks is not None and ticks.value is not None:
        return ticks
    key = _key(text)
    for pattern, value in _SCHOOL_TYPES:
        if re.search(pattern, key):
            return Normalised(value)
    return Normalised("unknown", None, UNREADABLE_CONFIDENCE)


ABSENCE_PROBLEM = "not authorised/unauthorised"
_UNAUTHORISED = r"\bun-?authori[sz]ed\b|\bnot authori[sz]ed\b|\bunauth\b"
_AUTHORISED = r"\bauthori[sz]ed\b|\bauth\b"
_ABSENCE_TICKS = ((_UNAUTHORISED, "unauthorised"), (_AUTHORISED, "authorised"))


def absence_type(raw: object) -> Normalised:
    """"authorised" | "unauthorised"; both mentioned without a tick is unreadable."""
    settled, key = _settled(raw, {}, _ABSENCE_TICKS)
    if settled is not None:
        return settled
    unauthorised = re.search(_UNAUTHORISED, key) is not None
    authorised = re.search(_AUTHORISED, re.sub(_UNAUTHORISED, " ", key)) is not None
    if unauthorised != authorised:
        return Normalised("unauthorised" if unauthorised else "authorised")
    return Normalised(None, ABSENCE_PROBLEM, UNREADABLE_CONFIDENCE)
