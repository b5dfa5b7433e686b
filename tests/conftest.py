"""Fixtures shared by the whole suite. Service fixtures live in tests/services/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.services.postgres"]


def spec_dir() -> Path:
    """The shared spec folder: $CME_SPEC_DIR, else ../shared/spec beside the repo."""
    env = os.environ.get("CME_SPEC_DIR")
    return Path(env) if env else REPO.parent / "shared" / "spec"


@pytest.fixture(scope="session")
def record_schema() -> dict:
    import json

    return json.loads((spec_dir() / "referral-record.schema.json").read_text())


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cases.db'}"
