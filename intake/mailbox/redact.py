"""A logging filter that keeps credentials and tokens out of every log line.

Two nets: exact values registered at run time (passwords, client secrets, access tokens,
as soon as they are read or issued), and patterns for the shapes credentials take on the
wire (``LOGIN user "secret"``, ``AUTHENTICATE XOAUTH2 <base64>``, ``auth=Bearer …``,
``client_secret=…``, ``"access_token": "…"``). The filter is installed on the root
handlers and on the imapclient loggers, which log protocol lines at DEBUG.
"""

from __future__ import annotations

import logging
import re
import threading

_MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()
_TOKEN = r"[A-Za-z0-9._~+/=-]"
# Shapes credentials take on the wire, and only those: plain English such as "login refused
# for cme" or "Bearer authentication" must come through unchanged.
_PATTERNS = [
    # IMAP LOGIN as sent: a tag (it has a digit), LOGIN in capitals, the user, the password.
    (re.compile(r"(\b(?=[A-Za-z0-9.]*\d)[A-Za-z0-9.]+ LOGIN\s+\S+\s+)"
                r"(\"(?:[^\"\\]|\\.)*\"|\S+)"), r"\1" + _MASK),
    (re.compile(r"(AUTHENTICATE\s+(?:XOAUTH2|OAUTHBEARER|PLAIN)\s+)\S+"), r"\1" + _MASK),
    (re.compile(r"(auth=Bearer\s+)[^\s\x01]+", re.I), r"\1" + _MASK),
    # A bearer token: long, and with a digit or punctuation no English word has.
    (re.compile(rf"(Bearer\s+)(?={_TOKEN}{{16,}})(?={_TOKEN}*[0-9._~+/=-]){_TOKEN}+"),
     r"\1" + _MASK),
    # key=value (forms, URLs) or "key": "value" (JSON), never "password: " in a sentence.
    (re.compile(r"((?:client_secret|password|access_token|refresh_token|client_assertion)"
                r"(?:=|[\"']\s*:\s*[\"']))[^\"'&\s,}]+", re.I), r"\1" + _MASK),
]


def register_secret(value: str | None) -> None:
    """Mask this exact value (and its longer substrings) wherever it would be logged."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not kill logging
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()


def install_redaction(*loggers: logging.Logger) -> RedactingFilter:
    """Attach the filter to the root handlers, the imapclient loggers and any given loggers."""
    targets: list[logging.Filterer] = list(logging.getLogger().handlers)
    targets += [logging.getLogger(n) for n in ("imapclient", "imapclient.imaplib", "msal")]
    targets += list(loggers)
    for target in targets:
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
    return _FILTER
