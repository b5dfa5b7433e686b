"""Account-level mailbox faults, and plain advice for each.

A source translates whatever its library raised (socket, TLS, IMAP protocol) into one of
these, so the daemon needs only two decisions: back off and retry (every fault here), and
how long (``Throttled`` carries the server's hint). ``advice`` turns a fault into the
sentence ``check-config`` prints: what is wrong and what to change, never a credential.
"""

from __future__ import annotations

import re
import socket
import ssl

from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from parsers.errors import MailboxError


class SourceUnavailable(MailboxError):
    """The mailbox cannot be reached or used right now: reconnect later, with backoff."""


class LoginFailed(SourceUnavailable):
    """The server refused the credentials (or the token)."""


class Throttled(SourceUnavailable):
    """The server asked us to slow down; ``retry_after`` is its hint in seconds, if any."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TokenExpired(SourceUnavailable):
    """Exchange ended the session because the OAuth token expired: fetch a new one."""


_THROTTLE = re.compile(r"\[THROTTLED\]|Server Unavailable|Request is throttled", re.I)
_BACKOFF_HINT = re.compile(r"Backoff Time:\s*(\d+)\s*milliseconds", re.I)
_AUTH_FAILED = re.compile(r"AUTHENTICATIONFAILED|LOGIN failed|Invalid credentials|"
                          r"AUTHENTICATE failed|Authentication failed", re.I)


def throttle_hint(text: str) -> Throttled | None:
    """Exchange's throttling replies (NO/BAD ... [THROTTLED] / Request is throttled)."""
    if not _THROTTLE.search(text):
        return None
    match = _BACKOFF_HINT.search(text)
    delay = int(match.group(1)) / 1000 if match else None
    return Throttled("the server is throttling this client", retry_after=delay)


def translate(exc: BaseException, *, where: str, user: str | None = None,
              oauth: bool = False) -> SourceUnavailable:
    """Map a socket/TLS/IMAP exception to a fault whose reason is plain advice."""
    if isinstance(exc, SourceUnavailable):
        return exc
    text = str(exc)
    if isinstance(exc, IMAPClientError) and (hint := throttle_hint(text)):
        return hint
    if "AccessTokenExpired" in text:
        return TokenExpired(f"{where}: the session ended because the OAuth token expired")
    if isinstance(exc, LoginError) or (isinstance(exc, IMAPClientError) and _AUTH_FAILED.search(text)):
        return LoginFailed(_login_advice(where, user, oauth))
    return SourceUnavailable(_network_advice(exc, where))


def _login_advice(where: str, user: str | None, oauth: bool) -> str:
    if oauth:
        return (f"{where}: the server refused the OAuth token for {user!s}: check that the app "
                "has the IMAP.AccessAsApp application permission with admin consent, that the "
                "Exchange service principal exists and has Add-MailboxPermission FullAccess on "
                "this mailbox (docs/microsoft-365.md)")
    return (f"{where}: login refused for {user!s} (wrong user name or password). "
            "Check the password in password_env/password_file. Microsoft 365 no longer accepts "
            "passwords (basic auth is off): use [mailbox.oauth2]. Gmail needs an app password "
            "or OAuth.")


def _network_advice(exc: BaseException, where: str) -> str:
    if isinstance(exc, socket.gaierror):
        return f"{where}: the host name cannot be resolved (DNS): check 'host'"
    if isinstance(exc, ConnectionRefusedError):
        return f"{where}: connection refused: check 'host' and 'port' and that the server is up"
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = getattr(exc, "verify_message", None) or "unknown reason"
        return (f"{where}: the server's TLS certificate cannot be verified ({why}): fix the "
                "certificate, or point tls_ca_file at the CA that signed it")
    if isinstance(exc, ssl.SSLError):
        why = getattr(exc, "reason", None) or type(exc).__name__
        return (f"{where}: the TLS handshake failed ({why}): check 'port' and 'tls' "
                "(implicit TLS is usually port 993, starttls port 143)")
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"{where}: no answer from the server in time (firewall, or a wrong port?)"
    if isinstance(exc, IMAPClientAbortError):
        return f"{where}: the server closed the connection"
    if isinstance(exc, ConnectionError):
        return f"{where}: the connection was lost ({type(exc).__name__})"
    if isinstance(exc, OSError):
        return f"{where}: network error ({exc.strerror or type(exc).__name__})"
    if isinstance(exc, IMAPClientError):
        return f"{where}: the server refused a command ({_first_line(text=str(exc))})"
    return f"{where}: {type(exc).__name__}"


def _first_line(*, text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]
