"""The register's view of the form's school, written into the record (spec §3 ``school.register``).

Pure: :func:`apply_register` looks the form's school up in the directory snapshot handed in
and fills ``school.register`` (the register's URN, name, type, area, extract date and how it
matched), ``school.urn`` when the form left it empty, and their provenance with
``source: "register"``. What the form said stays as it was. It returns the findings the
rules turn into flags: ``invalid_value`` on a DfE number the register does not have,
``low_confidence`` on a school that was not found, fits several schools or matched only
despite a spelling difference, and on a form whose ticked type the register contradicts
(the register's type wins for routing; the flag says so).
"""

from __future__ import annotations

from typing import Any

from intake.core.schools import RegisterSchool, SchoolDirectory, SchoolMatch
from parsers.findings import Finding
from parsers.record import is_empty
from parsers.values.ids import find_postcode

FUZZY_CONFIDENCE = 0.8


def register_entry(school: RegisterSchool, matched_by: str) -> dict[str, Any]:
    """``school.register`` in the schema's exact shape."""
    return {
        "urn": school.urn, "name": school.name, "la_code": school.la_code,
        "establishment_number": school.establishment_number,
        "establishment_type": school.establishment_type, "status": school.status,
        "type": school.type, "area": school.area, "matched_by": matched_by,
        "extract_date": school.extract_date,
    }


def school_postcode(record: dict[str, Any]) -> str | None:
    """The school's own postcode when the form gives one (a "School address" line it keeps
    among the unmapped labels); never the pupil's."""
    for entry in record.get("unmapped") or ():
        label = entry["label"].casefold()
        if "school" in label and ("postcode" in label or "address" in label):
            code, _ = find_postcode(entry["value"])
            if code:
                return code
    return None


def apply_register(record: dict[str, Any], directory: SchoolDirectory) -> list[Finding]:
    """Match the form's school and fill the record's register fields; the findings to flag."""
    form = record["school"]
    if all(is_empty(form[k]) for k in ("name", "dfe_number", "urn")):
        form["register"] = None
        return []
    match = directory.match(name=form["name"], dfe_number=form["dfe_number"], urn=form["urn"],
                            postcode=school_postcode(record))
    findings = []
    if match.dfe_problem:
        findings.append(Finding("invalid_value", "school.dfe_number", match.dfe_problem))
    if match.school is None or match.matched_by is None:
        form["register"] = None
        findings.append(Finding("low_confidence", "school.name", _not_sure(match)))
        return findings
    school = match.school
    form["register"] = register_entry(school, match.matched_by)
    where = {"document": None, "locator": f"school register (extract {school.extract_date or 'undated'})",
             "label": None, "confidence": FUZZY_CONFIDENCE if match.fuzzy else 1.0,
             "source": "register"}
    record["provenance"]["school.register"] = where
    if is_empty(form["urn"]):
        form["urn"] = school.urn
        record["provenance"]["school.urn"] = dict(where)
    return findings + _checks(form, school, match)


def _checks(form: dict[str, Any], school: RegisterSchool, match: SchoolMatch) -> list[Finding]:
    findings = []
    if match.fuzzy:
        findings.append(Finding("low_confidence", "school.name",
                                f"taken as the register's {school.label()}, which is spelt "
                                "differently: check it is the school on the form"))
    if not school.is_open:
        findings.append(Finding("low_confidence", "school.name",
                                f"the register lists {school.label()} as "
                                f"{(school.status or 'closed').casefold()}"))
    ticked = form["type"]
    if ticked != "unknown" and school.type != "unknown" and ticked != school.type:
        findings.append(Finding(
            "low_confidence", "school.type",
            f"the form says {ticked}, but the school register lists {school.name} as "
            f"{_article(school.type)} {school.type} school ({school.establishment_type}); "
            "the register's type is used for routing"))
    return findings


def _not_sure(match: SchoolMatch) -> str:
    reason = match.problem or "the school is not in the register"
    if match.candidates:
        names = "; ".join(c.label() for c in match.candidates)
        return f"{reason}: not matched to the school register (candidates: {names})"
    return f"{reason}: not matched to the school register"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
