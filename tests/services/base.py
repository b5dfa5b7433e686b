"""Shared helpers for tests that start real services (Dovecot, PostgreSQL, LibreOffice...).

Locally a missing service skips its tests with a clear reason; in CI (``CI=true``) the
same absence fails the test, so a green CI run really exercised every service.
"""

from __future__ import annotations

import os
import shutil
import socket

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) when a service the test needs is missing."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


def require_binary(name: str, package: str) -> str:
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/lib/postgresql/15/bin/{name}") if os.path.exists(p)),
        None,
    )
    require(path is not None, f"{name} not found: install Debian package {package}")
    assert path is not None
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
