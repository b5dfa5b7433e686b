"""``[parsing]``: the council's wording overlay of ``fields.toml`` (docs/aio-day.md).

The parsers know the overlay only by an environment variable (they import nothing of
``intake``); :func:`use_wording_overlay` sets it when the settings are read from the process
environment, so the CLI, the daemon and the document workers it starts all read the same
file, and checks the file at once: a malformed overlay stops a start with its file and line.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

OVERLAY_NAME = "fields.local.toml"


class ParsingSettings(BaseModel):
    """How forms are read beyond ``fields.toml``."""

    # Labels accepted from corrections; default: fields.local.toml beside the configuration
    # file. Without a configuration file, none unless set (CME_PARSING_WORDING_OVERLAY).
    wording_overlay: str | None = None


def use_wording_overlay(overlay: str | None) -> None:
    """Point this process's parsers (and workers started later) at ``overlay``, checked now.

    ``None`` (no configuration file, no setting) leaves a ``CME_WORDING_OVERLAY`` given
    directly as it is. Raises ConfigError naming the file and line of a malformed overlay.
    """
    from parsers.mapping.fieldmap import overlay_additions
    from parsers.mapping.overlay import use_overlay

    if overlay is None:
        return
    overlay_additions(Path(overlay))
    use_overlay(overlay)
