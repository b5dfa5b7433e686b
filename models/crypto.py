"""Encryption at rest: the data keys, sealed columns and blind indexes.

Original documents and emails (``blob.content``) and every record (``case.record``,
``caseversion.record``) are sealed with AES-256-GCM (``cryptography``); the columns the
queue and duplicate checks filter on by equality (UPN, surname, forenames, date of birth)
hold a keyed HMAC of their value, so ``==`` still works and a dump shows no name.

The keys live in a key file (or the environment), never in the database or the
configuration file: ``CME_DATABASE_KEY_FILE`` names the file, ``CME_DATABASE_KEYS`` may hold
its text instead (containers). The key ring hangs on the engine's dialect, so two engines in
one process can use different keys. An engine without keys reads and writes plaintext (a
database that was never encrypted); :func:`models.db.migrate` refuses an encrypted
database opened without its key, with a message that says so.

Sealed value: ``0x01 | key id (8 ASCII) | nonce (12) | ciphertext+tag``, the column's name
as associated data (a value moved to another column does not open). Plain value: ``0x00 |
bytes``; anything else is a legacy plaintext value from before migration 0004.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary, String
from sqlalchemy.types import TypeDecorator

from parsers.errors import StoreError

SEALED, PLAIN = b"\x01", b"\x00"
HEADER = 9  # marker byte + key id
KEY_FILE_ENV, KEYS_ENV = "CME_DATABASE_KEY_FILE", "CME_DATABASE_KEYS"
_RING_ATTRIBUTE = "cme_keyring"


class KeyMissing(StoreError):
    """The database holds sealed data and this process was given no (or the wrong) key."""


@dataclass(frozen=True)
class KeyRing:
    """The data keys, newest first (it seals), older ones only open; one stable index key.

    The index key is not rotated with the data keys: a blind index must stay comparable
    across every row, and rotating it would mean recomputing every index column at once.
    """

    keys: tuple[tuple[str, bytes], ...]
    index_key: bytes

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def seal(self, data: bytes, purpose: str) -> bytes:
        key_id, key = self.keys[0]
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, data, purpose.encode())
        return SEALED + key_id.encode("ascii") + nonce + sealed

    def open(self, value: bytes, purpose: str) -> bytes:
        key_id = value[1:HEADER].decode("ascii", "replace")
        key = dict(self.keys).get(key_id)
        if key is None:
            raise KeyMissing(f"{purpose} is sealed with key {key_id}, which the key file lacks")
        try:
            return AESGCM(key).decrypt(value[HEADER:HEADER + 12], value[HEADER + 12:],
                                       purpose.encode())
        except InvalidTag:
            raise KeyMissing(f"{purpose} does not open with key {key_id} (damaged?)") from None

    def blind(self, value: str) -> str:
        """The index form of a value: 32 hex digits of HMAC-SHA256 under the index key."""
        return hmac.new(self.index_key, value.encode(), hashlib.sha256).hexdigest()[:32]

    def with_new_key(self) -> KeyRing:
        return KeyRing(((secrets.token_hex(4), AESGCM.generate_key(256)), *self.keys),
                       self.index_key)

    def only_current(self) -> KeyRing:
        return KeyRing(self.keys[:1], self.index_key)


def new_keyring() -> KeyRing:
    return KeyRing(((secrets.token_hex(4), AESGCM.generate_key(256)),), secrets.token_bytes(32))


def keyring_text(ring: KeyRing) -> str:
    """The key file's text: one JSON object, current key first."""
    encode = base64.b64encode
    return json.dumps({
        "index_key": encode(ring.index_key).decode(),
        "keys": [{"id": key_id, "key": encode(key).decode()} for key_id, key in ring.keys],
    }, indent=1) + "\n"


def parse_keyring(text: str, where: str) -> KeyRing:
    try:
        raw = json.loads(text)
        keys = tuple((str(k["id"]), base64.b64decode(k["key"], validate=True))
                     for k in raw["keys"])
        ring = KeyRing(keys, base64.b64decode(raw["index_key"], validate=True))
    except (ValueError, KeyError, TypeError):
        raise KeyMissing(f"{where} is not a cme-intake key file") from None
    if not keys or any(len(k) != 32 or len(i) != 8 for i, k in keys) or len(ring.index_key) < 16:
        raise KeyMissing(f"{where} holds no usable 256-bit key")
    return ring


def read_keyring(path: str | Path) -> KeyRing:
    try:
        return parse_keyring(Path(path).read_text(encoding="utf-8"), f"key file {path}")
    except OSError as exc:
        raise KeyMissing(f"cannot read key file {path}: {exc.strerror}") from None


def write_keyring(path: str | Path, ring: KeyRing) -> None:
    """Replace the key file atomically (write, fsync, rename): a crash leaves old or new."""
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(keyring_text(ring))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def keyring_from_environment(environ: dict[str, str] | None = None) -> KeyRing | None:
    """The key ring named by ``CME_DATABASE_KEY_FILE`` or held in ``CME_DATABASE_KEYS``."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    if environ.get(KEYS_ENV):
        return parse_keyring(environ[KEYS_ENV], KEYS_ENV)
    if environ.get(KEY_FILE_ENV):
        return read_keyring(environ[KEY_FILE_ENV])
    return None


def attach_keyring(engine: Any, ring: KeyRing | None) -> None:
    setattr(engine.dialect, _RING_ATTRIBUTE, ring)


def keyring_of(bind: Any) -> KeyRing | None:
    dialect = getattr(bind, "dialect", bind)
    return getattr(dialect, _RING_ATTRIBUTE, None)


def seal(ring: KeyRing | None, data: bytes, purpose: str) -> bytes:
    return PLAIN + data if ring is None else ring.seal(data, purpose)


def unseal(ring: KeyRing | None, value: bytes | str, purpose: str) -> bytes:
    if isinstance(value, str):
        return value.encode()
    value = bytes(value)
    marker = value[:1]
    if marker == PLAIN:
        return value[1:]
    if marker != SEALED:
        return value
    if ring is None:
        raise KeyMissing(f"the case database is encrypted ({purpose} is sealed with key "
                         f"{value[1:HEADER].decode('ascii', 'replace')}) and no key was given: "
                         f"set {KEY_FILE_ENV}")
    return ring.open(value, purpose)


class _Sealed(TypeDecorator[Any]):
    """What every sealed column type shares: bytes in the database, sealed with the
    engine's current key under the column's purpose (or marked plain when it has none).
    Subclasses say only how their Python value becomes bytes and back."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def to_bytes(self, value: Any) -> bytes:
        return bytes(value)

    def from_bytes(self, data: bytes) -> Any:
        return data

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        return seal(keyring_of(dialect), self.to_bytes(value), self.purpose)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        return self.from_bytes(unseal(keyring_of(dialect), value, self.purpose))


class SealedBytes(_Sealed):
    """Bytes sealed with the engine's current key (or marked plain when it has none)."""

    cache_ok = True


class SealedJSON(_Sealed):
    """A JSON document sealed like :class:`SealedBytes` (no SQL can look inside it)."""

    cache_ok = True

    def to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    def from_bytes(self, data: bytes) -> Any:
        return json.loads(data)


class SealedText(_Sealed):
    """A string sealed like :class:`SealedBytes`: free text a school wrote (a subject, a
    file name) that may name a child and that no query filters on."""

    cache_ok = True

    def to_bytes(self, value: Any) -> bytes:
        return str(value).encode("utf-8", "surrogatepass")

    def from_bytes(self, data: bytes) -> Any:
        return data.decode("utf-8", "replace")


class BlindIndex(TypeDecorator[str]):
    """A string kept as its keyed HMAC, so equality filters work and nothing is readable.

    Comparisons bind through the same function, so ``Case.upn == "A123"`` just works.
    Read back, the column gives the HMAC: compare with the record, not the column.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        ring = keyring_of(dialect)
        return value if value is None or ring is None else ring.blind(str(value))
