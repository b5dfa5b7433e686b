"""The pure core: raw message bytes to documents, record and flags (no network, database or
settings file).

Exports nothing itself: `pipeline.parse_message` / `parse_document`, `rules.evaluate`,
`case_rules.CoreCaseRules`, `parse_job`.
"""
