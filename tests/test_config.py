"""The settings file: mailbox keys, TLS modes, where secrets may come from, env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.config import load_settings
from parsers.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

IMAP = """
[[mailbox]]
key = "cme"
host = "imap.example.org"
username = "cme@example.org"
password_env = "CME_IMAP_PASSWORD_CME"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cme.toml"
    path.write_text(text)
    return path


def test_example_config_is_valid() -> None:
    settings = load_settings(REPO / "deploy" / "cme-intake.example.toml", environ={})
    keys = [m.key for m in settings.mailbox]
    assert keys == ["cme", "ene", "wnw", "south"]
    cme = settings.mailbox_by_key("cme")
    assert cme is not None and cme.oauth2 is not None and cme.tls == "implicit"
    assert settings.mailbox_by_key("south").source == "maildir"  # type: ignore[union-attr]


def test_defaults_for_an_imap_mailbox(tmp_path: Path) -> None:
    mailbox = load_settings(write(tmp_path, IMAP), environ={}).mailbox[0]
    assert (mailbox.port, mailbox.tls, mailbox.folder) == (993, "implicit", "INBOX")
    assert (mailbox.processed_folder, mailbox.failed_folder) == ("Processed", "Failed")
    assert mailbox.acknowledge is False and mailbox.idle is True


@pytest.mark.parametrize("extra, words", [
    ('password = "hunter2"', "never put a password in the configuration file"),
    ('password_file = "/run/secrets/cme"', "exactly one of password_env, password_file"),
    ('pasword_env = "X"', "pasword_env"),
    ('tls = "none"', "only for loopback"),
    ('tls = "ssl"', "tls"),
    ('key = "north"', "key"),
])
def test_bad_mailbox_settings_are_refused_with_a_reason(tmp_path: Path, extra: str,
                                                         words: str) -> None:
    text = IMAP.replace('key = "cme"\n', "") if extra.startswith("key") else IMAP
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text + extra + "\n"), environ={})
    assert words in caught.value.reason
    assert "hunter2" not in caught.value.reason


def test_plain_imap_is_allowed_on_loopback(tmp_path: Path) -> None:
    text = IMAP.replace("imap.example.org", "127.0.0.1") + 'tls = "none"\nport = 1143\n'
    assert load_settings(write(tmp_path, text), environ={}).mailbox[0].tls == "none"


def test_oauth2_needs_exactly_one_credential(tmp_path: Path) -> None:
    base = IMAP.replace('password_env = "CME_IMAP_PASSWORD_CME"\n', "")
    good = base + '[mailbox.oauth2]\ntenant = "t"\nclient_id = "c"\nclient_secret_env = "S"\n'
    assert load_settings(write(tmp_path, good), environ={}).mailbox[0].oauth2 is not None
    cert = base + ('[mailbox.oauth2]\ntenant = "t"\nclient_id = "c"\n'
                   'certificate_file = "/etc/cme/app.pem"\n')
    with pytest.raises(ConfigError, match="certificate_thumbprint"):
        load_settings(write(tmp_path, cert), environ={})
    neither = base + '[mailbox.oauth2]\ntenant = "t"\nclient_id = "c"\n'
    with pytest.raises(ConfigError, match="exactly one of client_secret_env"):
        load_settings(write(tmp_path, neither), environ={})


def test_environment_overrides_mailbox_and_daemon_keys(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, IMAP), environ={
        "CME_MAILBOX_CME_HOST": "mail.example.net", "CME_DAEMON_BACKOFF_CAP": "60",
        "CME_MAILBOX_CME_ACKNOWLEDGE": "true"})
    assert settings.mailbox[0].host == "mail.example.net"
    assert settings.mailbox[0].acknowledge is True
    assert settings.daemon.backoff_cap == 60


def test_duplicate_mailbox_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only once"):
        load_settings(write(tmp_path, IMAP + IMAP), environ={})


def test_relative_maildir_path_is_next_to_the_file(tmp_path: Path) -> None:
    text = '[[mailbox]]\nkey = "ene"\nsource = "maildir"\npath = "mail/ene"\n'
    mailbox = load_settings(write(tmp_path, text), environ={}).mailbox[0]
    assert mailbox.path == str((tmp_path / "mail" / "ene").resolve())
