"""Which team a referral belongs to, and why a mailbox was the wrong one (spec §1, ``misrouted``).

Academies, free schools and independent schools refer to the central CME team (``cme``);
maintained schools to their area's attendance team. The school's type and area come from
the council's school register when the form's school matched it (``school.register``: the
register wins over the form's tick, and the reason says so when they differ), else from the
form's tick alone; without a register the area of a maintained school is not known, so only
the central/area split can be checked. Pure: the rules call :func:`misrouted_reason`.
"""

from __future__ import annotations

from typing import Any

from parsers.record import MAILBOX_AREA

TEAMS = {
    "ENE": "the East North East (ENE) area attendance team (mailbox ene)",
    "WNW": "the West North West (WNW) area attendance team (mailbox wnw)",
    "South": "the South area attendance team (mailbox south)",
}
CENTRAL = "the central CME team (mailbox cme)"


def routing_type(record: dict[str, Any]) -> str:
    """The school type routing goes by: the register's when it knows one, else the form's."""
    register = record["school"].get("register")
    if register and register.get("type") not in (None, "unknown"):
        return str(register["type"])
    return str(record["school"]["type"])


def misrouted_reason(record: dict[str, Any]) -> str | None:
    """Why the form came to the wrong mailbox, naming the team it belongs to; else None."""
    mailbox = (record.get("received") or {}).get("mailbox")
    school_type = routing_type(record)
    if mailbox is None or school_type == "unknown":
        return None
    register = record["school"].get("register")
    sent_to = MAILBOX_AREA.get(mailbox)
    if register is None:
        return _without_register(sent_to, school_type)
    note = _register_note(record, register)
    name = register["name"]
    if sent_to is not None and school_type in ("academy", "independent"):
        return (f"The school register lists {name} as {_article(school_type)} {school_type} "
                f"school, but its form was sent to the {sent_to} team's mailbox; it belongs "
                f"to {CENTRAL}{note}.")
    area = register.get("area")
    if sent_to is None and school_type == "maintained":
        team = TEAMS[area] if area in TEAMS else "its area attendance team"
        return (f"The school register lists {name} as a maintained school, but its form was "
                f"sent to the central CME mailbox; it belongs to {team}{note}.")
    if sent_to is not None and school_type == "maintained" and area in TEAMS and area != sent_to:
        return (f"The school register puts the maintained school {name} in the {area} area, "
                f"but its form was sent to the {sent_to} team's mailbox; it belongs to "
                f"{TEAMS[area]}{note}.")
    return None


def _without_register(sent_to: str | None, school_type: str) -> str | None:
    if sent_to is not None and school_type in ("academy", "independent"):
        return (f"An {school_type} school's form was sent to an area team mailbox; it belongs "
                "to the central CME team.")
    if sent_to is None and school_type == "maintained":
        return ("A maintained school's form was sent to the central CME mailbox; it belongs "
                "to the area attendance team.")
    return None


def _register_note(record: dict[str, Any], register: dict[str, Any]) -> str:
    ticked = record["school"]["type"]
    if ticked in ("unknown", register["type"]) or register["type"] == "unknown":
        return ""
    return f" (the form ticks {ticked}; the school register's type is used for routing)"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
