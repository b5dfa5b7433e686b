"""Golden test: every fixture in tests/fixtures/golden parses to its expected record.

Runs ``cme-intake parse PATH --json`` in-process, validates the output against the spec's
schema, and compares it with ``<case>.expected.json`` (see tests/fixtures/golden/README.md
for which parts are compared as sets and which are free text). A second test regenerates
the fixtures and checks the committed files are exactly what the generator writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARGS = ["--received", "2026-11-02"]
CASES = sorted(GOLDEN.glob("*.expected.json"))
LIBREOFFICE_CASES = ("p04_libreoffice_standard", "p05_libreoffice_birmingham")
PROVENANCE_ROOTS = ("school", "pupil", "parents", "siblings", "attendance", "referral",
                    "family_information", "enquiries", "roll", "part1_completed_by",
                    "safeguarding.dsl")


def schema() -> dict[str, Any]:
    from tests.conftest import spec_dir

    return json.loads((spec_dir() / "referral-record.schema.json").read_text())


def document_path(expected: Path) -> Path:
    stem = expected.name.removesuffix(".expected.json")
    return next(p for p in GOLDEN.glob(f"{stem}.*")
                if not p.name.endswith((".expected.json", ".args.json")))


def case_args(expected: Path) -> list[str]:
    args_file = expected.with_name(expected.name.replace(".expected.json", ".args.json"))
    return json.loads(args_file.read_text()) if args_file.exists() else list(DEFAULT_ARGS)


def parse(path: Path, args: list[str]) -> dict[str, Any]:
    from intake.cli import app

    result = CliRunner().invoke(app, ["parse", str(path), "--json", *args])
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}{result.exception!r}"
    return json.loads(result.stdout)


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """The record with order-free parts sorted and free-text parts reduced (README rules)."""
    out = json.loads(json.dumps(record))
    out.pop("provenance", None)
    out["flags"] = sorted((f["code"], f["field"] or "", f["severity"], f["follow_up_with"] or "")
                          for f in out.get("flags", []))
    out["unmapped"] = sorted((u["label"], u["value"]) for u in out.get("unmapped", []))
    enquiries = out.get("enquiries") or {}
    enquiries["other"] = sorted(json.dumps(o, sort_keys=True) for o in enquiries.get("other", []))
    out["referral"]["grounds"] = sorted(out["referral"]["grounds"])
    out["safeguarding"]["risk_indicators"] = sorted(out["safeguarding"]["risk_indicators"])
    for document in out.get("documents", []):
        if document.get("problem"):
            document["problem"] = True
            document["media_type"] = None
    return out


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Readable lines, one per differing path."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines = []
        for key in list(expected) + [k for k in actual if k not in expected]:
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                lines.append(f"{where}: missing (expected {expected[key]!r})")
            elif key not in expected:
                lines.append(f"{where}: unexpected {actual[key]!r}")
            else:
                lines += differences(expected[key], actual[key], where)
        return lines
    if isinstance(expected, list) and isinstance(actual, list) and expected != actual:
        if all(isinstance(x, dict) for x in expected + actual) and len(expected) == len(actual):
            return [line for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                    for line in differences(e, a, f"{path}.{i}")]
        missing = [x for x in expected if x not in actual]
        extra = [x for x in actual if x not in expected]
        return [f"{path}: missing {missing!r}, unexpected {extra!r}"]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def filled_leaves(node: Any, path: str) -> list[str]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in filled_leaves(value, f"{path}.{key}")]
    if isinstance(node, list):
        return [leaf for i, value in enumerate(node) for leaf in filled_leaves(value, f"{path}.{i}")]
    if node is None or (isinstance(node, str) and not node.strip()):
        return []
    return [path]


def provenance_gaps(expected: dict[str, Any], provenance: dict[str, Any]) -> list[str]:
    """Filled leaves with no provenance entry at the leaf or an ancestor below its section."""
    gaps = []
    for root in PROVENANCE_ROOTS:
        node: Any = expected
        for part in root.split("."):
            node = node[part]
        for leaf in filled_leaves(node, root):
            if leaf == "school.area" or (leaf == "school.type" and node["type"] == "unknown"):
                continue
            parts = leaf.split(".")
            ancestors = {".".join(parts[:n]) for n in range(2, len(parts) + 1)}
            if not ancestors & provenance.keys():
                gaps.append(leaf)
    return gaps


@pytest.mark.parametrize("expected_file", CASES, ids=lambda p: p.name.split(".")[0])
def test_golden(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text())
    actual = parse(document_path(expected_file), case_args(expected_file))
    jsonschema.validate(actual, schema())
    diff = differences(comparable(expected), comparable(actual))
    gaps = provenance_gaps(expected, actual.get("provenance") or {})
    report = "\n".join(diff + [f"provenance: no entry for {leaf}" for leaf in gaps])
    assert not report, f"{expected_file.name} differs:\n{report}"


def test_golden_cases_exist() -> None:
    assert len(CASES) >= 45


def test_generator_reproduces_committed_files(tmp_path: Path) -> None:
    """Regenerate (LibreOffice cases excepted) and compare bytes with the committed files."""
    from tests.fixtures.generate import generate

    generate(tmp_path / "golden", tmp_path / "samples", libreoffice=False, quiet=True)
    fresh = {p.name: p for p in (tmp_path / "golden").iterdir()}
    committed = {p.name: p for p in GOLDEN.iterdir()
                 if not p.name.startswith(LIBREOFFICE_CASES)}
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in fresh if fresh[name].read_bytes() != committed[name].read_bytes()]
    samples = REPO / "intake" / "demo" / "samples"
    changed += [f"samples/{p.name}" for p in (tmp_path / "samples").iterdir()
                if p.read_bytes() != (samples / p.name).read_bytes()]
    assert not changed, f"regenerate with python -m tests.fixtures.generate: {changed}"
