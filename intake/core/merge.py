"""Merging the mapped forms of one message into its record: the best form first, others fill gaps.

Split from :mod:`intake.core.pipeline` because the merge has rules of its own (people lists
from the best form win, other enquiries are appended, a path that cannot be merged is
skipped) that are tested on their own (``tests/test_merge.py``).
"""

from __future__ import annotations

from typing import Any

from parsers.mapping.mapper import MappedForm
from parsers.record import get_path, is_empty, set_path


def merge_form(record: dict[str, Any], mapped: MappedForm) -> None:
    """Fill the record from one mapped form; the best form goes first, others fill gaps.

    Never raises: a later form can name list items the record lacks (its second other
    enquiry, a parent when the first form listed none) or carry a path of the wrong shape;
    the record grows lists as needed and a path that cannot be merged is skipped, so one
    odd document never costs the message its other documents' answers.
    """
    source = mapped.record
    if not record["provenance"]:
        for key in ("school", "pupil", "parents", "siblings", "attendance", "referral",
                    "family_information", "enquiries", "family_correspondence", "roll",
                    "part1_completed_by", "safeguarding", "aio"):
            if key in source:
                record[key] = source[key]
        record["provenance"] = dict(mapped.provenance)
    else:
        try:
            _merge_lists(record, mapped)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            pass  # the lists stay as the better form gave them
        for path, where in mapped.provenance.items():
            if path.startswith(_LIST_PATHS) or path in record["provenance"]:
                continue
            try:
                value = get_path(source, path)
                if is_empty(get_path(record, path)) and not is_empty(value):
                    set_path(record, path, value)
                    record["provenance"][path] = where
            except (KeyError, IndexError, TypeError, ValueError, AttributeError):
                continue
    record["unmapped"] += list(mapped.unmapped)


_LIST_PATHS = ("parents.", "siblings.", "enquiries.other.")


def _merge_lists(record: dict[str, Any], mapped: MappedForm) -> None:
    """People and other enquiries from a later form: its parents or siblings when the
    record has none (the best form's people win otherwise, as one form may list them
    differently), and its other enquiries that the record does not have yet, appended."""
    source, provenance = mapped.record, mapped.provenance
    for key in ("parents", "siblings"):
        theirs = source.get(key)
        if record[key] or not isinstance(theirs, list) or not theirs:
            continue
        record[key] = list(theirs)
        record["provenance"].update({p: w for p, w in provenance.items()
                                     if p.startswith(f"{key}.")})
    mine = record["enquiries"].setdefault("other", [])
    theirs = (source.get("enquiries") or {}).get("other")
    for number, item in enumerate(theirs if isinstance(theirs, list) else []):
        if is_empty(item) or item in mine:
            continue
        mine.append(item)
        where = provenance.get(f"enquiries.other.{number}")
        if where is not None:
            record["provenance"][f"enquiries.other.{len(mine) - 1}"] = where
