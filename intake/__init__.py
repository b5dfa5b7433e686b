"""cme-intake: Children Missing Education referral intake."""

__version__ = "0.1.0"
