"""A field's declaration in ``fields.toml``, read into a :class:`FieldSpec`.

Kept apart from the matching (:mod:`parsers.mapping.fieldmap`) so the declarations, the
council's overlay (:mod:`parsers.mapping.overlay`) and the matcher each stay one small module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parsers.mapping.labels import Rule, norm_label, parse_rule


@dataclass(frozen=True)
class FieldSpec:
    path: str
    title: str
    kind: str
    section: str
    required: bool = False
    recommended: bool = False
    labels: tuple[str, ...] = ()
    generic: tuple[str, ...] = ()
    inverse: tuple[str, ...] = ()  # yes/no questions asked the other way round
    contexts: tuple[str, ...] = ()
    options: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    concepts: tuple[Rule, ...] = ()
    option_concepts: dict[str, tuple[Rule, ...]] = field(default_factory=dict, hash=False,
                                                        compare=False)
    label_concepts: tuple[Rule, ...] = ()  # the label worded any other way (last resort)
    inverse_concepts: tuple[Rule, ...] = ()  # the question asked the other way, any wording


@dataclass(frozen=True)
class LabelMatch:
    spec: FieldSpec
    confidence: float
    how: str  # exact | contains | spelling | context | inverse (the answer means the opposite)


def spec_from(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        path=raw["path"],
        title=raw["title"],
        kind=raw["kind"],
        section=raw["section"],
        required=raw.get("required", False),
        recommended=raw.get("recommended", False),
        labels=tuple(dict.fromkeys(norm_label(x) for x in raw.get("labels", ()))),
        generic=tuple(dict.fromkeys(norm_label(x) for x in raw.get("generic", ()))),
        inverse=tuple(dict.fromkeys(norm_label(x) for x in raw.get("inverse", ()))),
        contexts=tuple(raw.get("contexts", ())),
        concepts=tuple(parse_rule(r) for r in raw["concepts"]) if isinstance(raw.get("concepts"), list) else (),
        option_concepts={value: tuple(parse_rule(r) for r in rules)
                         for value, rules in raw.get("concepts", {}).items()}
        if isinstance(raw.get("concepts"), dict) else {},
        label_concepts=tuple(parse_rule(r) for r in raw.get("label_concepts", ())),
        inverse_concepts=tuple(parse_rule(r) for r in raw.get("inverse_concepts", ())),
        options={
            value: tuple(dict.fromkeys(norm_label(w) for w in words))
            for value, words in raw.get("options", {}).items()
        },
    )
