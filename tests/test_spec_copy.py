"""The vendored copy of the record schema must be the shared spec's, byte for byte."""

from pathlib import Path

import pytest

from tests.conftest import REPO, VENDORED_SPEC


def test_vendored_schema_matches_the_shared_spec():
    shared = REPO.parent / "shared" / "spec" / "referral-record.schema.json"
    if not shared.exists():
        pytest.skip("../shared/spec is not beside this checkout")
    assert (VENDORED_SPEC / "referral-record.schema.json").read_bytes() == shared.read_bytes()


def test_vendored_schema_is_present():
    assert Path(VENDORED_SPEC / "referral-record.schema.json").stat().st_size > 1000
