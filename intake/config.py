"""The one settings object: a TOML file plus ``CME_…`` environment variables.

Every key in the file may be overridden from the environment as ``CME_<SECTION>_<KEY>``
(``CME_DATABASE_URL``, ``CME_RULES_REFERRAL_DUE_SCHOOL_DAYS``), and a mailbox's keys as
``CME_MAILBOX_<MAILBOX>_<KEY>`` (``CME_MAILBOX_ENE_HOST``). Shells read the settings once and
pass plain values down; the pure core never looks settings up.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from intake.config_keys import unknown_keys
from intake.config_oidc import OidcSettings
from intake.config_parsing import OVERLAY_NAME, ParsingSettings, use_wording_overlay
from intake.config_schools import SchoolsSettings
from parsers.errors import ConfigError

GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GRAPH_POLL_INTERVAL = 30.0  # seconds between delta queries: Graph has no IDLE


def default_database_url() -> str:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'cme-intake' / 'cases.db'}"


class DatabaseSettings(BaseModel):
    url: str = Field(default_factory=default_database_url, description="any SQLAlchemy URL")


class OAuth2Settings(BaseModel):
    """Microsoft 365 app-only (client credentials) access for IMAP XOAUTH2 or Graph."""

    tenant: str
    client_id: str
    client_secret_env: str | None = None
    client_secret_file: str | None = None
    certificate_file: str | None = None
    certificate_thumbprint: str | None = None
    authority: str | None = None  # default https://login.microsoftonline.com/<tenant>
    scope: str = "https://outlook.office365.com/.default"  # graph mailboxes: GRAPH_SCOPE
    token_endpoint: str | None = None  # plain client-credentials POST instead of msal
    ca_file: str | None = None  # CA bundle for the token service (TLS-inspecting proxies)

    @model_validator(mode="after")
    def _one_credential(self) -> OAuth2Settings:
        given = [n for n in ("client_secret_env", "client_secret_file", "certificate_file")
                 if getattr(self, n)]
        if len(given) != 1:
            raise ValueError("oauth2 needs exactly one of client_secret_env, client_secret_file "
                             "or certificate_file (with certificate_thumbprint)")
        if self.certificate_file and not self.certificate_thumbprint:
            raise ValueError("oauth2 certificate_file needs certificate_thumbprint")
        return self


class MailboxSettings(BaseModel):
    """One watched mailbox. Secrets come from the environment or a file, never the TOML."""

    model_config = ConfigDict(extra="forbid")

    key: Literal["cme", "ene", "wnw", "south"]
    source: Literal["imap", "maildir", "graph"] = "imap"
    address: str | None = None
    host: str | None = None
    port: int = 993
    tls: Literal["implicit", "starttls", "none"] = "implicit"
    tls_ca_file: str | None = None
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    oauth2: OAuth2Settings | None = None
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    failed_folder: str = "Failed"
    path: str | None = None
    graph_url: str = GRAPH_URL  # national clouds have their own Graph host
    idle: bool = True
    poll_interval: float = 60.0
    max_message_bytes: int = 50 * 1024 * 1024
    acknowledge: bool = False

    # Keys refused with their own reason (never put a secret in the file), not as unknown.
    refused_keys: ClassVar[tuple[str, ...]] = ("password", "client_secret")

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secret(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(k in data for k in ("password", "client_secret")):
            raise ValueError(f"mailbox {data.get('key', '?')}: never put a password in the "
                             "configuration file; use password_env or password_file")
        return data

    @model_validator(mode="after")
    def _check_source(self) -> MailboxSettings:
        if self.source == "maildir" and not self.path:
            raise ValueError(f"mailbox {self.key}: a maildir source needs 'path'")
        if self.source == "imap" and not self.host:
            raise ValueError(f"mailbox {self.key}: an imap source needs 'host'")
        if self.tls == "none" and self.host not in (None, "localhost", "127.0.0.1", "::1"):
            raise ValueError(f"mailbox {self.key}: tls = 'none' is allowed only for loopback")
        if self.source == "graph":
            self._check_graph()
        if self.source == "imap":
            if not self.username:
                raise ValueError(f"mailbox {self.key}: an imap source needs 'username'")
            given = [n for n in ("password_env", "password_file", "oauth2") if getattr(self, n)]
            if len(given) != 1:
                raise ValueError(f"mailbox {self.key}: give exactly one of password_env, "
                                 "password_file or [mailbox.oauth2]")
        if self.poll_interval <= 0 or self.max_message_bytes <= 0:
            raise ValueError(f"mailbox {self.key}: poll_interval and max_message_bytes must be > 0")
        return self

    def _check_graph(self) -> None:
        """A graph mailbox: the mailbox's address, app-only OAuth, Graph's own defaults."""
        if not self.username or self.oauth2 is None:
            raise ValueError(f"mailbox {self.key}: a graph source needs 'username' (the "
                             "mailbox's address) and [mailbox.oauth2]")
        if self.password_env or self.password_file:
            raise ValueError(f"mailbox {self.key}: a graph source signs in with "
                             "[mailbox.oauth2], not a password")
        if not self.graph_url.startswith("https://"):
            raise ValueError(f"mailbox {self.key}: graph_url must be an https:// URL")
        if "poll_interval" not in self.model_fields_set:
            self.poll_interval = GRAPH_POLL_INTERVAL
        if "scope" not in self.oauth2.model_fields_set:
            self.oauth2.scope = GRAPH_SCOPE


class HolidaySettings(BaseModel):
    start: date
    end: date


class RulesSettings(BaseModel):
    referral_due_school_days: int = 20
    compulsory_age_min: int = 5
    compulsory_age_max: int = 16
    low_confidence_below: float = 0.75
    holidays: list[HolidaySettings] = Field(default_factory=list)


class RetentionSettings(BaseModel):
    """Case closure outcomes and how long a closed case is kept (models.lifecycle, .purge)."""

    years_after_closure: int = Field(default=6, ge=0,
                                     description="purge a case this long after it closed")
    keep_until_age: int | None = Field(default=None, ge=0,
                                       description="and not before the child is this old")
    outcomes: list[str] = Field(default_factory=lambda: [
        "on_roll_new_school", "moved_la_notified", "left_country", "elective_home_education",
        "missing_referred_social_care", "missing_referred_police", "other"],
        description="the outcome codes a case may be closed with")


class LimitsSettings(BaseModel):
    document_wall_seconds: float = 30.0
    document_memory_mb: int = 512
    max_pdf_pages: int = 100
    max_docx_uncompressed_mb: int = 100
    max_attachments: int = 200


class SmtpSettings(BaseModel):
    host: str = "localhost"
    port: int = 25
    tls: Literal["implicit", "starttls", "none"] = "none"
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    sender: str = "cme-intake@localhost"
    timeout: float = 30.0


class DaemonSettings(BaseModel):
    """Tuning of ``cme-intake run``; the defaults suit Exchange Online and Dovecot alike."""

    backoff_initial: float = 1.0       # first retry after an account-level fault (seconds)
    backoff_cap: float = 300.0         # retries never wait longer than this
    max_attempts: int = 3              # a message failing this often goes to the failed folder
    once_attempts: int = 3             # --once gives a faulty mailbox this many tries
    idle_check_seconds: float = 30.0   # one idle_check() wait
    idle_renew_seconds: float = 540.0  # leave and re-enter IDLE (RFC 2177: under 29 min)
    connect_timeout: float = 30.0      # socket timeout for IMAP connections
    standby_check_seconds: float = 2.0  # a second daemon checks this often to take over
    once_lease_wait: float = 30.0      # --once waits this long for another daemon's lease
    parse_ahead: int = 3               # messages parsed on the document workers ahead of the
                                       # one being stored (0: parse each in turn)


class WebSettings(BaseModel):
    secret_key_file: str | None = None
    password_login: bool = True  # false: only the OpenID provider signs people in
    oidc: OidcSettings | None = None
    session_idle_minutes: int = 30
    secure_cookies: bool = True
    login_attempts_before_lock: int = 5
    login_lock_minutes: int = Field(default=15, ge=1, description="how long a sign-in lock lasts")
    # Rendered pages of the original forms, by document hash (default: XDG cache folder).
    page_cache_dir: str | None = None
    # Addresses (or CIDR networks) of the council's reverse proxies: X-Forwarded-For is
    # believed only when the connection comes from one of them.
    trusted_proxies: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _proxies_from_text(cls, data: Any) -> Any:
        """``CME_WEB_TRUSTED_PROXIES="10.0.0.5, 10.1.0.0/16"`` from the environment."""
        if isinstance(data, dict) and isinstance(data.get("trusted_proxies"), str):
            data = {**data, "trusted_proxies": [p.strip() for p in
                                                data["trusted_proxies"].split(",") if p.strip()]}
        return data

    @model_validator(mode="after")
    def _check_proxies(self) -> WebSettings:
        import ipaddress

        if not self.password_login and self.oidc is None:
            raise ValueError("web.password_login = false needs [web.oidc]: no one could sign in")

        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"web.trusted_proxies: {proxy!r} is not an address or "
                                 "network") from None
        return self


class Settings(BaseModel):
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    mailbox: list[MailboxSettings] = Field(default_factory=list)
    rules: RulesSettings = Field(default_factory=RulesSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    schools: SchoolsSettings = Field(default_factory=SchoolsSettings)  # on when given
    parsing: ParsingSettings = Field(default_factory=ParsingSettings)

    @property
    def schools_configured(self) -> bool:
        """A ``[schools]`` section (or a ``CME_SCHOOLS_…`` variable) turns the register on."""
        return "schools" in self.model_fields_set

    @model_validator(mode="after")
    def _unique_keys(self) -> Settings:
        keys = [m.key for m in self.mailbox]
        if len(keys) != len(set(keys)):
            raise ValueError("each mailbox key (cme, ene, wnw, south) may appear only once")
        return self

    def mailbox_by_key(self, key: str) -> MailboxSettings | None:
        return next((m for m in self.mailbox if m.key == key), None)


_SECTIONS = ("database", "rules", "limits", "smtp", "web", "daemon", "schools", "retention",
             "parsing")


def _overlay_environment(raw: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    for section in _SECTIONS:
        fields = Settings.model_fields[section].annotation.model_fields  # type: ignore[union-attr]
        for name in fields:
            value = environ.get(f"CME_{section}_{name}".upper())
            if value is not None:
                raw.setdefault(section, {})[name] = value
    for entry in raw.get("mailbox", []):
        for name in MailboxSettings.model_fields:
            value = environ.get(f"CME_MAILBOX_{entry.get('key', '')}_{name}".upper())
            if value is not None:
                entry[name] = value
    return raw


def load_settings(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read the TOML file (if any) and the environment; raise ConfigError with a clear reason."""
    process = environ is None
    environ = dict(os.environ if environ is None else environ)
    raw: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"configuration file not found: {file}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration file {file} is not valid TOML: {exc}") from exc
        unknown = unknown_keys(raw, Settings)
        if unknown:
            raise ConfigError(f"configuration file {file} is not valid: {'; '.join(unknown)}")
        _resolve_relative_paths(raw, file.parent)
    try:
        settings = Settings.model_validate(_overlay_environment(raw, environ))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"configuration is not valid: {problems}") from exc
    if path is not None and settings.parsing.wording_overlay is None:
        settings.parsing.wording_overlay = str(Path(path).resolve().parent / OVERLAY_NAME)
    if process:
        use_wording_overlay(settings.parsing.wording_overlay)
    return settings


def _resolve_relative_paths(raw: dict[str, Any], base: Path) -> None:
    """Maildir paths and sqlite files written relative to the config file stay next to it."""
    for entry in raw.get("mailbox", []):
        if isinstance(entry.get("path"), str) and not os.path.isabs(entry["path"]):
            entry["path"] = str((base / entry["path"]).resolve())
    url = raw.get("database", {}).get("url")
    if isinstance(url, str) and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rel = url[len("sqlite:///"):]
        if rel and not os.path.isabs(rel):
            raw["database"]["url"] = f"sqlite:///{(base / rel).resolve()}"
    overrides = raw.get("schools", {}).get("overrides_file") if isinstance(
        raw.get("schools"), dict) else None
    if isinstance(overrides, str) and not os.path.isabs(overrides):
        raw["schools"]["overrides_file"] = str((base / overrides).resolve())
    overlay = raw.get("parsing", {}).get("wording_overlay") if isinstance(
        raw.get("parsing"), dict) else None
    if isinstance(overlay, str) and not os.path.isabs(overlay):
        raw["parsing"]["wording_overlay"] = str((base / overlay).resolve())
