"""Fixtures shared by the whole suite. Service fixtures live in tests/services/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.services.postgres"]


VENDORED_SPEC = REPO / "tests" / "fixtures" / "spec"


def spec_dir() -> Path:
    """The spec: $CME_SPEC_DIR, else ../shared/spec beside the repo, else the vendored copy.

    tests/test_spec_copy.py checks the vendored copy against ../shared whenever it is there.
    """
    env = os.environ.get("CME_SPEC_DIR")
    if env:
        return Path(env)
    shared = REPO.parent / "shared" / "spec"
    return shared if (shared / "referral-record.schema.json").exists() else VENDORED_SPEC


@pytest.fixture(scope="session")
def record_schema() -> dict:
    import json

    return json.loads((spec_dir() / "referral-record.schema.json").read_text())


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cases.db'}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that drive LibreOffice share one xdist worker (``--dist loadgroup``).

    Conversions are serialised by a lock; run from two workers at once, a timeout test can
    spend its whole budget waiting for the other worker's conversion.
    """
    for item in items:
        if item.get_closest_marker("libreoffice"):
            item.add_marker(pytest.mark.xdist_group("libreoffice"))
