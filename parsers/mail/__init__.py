"""Email: walk a message's MIME tree into attachments, headers and body text, incl. .msg and
archives.

Exports nothing itself: `walker.walk_message` (the entry point), `parts.Attachment`,
`msg.read_msg`, `archive.read_archive`, `secure.portal_of` (secure-mail portal notices).
"""
