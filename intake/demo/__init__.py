"""The embedded demo: sample referral emails in local Maildirs, one per team mailbox.

``make demo`` calls :func:`setup`, then runs the daemon once over the Maildirs into SQLite
and prints the intake log and the open flags. The samples are invented people only.

The demo council has a small school register (``edubasealldata20261001.csv``, invented
schools in the DfE's layout, written by ``tests/fixtures/gen_gias.py --demo``), imported by
:func:`setup`: each sample's school is matched in it, and one boundary school moved to the
South team (``school-areas.csv``) shows a maintained school's form sent to the wrong area.
"""

from __future__ import annotations

import mailbox
import os
import re
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

SAMPLES = Path(__file__).with_name("samples")
SCHOOLS_EXTRACT = Path(__file__).with_name("edubasealldata20261001.csv")
SCHOOL_AREAS = Path(__file__).with_name("school-areas.csv")
DEMO_AREAS = {"Harrowby": "WNW", "Kettlewick": "South", "Northfield": "ENE", "Oswick": "ENE",
              "Fellmarsh": "ENE"}
ADDRESSES = {
    "cme": "cme@council.example.org",
    "ene": "ene-attendance@council.example.org",
    "wnw": "wnw-attendance@council.example.org",
    "south": "south-attendance@council.example.org",
}


def mailbox_for(raw: bytes) -> str:
    """Which team mailbox a sample was sent to, from its To: header (cme by default)."""
    to = (message_from_bytes(raw, policy=compat32).get("To") or "").lower()
    for key, address in ADDRESSES.items():
        if re.search(re.escape(address.split("@")[0]) + "@", to):
            return key
    return "cme"


def _delivered_at_its_date(path: Path, raw: bytes) -> None:
    """Give the Maildir file the sample's own Date, as if it had arrived then.

    The daemon takes a Maildir message's arrival time from its file; without this every
    sample would "arrive" today and be judged late against its invented attendance dates.
    """
    from email.utils import parsedate_to_datetime

    date = message_from_bytes(raw, policy=compat32).get("Date")
    try:
        moment = parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError):
        moment = None
    if moment is not None and path.exists():
        os.utime(path, (moment, moment))


def setup(folder: Path) -> Path:
    """Write the Maildirs and a config file under ``folder``; return the config's path."""
    (folder / "mail").mkdir(parents=True, exist_ok=True)
    boxes = {key: mailbox.Maildir(folder / "mail" / key, create=True) for key in ADDRESSES}
    for sample in sorted(SAMPLES.glob("*.eml")):
        raw = sample.read_bytes()
        box = boxes[mailbox_for(raw)]
        key = box.add(raw)
        _delivered_at_its_date(Path(box._path) / "new" / key, raw)  # noqa: SLF001
    lines = ["# cme-intake demo configuration (written by `make demo`)", "", "[database]",
             'url = "sqlite:///cases.db"', ""]
    for key, address in ADDRESSES.items():
        lines += ["[[mailbox]]", f'key = "{key}"', 'source = "maildir"', f'address = "{address}"',
                  f'path = "mail/{key}"', ""]
    lines += ["[schools]", 'la_codes = ["383"]', 'area_column = "DistrictAdministrative (name)"',
              'overrides_file = "school-areas.csv"', "", "[schools.area_map]",
              *(f'"{district}" = "{area}"' for district, area in DEMO_AREAS.items()), ""]
    config = folder / "cme-intake.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    (folder / SCHOOL_AREAS.name).write_bytes(SCHOOL_AREAS.read_bytes())
    _import_schools(config)
    return config


def _import_schools(config: Path) -> None:
    """The demo council's register into the demo database, as `cme-intake schools import` does."""
    from intake.config import load_settings
    from intake.school_register import import_register
    from models.db import make_engine, migrate

    settings = load_settings(config, environ={})
    engine = make_engine(settings.database.url)
    try:
        migrate(engine)
        import_register(engine, SCHOOLS_EXTRACT, settings)
    finally:
        engine.dispose()
