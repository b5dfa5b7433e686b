"""An entry the PDF line reader is still reading: the lines below may carry its value on.

Shared by the line reader and its checklist mixin.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Draft:
    """An entry still being read: the lines below may carry its value on."""

    label: str
    value: str
    locator: str
    section: str | None
    checked: bool | None = None
    confidence: float = 1.0
    value_x0: float | None = None
    bottom: float = 0.0
    size: float = 10.0
    open_below: bool = False
    from_heading: bool = False  # a bold label line: kept only if a value follows it
    line_x1: float = 0.0  # where the entry's last printed line ends
    label_bold: bool = False  # a bold label before a regular value
