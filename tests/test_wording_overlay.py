"""The council's wording overlay of fields.toml: merge, refresh on change, refusal of a bad
file, the setting in intake.config, and document workers picking it up on their next job."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from intake.config import load_settings
from parsers.errors import ConfigError
from parsers.isolation import PoolSettings, WorkerPool
from parsers.mapping import overlay
from parsers.mapping.fieldmap import field_map

LABEL = "Best number for mum"  # no field of fields.toml means this
PHONE = "parents.*.phone"


def matched(label: str = LABEL) -> str | None:
    """The field a label under the parents' heading maps to (also run in workers)."""
    found = field_map().match(label, "parents")
    return found.spec.path if found else None


def _write(path: Path, text: str) -> None:
    """Write and move the mtime on, so a rewrite within one clock tick is still seen."""
    path.write_text(text, encoding="utf-8")
    later = time.time_ns() + 1_000_000_000
    os.utime(path, ns=(later, later))


@pytest.fixture()
def overlay_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "fields.local.toml"
    monkeypatch.setenv(overlay.ENVIRONMENT, str(path))
    return path


def test_without_an_overlay_the_map_is_fields_toml_alone(monkeypatch, tmp_path):
    monkeypatch.delenv(overlay.ENVIRONMENT, raising=False)
    base = field_map()
    assert matched() is None
    monkeypatch.setenv(overlay.ENVIRONMENT, str(tmp_path / "absent.toml"))
    assert field_map() is base  # a configured overlay not yet written changes nothing


def test_overlay_labels_are_merged_after_the_fields_own(overlay_file):
    before = field_map().by_path[PHONE].labels
    _write(overlay_file, f'[[field]]\npath = "{PHONE}"\nlabels = ["{LABEL}"]\n')
    assert matched() == PHONE
    assert field_map().by_path[PHONE].labels == (*before, "best number for mum")
    assert field_map().match("Date of birth", "pupil").spec.path == "pupil.date_of_birth"


def test_the_map_is_built_again_when_the_file_changes_and_dropped_when_it_goes(overlay_file):
    _write(overlay_file, f'[[field]]\npath = "{PHONE}"\nlabels = ["{LABEL}"]\n')
    first = field_map()
    assert field_map() is first  # unchanged file: the same map, no rebuild
    _write(overlay_file, f'[[field]]\npath = "parents.*.email"\nlabels = ["{LABEL}"]\n')
    assert matched() == "parents.*.email"
    overlay_file.unlink()
    assert matched() is None


@pytest.mark.parametrize(("text", "line", "says"), [
    ('[[field]]\npath = "parents.*.phone"\nlabels = ["a"\n', 3, "not valid TOML"),
    ('# note\n\n[[field]]\npath = "parents.*.telephone"\nlabels = ["x"]\n', 3,
     "'path' must name a field"),
    ('[[field]]\npath = "parents.*.phone"\nlabels = ["x"]\n\n[[field]]\npath = "pupil.upn"\n'
     'kind = "text"\nlabels = ["y"]\n', 5, "only 'path' and 'labels'"),
    ('[[field]]\npath = "pupil.upn"\nlabels = "UPN no."\n', 1, "list of strings"),
    ('[[field]]\npath = "pupil.upn"\nlabels = ["***"]\n', 1, "empty"),
])
def test_a_malformed_overlay_is_a_config_error_naming_file_and_line(overlay_file, text, line,
                                                                    says):
    _write(overlay_file, text)
    known = [f.path for f in field_map().fields]
    with pytest.raises(ConfigError) as refused:
        overlay.read_overlay(overlay_file, known)
    assert str(overlay_file) in refused.value.reason and says in refused.value.reason
    assert f"line {line}" in refused.value.reason


def test_other_top_level_keys_are_refused(overlay_file):
    _write(overlay_file, '[context.part1]\nwords = ["x"]\n')
    with pytest.raises(ConfigError, match="only \\[\\[field\\]\\] entries"):
        overlay.read_overlay(overlay_file, ["pupil.upn"])


def test_the_first_bad_overlay_is_refused_and_a_later_bad_edit_keeps_the_last_good(
        overlay_file, monkeypatch):
    live = overlay.LiveDeclarations(Path(overlay.__file__).with_name("fields.toml"), dict)
    _write(overlay_file, "[[field]\n")
    with pytest.raises(ConfigError, match="line 1"):
        live.get()
    _write(overlay_file, f'[[field]]\npath = "{PHONE}"\nlabels = ["{LABEL}"]\n')
    good = live.get()
    _write(overlay_file, "[[field]\n")
    assert live.get() is good


def test_load_settings_sets_the_overlay_beside_the_config_and_checks_it(tmp_path, monkeypatch):
    monkeypatch.delenv(overlay.ENVIRONMENT, raising=False)
    config = tmp_path / "cme.toml"
    config.write_text('[database]\nurl = "sqlite:///cases.db"\n', encoding="utf-8")
    settings = load_settings(config)
    assert settings.parsing.wording_overlay == str(tmp_path / "fields.local.toml")
    assert os.environ[overlay.ENVIRONMENT] == str(tmp_path / "fields.local.toml")
    (tmp_path / "wording").mkdir()
    config.write_text('[parsing]\nwording_overlay = "wording/council.toml"\n', encoding="utf-8")
    assert load_settings(config, environ={}).parsing.wording_overlay == str(
        tmp_path / "wording" / "council.toml")
    _write(tmp_path / "wording" / "council.toml", '[[field]]\npath = "nowhere"\n')
    with pytest.raises(ConfigError, match="council.toml, line 1"):
        load_settings(config)
    monkeypatch.setenv(overlay.ENVIRONMENT, "/given/directly.toml")
    assert load_settings(None).parsing.wording_overlay is None
    assert os.environ[overlay.ENVIRONMENT] == "/given/directly.toml"  # kept without a config


def test_add_label_appends_keeps_comments_and_refuses_a_malformed_file(overlay_file):
    known = [f.path for f in field_map().fields]
    assert overlay.add_label(overlay_file, PHONE, LABEL, known, note="accepted by admin")
    assert not overlay.add_label(overlay_file, PHONE, "best NUMBER for mum!", known)
    assert overlay.add_label(overlay_file, "pupil.upn", 'Pupil "UPN" \\ no.', known)
    text = overlay_file.read_text(encoding="utf-8")
    assert text.startswith("# The council's wording") and "# accepted by admin" in text
    assert overlay.read_overlay(overlay_file, known) == {
        PHONE: (LABEL,), "pupil.upn": ('Pupil "UPN" \\ no.',)}
    with pytest.raises(ConfigError):
        overlay.add_label(overlay_file, "pupil.nowhere", "x", known)
    with pytest.raises(ConfigError):
        overlay.add_label(overlay_file, PHONE, "two\nlines", known)
    overlay_file.write_text(text + "[[field]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        overlay.add_label(overlay_file, PHONE, "Another", known)
    assert overlay_file.read_text(encoding="utf-8").endswith("[[field]\n")  # not overwritten


def test_document_workers_inherit_the_overlay_and_pick_up_a_change(overlay_file):
    _write(overlay_file, f'[[field]]\npath = "pupil.upn"\nlabels = ["{LABEL}"]\n')
    pool = WorkerPool(PoolSettings(size=1, recycle_after=1000)).start()
    try:
        assert pool.call(matched) == "pupil.upn"
        _write(overlay_file, f'[[field]]\npath = "{PHONE}"\nlabels = ["{LABEL}"]\n')
        assert pool.call(matched) == PHONE  # the same worker, on its next job
    finally:
        pool.close()
