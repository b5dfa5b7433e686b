"""Normalisers: dates, names, phones, emails, postcodes, UPNs, yes/no and choices, free text.

Exports nothing itself: `normalise` is the facade the mapper uses (`normalise.Normalised` and
one function per kind).
"""
