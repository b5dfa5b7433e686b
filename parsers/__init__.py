"""Form and email parsers: pure functions from bytes to structured values."""
