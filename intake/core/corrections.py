"""Correcting a misreading: an AIO's value for one record field, and the flags it changes.

Pure, like the rest of the core. The typed value goes through the same reader as the
parser's (``parsers.mapping.values.read_value`` by the field's kind in ``fields.toml``), so
a corrected phone or date is normalised and validated exactly as one read from a form. The
flags are judged again by :func:`intake.core.rules.evaluate`: flags the rules stop raising
close (those the record before raised, and the case's open flags about the corrected field),
new ones open; flags the pipeline raised on its own about other fields are left alone.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from intake.core.rules import RuleSettings, evaluate
from parsers.errors import IntakeError
from parsers.mapping.fieldmap import FieldSpec, field_map
from parsers.mapping.values import read_value
from parsers.record import get_path, set_path

# Kinds whose value is one plain reading of what was typed.
SIMPLE_KINDS = frozenset({
    "text", "multiline", "name", "date", "bool", "upn", "postcode", "phone", "email",
    "gender", "sen", "school_type", "absence_type", "integer", "percent", "year_group",
})
FINDING_CODES = ("invalid_value", "low_confidence")
_INDEX = re.compile(r"\.\d+\.")


class CorrectionRefused(IntakeError):
    """The typed value or the field cannot be used; ``reason`` says why (no personal data)."""


@dataclass(frozen=True)
class Correction:
    """A corrected record and what it changes.

    ``close`` are the (code, field) keys of open flags the correction settles; ``raised``
    are flags it newly raises; ``parser_value`` is what the form gave before any correction.
    """

    path: str
    value: Any
    before: Any
    record: dict[str, Any]
    close: tuple[tuple[str, str | None], ...]
    raised: tuple[dict[str, Any], ...]
    label: str | None


def spec_of(path: str) -> FieldSpec:
    """The field declaration behind a concrete path (``parents.1.phone`` → ``parents.*.phone``)."""
    fmap = field_map()
    spec = fmap.by_path.get(path) or fmap.by_path.get(_INDEX.sub(".*.", path))
    if spec is None or spec.kind not in SIMPLE_KINDS:
        raise CorrectionRefused(f"{path} is not a field that can be corrected here")
    return spec


def correctable_paths(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, title) of every field an AIO may set on this record, in field-map order.

    Fields of each parent on the form are offered per parent; Part 3 has its own form.
    """
    paths: list[tuple[str, str]] = []
    parents = len(record.get("parents") or []) or 1
    for spec in field_map().fields:
        if spec.kind not in SIMPLE_KINDS or spec.path.startswith(("aio.", "siblings.")):
            continue
        if spec.path.startswith("parents.*."):
            for index in range(parents):
                paths.append((spec.path.replace("*", str(index)),
                              f"{spec.title} (parent/carer {index + 1})"))
        else:
            paths.append((spec.path, spec.title))
    return paths


def normalised(path: str, typed: str) -> Any:
    """The typed text as the parser would have recorded it; blank clears the field."""
    spec = spec_of(path)
    if not typed.strip():
        return None
    reading = read_value(spec.kind, typed)
    problem = next((reason for sub, reason in reading.problems if sub == ""), None)
    if "" in reading.values and problem is None:
        return reading.values[""][0]
    # Stricter than reading a form: a value the parser would keep with a flag is refused.
    raise CorrectionRefused(f"{spec.title}: {problem or 'the value could not be read'}")


def correct(record: dict[str, Any], path: str, typed: str, *, received_on: date | None,
            settings: RuleSettings = RuleSettings()) -> Correction:
    """The record with ``path`` set from ``typed``, and the flags that changes."""
    value = normalised(path, typed)
    before = get_path(record, path)
    if value == before:
        raise CorrectionRefused("the field already has this value")
    new = copy.deepcopy(record)
    set_path(new, path, value)
    provenance = new.setdefault("provenance", {})
    parser_source = provenance.get(path) or {}
    provenance[path] = {"document": None, "locator": "corrected by the AIO",
                        "label": parser_source.get("label"), "confidence": 1.0,
                        "source": "correction"}
    if value is None:
        del provenance[path]
    old_flags = evaluate(record, received_on=received_on, settings=settings)
    new_flags = evaluate(new, received_on=received_on, settings=settings)
    still = _keys(new_flags)
    close = _keys(old_flags) - still
    close |= {key for key in _keys(record.get("flags") or [])
              if key not in still and _about(key[1], path)}
    close |= {(code, path) for code in FINDING_CODES}
    raised = [f for f in new_flags if (f["code"], f["field"]) not in _keys(old_flags)]
    return Correction(path=path, value=value, before=before, record=new,
                      close=tuple(sorted(close, key=lambda k: (k[0], k[1] or ""))),
                      raised=tuple(raised), label=parser_source.get("label"))


def _about(field: str | None, path: str) -> bool:
    """Whether a flag on ``field`` is about the corrected ``path`` (``safeguarding.dsl`` is
    about ``safeguarding.dsl.date``; ``parents`` about every parent's fields)."""
    return field is not None and (field == path or path.startswith(field + "."))


def _keys(flags: Sequence[dict[str, Any]]) -> set[tuple[str, str | None]]:
    return {(f["code"], f["field"]) for f in flags}




def is_correctable(path: str) -> bool:
    try:
        spec_of(path)
    except CorrectionRefused:
        return False
    return not path.startswith(("aio.", "siblings."))
