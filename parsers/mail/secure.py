"""Notices from encrypted-mail portals: the form is behind a link, not in the email.

Schools that must not email a child's details in the clear use a secure-mail service
(Egress, Galaxkey, Microsoft 365 Message Encryption, Cryptshare, ...). What reaches the CME
mailbox is then a notice with a link, sometimes with a wrapper attachment (``message.html``,
``message_v2.rpmsg``) that is not the form. Read as an ordinary email it would only say "no
referral form"; the AIO needs to know where the form is, so the pipeline records the
notice's reason on the body (or on the wrapper attachment) as an unreadable document.
"""

from __future__ import annotations

import re

# (portal as named to the AIO, patterns found in the sender, subject, body or link)
PORTALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Egress", re.compile(r"\begress\b|switch\.egress\.com|egress\s+(?:secure|protect)",
                          re.I)),
    ("Galaxkey", re.compile(r"galaxkey", re.I)),
    ("Microsoft 365 Message Encryption", re.compile(
        r"you(?:'|’)ve received an encrypted message|(?:office|microsoft)\s*365 message "
        r"encryption|outlook\.office365\.com/encryption|message_v2\.rpmsg|\.rpmsg\b", re.I)),
    ("Cryptshare", re.compile(r"cryptshare", re.I)),
    ("Mimecast Secure Messaging", re.compile(r"mimecast secure messag", re.I)),
    ("Proofpoint Encryption", re.compile(r"proofpoint encrypt|securemail\.proofpoint", re.I)),
    ("Virtru", re.compile(r"\bvirtru\b", re.I)),
    ("Zix", re.compile(r"\bzix(?:mail|message|correct)?\b.{0,40}secure|secure.{0,40}\bzix", re.I)),
)
_NOTICE_WORDS = re.compile(
    r"secure (?:e-?mail|message)|encrypted (?:e-?mail|message)|protected (?:e-?mail|message)|"
    r"read the message|view the message|open the message|sign in to|click (?:here|the link|"
    r"below)|has sent you (?:a|files)|to read (?:it|this)", re.I)
_WRAPPERS = re.compile(r"(?:^|/)(?:message(?:_v2)?\.rpmsg|message\.html?|"
                       r"secure ?message.*\.html?|.*\.rpmsg)$", re.I)
MAX_SCAN_CHARS = 20_000


def portal_of(*, subject: str | None, body: str, sender: str | None,
              filenames: list[str]) -> str | None:
    """The portal a notice comes from, or None when the email is not such a notice.

    A name alone is not enough (a school may mention Egress in a signature): the email
    must also read like a notice (a secure/encrypted message, a link to open) or carry a
    portal's wrapper attachment.
    """
    text = "\n".join([sender or "", subject or "", body[:MAX_SCAN_CHARS], *filenames])
    for name, pattern in PORTALS:
        if pattern.search(text) and (_NOTICE_WORDS.search(text) or
                                     any(is_wrapper(f) for f in filenames)):
            return name
    return None


def is_wrapper(filename: str | None) -> bool:
    """A portal's own attachment (``message.html``, an ``.rpmsg``), not the school's file."""
    return bool(filename) and bool(_WRAPPERS.search(filename or ""))


def reason(portal: str) -> str:
    return (f"the school sent the form through the {portal} secure-mail portal: open it there "
            "and save the form into the case")
