"""The council's wording overlay: labels added to ``fields.toml``'s fields without a code change.

An admin accepts a suggested wording in the review UI (``intake.web.views_wording``) and the
label is appended here, to a TOML file beside the configuration, in the same format as
``fields.toml`` but holding only ``path`` and ``labels``::

    [[field]]
    path = "parents.*.phone"
    labels = ["Mum's mobile"]

The parsers know the file only by the environment variable :data:`ENVIRONMENT`, which
``intake.config`` sets when it reads the settings, so document workers (forked later)
inherit it. :class:`LiveDeclarations` hands the field map the merged declarations and
builds it again when the overlay's modification time, size or inode changes: a worker picks
up an accepted wording on its next parse. A malformed overlay is a :class:`ConfigError`
naming the file and line; once a good overlay was read, a later bad edit keeps the last
good map (logged once) rather than failing every message.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from parsers.errors import ConfigError
from parsers.mapping.labels import norm_label

ENVIRONMENT = "CME_WORDING_OVERLAY"
MAX_BYTES = 1024 * 1024
_ENTRY = re.compile(r"^[ \t]*\[\[[ \t]*field[ \t]*\]\]", re.MULTILINE)
_KEYS = {"path", "labels"}

log = logging.getLogger(__name__)
T = TypeVar("T")
FileKey = tuple[str, int, int, int]


def use_overlay(path: str | Path | None) -> None:
    """Point this process (and the workers it starts from now on) at an overlay file."""
    if path is None:
        os.environ.pop(ENVIRONMENT, None)
    else:
        os.environ[ENVIRONMENT] = str(path)


def overlay_path() -> Path | None:
    """The overlay this process reads, or None."""
    value = os.environ.get(ENVIRONMENT, "").strip()
    return Path(value) if value else None


def file_key(path: Path | None) -> FileKey | None:
    """What changes when the file does (None: no overlay, or no file yet)."""
    if path is None:
        return None
    try:
        status = path.stat()
    except OSError:
        return None
    return (str(path), status.st_mtime_ns, status.st_size, status.st_ino)


def read_overlay(path: Path, known_paths: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The labels the overlay adds, by field path (missing file: none).

    Raises ConfigError naming the file and the line of the problem; the message quotes no
    label (a label is the school's text).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"wording overlay {path} cannot be read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"wording overlay {path} is over {MAX_BYTES // 1024} KB")
    try:
        text = data.decode("utf-8")
        raw = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"wording overlay {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        where = str(exc).replace("at end of document",
                                 f"at end of document, line {len(text.splitlines()) or 1}")
        raise ConfigError(f"wording overlay {path} is not valid TOML: {where}") from None
    return _additions(path, text, raw, set(known_paths))


def _additions(path: Path, text: str, raw: dict[str, Any],
               known: set[str]) -> dict[str, tuple[str, ...]]:
    extra = sorted(set(raw) - {"field"})
    if extra:
        raise ConfigError(f"wording overlay {path}: only [[field]] entries may be given "
                          f"(found {extra[0]!r})")
    entries = raw.get("field", [])
    if not isinstance(entries, list):
        raise ConfigError(f"wording overlay {path}: 'field' must be [[field]] entries")
    lines = [text.count("\n", 0, found.start()) + 1 for found in _ENTRY.finditer(text)]
    added: dict[str, list[str]] = {}
    for number, entry in enumerate(entries):
        line = lines[number] if number < len(lines) else 1
        where = f"wording overlay {path}, line {line}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: each entry must be a [[field]] table")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise ConfigError(f"{where}: only 'path' and 'labels' may be given (found "
                              f"{unknown[0]!r}); change fields.toml for anything else")
        field_path = entry.get("path")
        if not isinstance(field_path, str) or field_path not in known:
            raise ConfigError(f"{where}: 'path' must name a field of fields.toml")
        labels = entry.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise ConfigError(f"{where}: 'labels' must be a list of strings")
        if any(not norm_label(label) for label in labels):
            raise ConfigError(f"{where}: a label is empty once case and punctuation go")
        added.setdefault(field_path, []).extend(labels)
    return {key: tuple(dict.fromkeys(values)) for key, values in added.items()}


def merged(declarations: Mapping[str, Any],
           additions: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """``fields.toml``'s declarations with the overlay's labels after each field's own."""
    fields = []
    for raw in declarations["field"]:
        extra = additions.get(raw["path"])
        fields.append({**raw, "labels": [*raw.get("labels", ()), *extra]} if extra else raw)
    return {**declarations, "field": fields}


class LiveDeclarations(Generic[T]):
    """``build(declarations)`` for fields.toml plus the current overlay, rebuilt on change.

    Checking costs one ``stat`` a call. Thread-safe: the daemon maps from several threads.
    """

    def __init__(self, base: Path, build: Callable[[dict[str, Any]], T]) -> None:
        self._base_file = base
        self._build = build
        self._base: dict[str, Any] | None = None
        self._current: tuple[FileKey | None, T] | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        key = file_key(overlay_path())
        current = self._current
        if current is not None and current[0] == key:
            return current[1]
        with self._lock:
            current = self._current
            if current is not None and current[0] == key:
                return current[1]
            try:
                value = self._build(self._declarations(key))
            except ConfigError as exc:
                if current is None:
                    raise
                log.warning("wording overlay not used, the last good one stays: %s", exc.reason)
                value = current[1]
            self._current = (key, value)
            return value

    def base(self) -> dict[str, Any]:
        """``fields.toml`` as read (once per process)."""
        if self._base is None:
            with self._base_file.open("rb") as handle:
                self._base = tomllib.load(handle)
        return self._base

    def additions(self, path: Path) -> dict[str, tuple[str, ...]]:
        """What the overlay at ``path`` adds, checked now (ConfigError), never cached."""
        return read_overlay(path, [raw["path"] for raw in self.base()["field"]])

    def _declarations(self, key: FileKey | None) -> dict[str, Any]:
        base = self.base()
        if key is None:
            return base
        known = [raw["path"] for raw in base["field"]]
        return merged(base, read_overlay(Path(key[0]), known))


def add_label(path: Path, field_path: str, label: str, known_paths: Iterable[str],
              note: str | None = None) -> bool:
    """Append ``label`` to ``field_path`` in the overlay; False when it is already there.

    The file is read and checked first (a malformed overlay is refused, never overwritten),
    then written whole to a temporary file and renamed over, under a lock, so a worker
    reading it never sees half a file and two admins never lose each other's label.
    """
    known = list(known_paths)
    if field_path not in known:
        raise ConfigError(f"{field_path} is not a field of fields.toml")
    if not norm_label(label) or "\n" in label or len(label) > 200:
        raise ConfigError("a label must be one line of up to 200 characters")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        existing = read_overlay(path, known)
        if norm_label(label) in {norm_label(x) for x in existing.get(field_path, ())}:
            return False
        text = path.read_text(encoding="utf-8") if path.exists() else _HEADER
        if text and not text.endswith("\n"):
            text += "\n"
        comment = f"# {' '.join(note.split())}\n" if note else ""
        text += (f"\n{comment}[[field]]\npath = {_string(field_path)}\n"
                 f"labels = [{_string(label)}]\n")
        _replace(path, text)
    return True


def _string(text: str) -> str:
    """A TOML basic string (quotes, backslashes and control characters escaped)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char != "\t" and (ord(char) < 0x20 or ord(char) == 0x7F):
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_HEADER = ("# The council's wording: labels added to fields.toml's fields (see\n"
           "# docs/aio-day.md, 'Learning the council's wording'). Only 'path' and 'labels'.\n")


@contextlib.contextmanager
def _locked(path: Path) -> Any:
    import fcntl

    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _replace(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
