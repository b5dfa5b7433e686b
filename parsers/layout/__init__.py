"""Format-independent reading of tables and text into label/value entries and grids (every reader
uses it).

Exports nothing itself: `table.table_to_entries` and `cell.Cell`; `text` has the label, tick
and heading tests.
"""
