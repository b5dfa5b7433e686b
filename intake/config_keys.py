"""Unknown configuration keys, found before validation and named with the nearest valid one.

A misspelt key must never be silently ignored: ``[database] uri = …`` would otherwise leave
the default SQLite file in use instead of production PostgreSQL. The check walks the raw
TOML against the settings models themselves (every section, ``[[mailbox]]`` entries and
their ``[mailbox.oauth2]``, list items such as ``[[rules.holidays]]``), so a section added
to :class:`intake.config.Settings` is covered without being listed here. A model may name
``refused_keys`` that its own validator refuses with a better reason (a password in the file).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel


def unknown_keys(raw: Mapping[str, Any], model: type[BaseModel], where: str = "") -> list[str]:
    """One sentence per key of ``raw`` (recursively) that ``model`` does not declare."""
    problems: list[str] = []
    fields = model.model_fields
    refused = getattr(model, "refused_keys", ())
    for key, value in raw.items():
        if key in refused:
            continue  # the model's own validator refuses it, with a better reason
        if key not in fields:
            problems.append(_unknown(where, str(key), list(fields)))
            continue
        nested = _models_in(fields[key].annotation)
        if nested is None:
            continue
        kind, inner = nested
        if kind == "one" and isinstance(value, Mapping):
            problems += unknown_keys(value, inner, f"{where}{key}.")
        elif kind == "many" and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    label = item.get("key", index) if isinstance(item.get("key", index),
                                                                 (str, int)) else index
                    problems += unknown_keys(item, inner, f"{where}{key}[{label}].")
    return problems


def _unknown(where: str, key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not where:
        hint = f"; did you mean [{close[0]}]?" if close else \
            f" (sections: {', '.join(known)})"
        return f"unknown section [{key}]{hint}"
    hint = f"; did you mean {close[0]}?" if close else f" (known keys: {', '.join(known)})"
    return f"unknown key {where}{key}{hint}"


def _models_in(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """``("one", M)`` for ``M`` or ``M | None``; ``("many", M)`` for ``list[M]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "one", annotation
    origin = get_origin(annotation)
    if origin in (list, tuple):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        found = _models_in(args[0]) if args else None
        return ("many", found[1]) if found else None
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _models_in(arg)
            if found is not None:
                return found
    return None
