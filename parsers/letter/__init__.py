"""A referral written as a letter ("Dear CME Team, I am writing to refer ..."): sentences read
by rules into label/value entries, so the field mapper and the rules treat it like a form.

Exports `reader.read_letter` (entries, or ``None`` for text that is not a referral letter).
"""
