"""Label text as the field map compares it, and the concept rules it matches on.

:func:`norm_label` drops case, punctuation, ``*`` marks, numbering and instructions such as
"(please tick)"; a concept rule ("home|house + visit*") is a set of word groups that must all
be present, which :func:`rule_strength` scores.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

_INSTRUCTION = re.compile(
    r"\((?=[^)]*\b(?:please|tick|delete|if known|if applicable|if different|dd|mm|yyyy|yy|"
    r"optional|mandatory|required|appropriate|see|circle|select|indicate|specify|attach|must|"
    r"copies|copy|eg|e\.g|for example|including|include|incl|"
    r"as applicable|use|enter|state|give|where)\b)[^)]*\)"
)
# A parenthesis of three or more words explains the question; it is not part of the label.
_EXPLANATION = re.compile(r"\((?:[^()]*?[\s,]){2,}[^()]*\)")
_NUMBERING = re.compile(r"^\s*(?:(?:q|question|section)\s*)?(?:\d+(?:\.\d+)*[a-z]?|[a-z]|[ivx]+)[.)]\s+")
_LEADING_NUMBER = re.compile(r"^\s*(?:q|question)?\s*\d+(?:\.\d+)*[a-z]?[:]?\s+(?=[a-z])")
_PUNCT = re.compile(r"[^a-z0-9%/ ]+")
_SPACES = re.compile(r"\s+")
# "Section C – School details": a council's own numbering says nothing about the form's Parts.
SECTION_NUMBER = re.compile(r"^\s*section\s+[a-z0-9]{1,3}\b\s*[:.\-–—]?\s*", re.IGNORECASE)

# Words that tie a label to a part of the form; a label found by containment must not
# carry one that belongs to another part ("Date of birth of sibling" is no pupil's DOB).
CONTEXT_TOKENS = {
    "sibling": "siblings", "siblings": "siblings", "brother": "siblings", "sister": "siblings",
    "parent": "parents", "parents": "parents", "mother": "parents", "father": "parents",
    "carer": "parents", "carers": "parents", "mothers": "parents", "fathers": "parents",
    "dsl": "part2", "dcpo": "part2", "aio": "part3", "referrer": "school", "mash": "part2",
}
# Words that carry no meaning for matching a question to a field's label.
STOPWORDS = frozenset(
    "the a an of to this that is are was were be been has have had any or and for in on with "
    "by at does do did if it its their there please / - 1 2 3 4".split()
)


@lru_cache(maxsize=16384)
def norm_label(text: str) -> str:
    """Lowercase words of a label, with marks, numbering and instructions taken off.

    Cached: readers ask about the same cell text several times (is it a label, which field),
    and a form's printed labels repeat from form to form."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("&", " and ")
    text = text.replace("(s)", "s").replace("*", " ")
    text = _INSTRUCTION.sub(" ", text)
    text = _EXPLANATION.sub(" ", text)
    text = _NUMBERING.sub("", text)
    text = _LEADING_NUMBER.sub("", text)
    text = text.replace("'", "").replace("/", " / ")
    text = _PUNCT.sub(" ", text)
    text = _SPACES.sub(" ", text).strip(" /")
    return text


@cache
def word_pattern(word: str) -> re.Pattern[str]:
    """A heading word or phrase, whole words, plural allowed ("parent" in "Parents and carers")."""
    return re.compile(rf"(?<![a-z0-9]){re.escape(word)}s?(?![a-z0-9])")


# A concept rule: every group must be present; a group is alternatives (a word, a "prefix*",
# or a phrase of several words). "home|house + visit*" = a home-ish word and a visit-ish word;
# a group written "!a|b" must be absent ("school + check* + !sibling*").
Rule = tuple[tuple[str, ...], ...]


def parse_rule(text: str) -> Rule:
    return tuple(tuple(alt.strip().lower() for alt in group.split("|") if alt.strip())
                 for group in text.split(" + "))


def _alternative_present(alternative: str, tokens: list[str], joined: str) -> bool:
    if " " in alternative:
        if f" {alternative.rstrip('*')}" in joined:
            return True
        words = alternative.rstrip("*").split()  # "point of contct": one slip in the phrase
        return any(all(t == w or (len(w) >= 5 and one_slip(t, w))
                       for t, w in zip(tokens[at:at + len(words)], words, strict=True))
                   for at in range(len(tokens) - len(words) + 1))
    if alternative.endswith("*"):
        stem = alternative[:-1]
        if any(token.startswith(stem) for token in tokens):
            return True
        return len(stem) >= 5 and any(one_slip(token[:size], stem) for token in tokens
                                      for size in (len(stem) - 1, len(stem), len(stem) + 1))
    if alternative in tokens or f"{alternative}s" in tokens:  # "family's" reads "familys"
        return True
    return len(alternative) >= 5 and any(one_slip(token, alternative) for token in tokens)


@lru_cache(maxsize=65536)
def one_slip(token: str, word: str) -> bool:
    """A typing slip of ``word``: two neighbouring letters swapped, or one dropped or doubled
    ("msising", "educaton"); labels on real forms carry them and the concept still holds."""
    if token == word or abs(len(token) - len(word)) > 1 or token[:1] != word[:1]:
        return False
    if len(token) == len(word):
        diff = [i for i, (a, b) in enumerate(zip(token, word, strict=True)) if a != b]
        return len(diff) == 2 and diff[1] == diff[0] + 1 and token[diff[0]] == word[diff[1]] \
            and token[diff[1]] == word[diff[0]]
    short, long = (token, word) if len(token) < len(word) else (word, token)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def rule_strength(rule: Rule, text: str) -> int:
    """How many groups a rule has when all of them are present in ``text``, else 0."""
    key = norm_label(text)
    tokens = key.split()
    joined = f" {key} "
    wanted = [g for g in rule if not g[0].startswith("!")]
    unwanted = [(g[0][1:], *g[1:]) for g in rule if g[0].startswith("!")]
    if any(any(_alternative_present(alt, tokens, joined) for alt in group) for group in unwanted):
        return 0
    if all(any(_alternative_present(alt, tokens, joined) for alt in group) for group in wanted):
        return len(wanted)
    return 0
