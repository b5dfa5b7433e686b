"""Word (.docx) forms: tables, content controls, legacy form fields, tick boxes, tracked changes.

Exports nothing itself: `reader.read_docx` (the reader the registry calls) and
`reader.DocxLimits`.
"""
