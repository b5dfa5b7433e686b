"""The referral record of ``referral-record.schema.json`` as plain dicts.

The record is kept as a plain ``dict`` (JSON-ready) rather than a class hierarchy because
other tools read exactly this JSON; :func:`empty_record` gives every key the schema
requires, with ``null``/empty values, so a parser only fills what it finds.
"""

from __future__ import annotations

import copy
from typing import Any

SCHEMA_ID = "cme-referral/1"

ENQUIRY_KEYS: tuple[str, ...] = (
    "home_visit",
    "neighbours",
    "contacts_telephoned",
    "school_friends",
    "flight_information",
    "forwarding_address",
    "new_school_check",
    "parent_contact_details",
)

GROUNDS: tuple[str, ...] = (
    "left_country",
    "moved_whereabouts_unknown",
    "moved_not_on_roll",
    "not_returned_after_authorised_absence",
    "unauthorised_absence_20_days",
)

RISK_INDICATORS: tuple[str, ...] = (
    "child_sexual_exploitation",
    "radicalisation",
    "female_genital_mutilation",
    "modern_slavery",
    "forced_marriage",
    "domestic_violence",
    "honour_based_violence",
    "human_trafficking",
    "neglect",
)

MAILBOX_KEYS: tuple[str, ...] = ("cme", "ene", "wnw", "south")
AREAS: tuple[str, ...] = ("ENE", "WNW", "South")
MAILBOX_AREA: dict[str, str | None] = {"cme": None, "ene": "ENE", "wnw": "WNW", "south": "South"}

_EMPTY: dict[str, Any] = {
    "schema": SCHEMA_ID,
    "reference": None,
    "received": None,
    "documents": [],
    "school": {
        "name": None,
        "dfe_number": None,
        "urn": None,
        "type": "unknown",
        "area": None,
        "contact": {"name": None, "role": None, "phone": None, "email": None},
    },
    "pupil": {
        "surname": None,
        "forenames": None,
        "known_as": None,
        "date_of_birth": None,
        "gender": None,
        "upn": None,
        "year_group": None,
        "address": {"lines": [], "postcode": None},
        "sen": None,
        "looked_after": None,
        "child_protection_plan": None,
        "social_care_involved": None,
    },
    "parents": [],
    "siblings": [],
    "attendance": {
        "last_attended": None,
        "consecutive_days_absent": None,
        "absence_type": None,
        "authorised_absence_end": None,
        "attendance_percent": None,
    },
    "referral": {"grounds": [], "details": None, "date": None},
    "family_information": {
        "text": None,
        "destination_country": None,
        "new_address": None,
        "new_la": None,
        "expected_school": None,
        "date_left": None,
    },
    "enquiries": {
        **{key: {"done": None, "date": None, "notes": None} for key in ENQUIRY_KEYS},
        "other": [],
    },
    "family_correspondence": {"held": None, "attached": False},
    "roll": {"removed": None, "removal_date": None, "authorised_by": None},
    "part1_completed_by": {"name": None, "role": None, "date": None},
    "safeguarding": {
        "concerns": None,
        "risk_indicators": [],
        "dsl": {"name": None, "role": None, "date": None, "signed": None},
    },
    "aio": {"name": None, "date_allocated": None, "sections_complete": None, "notes": None},
    "flags": [],
    "complete": True,
    "provenance": {},
    "unmapped": [],
}

PARENT_KEYS = ("name", "relationship", "phone", "email", "address")
SIBLING_KEYS = ("name", "date_of_birth", "school")
OTHER_ENQUIRY_KEYS = ("action", "date", "outcome")


def empty_record() -> dict[str, Any]:
    """A fresh record with every required key and nothing filled."""
    return copy.deepcopy(_EMPTY)


def empty_parent() -> dict[str, Any]:
    return dict.fromkeys(PARENT_KEYS)


def empty_sibling() -> dict[str, Any]:
    return dict.fromkeys(SIBLING_KEYS)


def get_path(record: dict[str, Any], path: str) -> Any:
    """Value at a dotted path such as ``pupil.address.postcode``; lists index by number."""
    node: Any = record
    for part in path.split("."):
        if isinstance(node, list):
            index = int(part)
            if index >= len(node):
                return None
            node = node[index]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def set_path(record: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a dotted path, growing lists and missing objects as needed.

    A path names list items by number (``parents.1.name``, ``enquiries.other.0``); merging a
    second document can name an item the record does not have yet, so a list grows with an
    empty item of its kind (a parent, a sibling, an enquiry) up to that index, and a missing
    or null object on the way becomes an empty one. A number that is not one, where a list
    is, raises ``ValueError`` (the caller's path is wrong).
    """
    parts = path.split(".")
    node: Any = record
    for position, part in enumerate(parts[:-1]):
        owner = parts[position - 1] if position else ""
        if isinstance(node, list):
            index = _index(part)
            while len(node) <= index:
                node.append(_empty_item(owner))
            if not isinstance(node[index], (dict, list)):
                node[index] = _empty_item(owner)
            node = node[index]
        elif isinstance(node, dict):
            if node.get(part) is None:
                node[part] = [] if parts[position + 1].isdigit() else {}
            node = node[part]
        else:
            raise ValueError(f"record path {path!r} goes through a value, not an object")
    last = parts[-1]
    if not isinstance(node, (dict, list)):
        raise ValueError(f"record path {path!r} goes through a value, not an object")
    if isinstance(node, list):
        index = _index(last)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[last] = value


MAX_LIST_INDEX = 999  # no form lists a thousand parents: a bigger index is a bad path


def _index(part: str) -> int:
    if not part.isdigit() or int(part) > MAX_LIST_INDEX:
        raise ValueError(f"list index expected in a record path, got {part!r}")
    return int(part)


def _empty_item(owner: str) -> dict[str, Any]:
    """An empty item for a list named ``owner`` (the schema's required keys, all null)."""
    if owner == "parents":
        return empty_parent()
    if owner == "siblings":
        return empty_sibling()
    if owner == "other":
        return dict.fromkeys(OTHER_ENQUIRY_KEYS)
    return {}


def is_empty(value: Any) -> bool:
    """True for ``None``, blank strings and empty containers (``False`` is a value)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return len(value) == 0
    return False
