"""Scans and photos: Tesseract's words and boxes fed to the PDF page reader (`parsers.pdf.text`).

Exports nothing itself: `reader.read_image` and `reader.read_scanned_pdf`; `layout` prepares
the page image (flatten, deskew, boxes).
"""
