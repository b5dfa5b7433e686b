"""PDF forms: fillable AcroForm values, and printed text read from words and ruling lines by
position.

Exports nothing itself: `reader.read_pdf`; `text.read_page` is the positioned-page reader that
OCR reuses.
"""
