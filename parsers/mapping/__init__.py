"""The field map (`fields.toml`, every field declared once) and the mapper from entries to the
record.

Exports nothing itself: `fieldmap.field_map`, `mapper.map_form`; `grids` and `values` are the
mapper's parts.
"""
