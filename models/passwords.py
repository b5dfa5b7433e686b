"""Password hashing for local logins (argon2id), beside the users it protects.

Kept below the web shell so that the users model (``cme-intake users add`` and the
sign-in check) never imports the web UI.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a real password: evens out timing for unknown names")


def hash_password(password: str) -> str:
    """argon2id hash with argon2-cffi's current recommended parameters."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown user (``None``) still costs one hash."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


__all__ = ["hash_password", "needs_rehash", "verify_password"]
