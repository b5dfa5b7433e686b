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


MAILDIR = '[[mailbox]]\nkey = "ene"\nsource = "maildir"\npath = "{path}"\n'
MISTAKES = [
    ('[database]\nuri = "postgresql://db/cme"\n', "unknown key database.uri; did you mean url?"),
    ('[databse]\nurl = "sqlite:///x.db"\n', "unknown section [databse]; did you mean [database]?"),
    ("[limits]\ndocument_wall_second = 5\n",
     "unknown key limits.document_wall_second; did you mean document_wall_seconds?"),
    ('[smtp]\nhots = "mail.example.org"\n', "unknown key smtp.hots; did you mean host?"),
    ("[web]\nsecure_cookie = true\n", "unknown key web.secure_cookie; did you mean secure_cookies?"),
    ("[rules]\nreferal_due_school_days = 10\n",
     "unknown key rules.referal_due_school_days; did you mean referral_due_school_days?"),
    ("[[rules.holidays]]\nstart = 2026-12-21\nedn = 2027-01-01\n",
     "unknown key rules.holidays[0].edn; did you mean end?"),
    ("[daemon]\nbackof_cap = 60\n", "unknown key daemon.backof_cap; did you mean backoff_cap?"),
    ('@mailbox@maxmessage_bytes = 10\n',
     "unknown key mailbox[ene].maxmessage_bytes; did you mean max_message_bytes?"),
]


def cli(*args: str) -> tuple[int, list[str]]:
    """The CLI in-process: exit code and output lines (no exception may escape)."""
    from typer.testing import CliRunner

    from intake.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [line for line in result.output.splitlines() if line]


def test_the_real_entry_point_says_it_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    config = write(tmp_path, '[database]\nuri = "postgresql://db/cme"\n')
    done = subprocess.run([sys.executable, "-m", "intake.cli", "run", "--once", "--config",
                           str(config)], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"cme-intake: configuration file {config} is not valid: unknown key database.uri; "
        "did you mean url?"]


@pytest.mark.parametrize("command", [["check-config"], ["run", "--once"]])
@pytest.mark.parametrize("mistake, words", MISTAKES, ids=[w.split(";")[0] for _, w in MISTAKES])
def test_each_mistake_is_refused_by_both_commands_in_one_line(tmp_path: Path, command: list[str],
                                                              mistake: str, words: str) -> None:
    mailbox = MAILDIR.format(path=tmp_path / "ene")
    text = mailbox + mistake.replace("@mailbox@", "") if mistake.startswith("@") \
        else mistake + "\n" + mailbox
    code, lines = cli(*command, "--config", str(write(tmp_path, text)))
    assert code != 0 and len(lines) == 1, lines
    assert words in lines[0] and "Traceback" not in lines[0]


@pytest.mark.parametrize("command", [["check-config"], ["run", "--once"]])
def test_a_maildir_whose_parent_is_missing_is_refused_by_both(tmp_path: Path,
                                                              command: list[str]) -> None:
    path = tmp_path / "srv" / "mail" / "ene"
    code, lines = cli(*command, "--config", str(write(tmp_path, MAILDIR.format(path=path))))
    assert code != 0 and len(lines) == 1, lines
    assert f"the folder {path.parent} that should hold the Maildir ene does not exist" in lines[0]
    assert not (tmp_path / "srv").exists(), "nothing is created"


def test_a_maildir_whose_parent_exists_is_created_by_run_and_noted_by_check(tmp_path: Path) -> None:
    config = write(tmp_path, f'[database]\nurl = "sqlite:///{tmp_path / "cases.db"}"\n'
                   + MAILDIR.format(path=tmp_path / "ene"))
    code, lines = cli("check-config", "--config", str(config))
    assert code == 0 and "does not exist yet: the daemon will create it" in " ".join(lines)
    code, _lines = cli("run", "--once", "--config", str(config))
    assert code == 0 and (tmp_path / "ene" / "new").is_dir()


def test_a_graph_mailbox_gets_graph_defaults(tmp_path: Path) -> None:
    text = ('[[mailbox]]\nkey = "cme"\nsource = "graph"\nusername = "cme@council.example.org"\n'
            '[mailbox.oauth2]\ntenant = "t"\nclient_id = "c"\nclient_secret_env = "S"\n')
    mailbox = load_settings(write(tmp_path, text), environ={}).mailbox[0]
    assert mailbox.poll_interval == 30 and mailbox.graph_url == "https://graph.microsoft.com/v1.0"
    assert mailbox.oauth2 is not None and mailbox.oauth2.scope == "https://graph.microsoft.com/.default"
    with pytest.raises(ConfigError, match="graph source needs 'username'"):
        load_settings(write(tmp_path, text.replace('username = "cme@council.example.org"\n', "")),
                      environ={})
