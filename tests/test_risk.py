"""Safeguarding risk indicators: shipped spaCy rules, each with positive and negated examples."""

import pytest

from parsers.risk import indicators_in, indicators_in_option

POSITIVE = [
    ("Concerns about possible forced marriage.", "forced_marriage"),
    ("Older sibling was subject to FGM abroad.", "female_genital_mutilation"),
    ("Police shared information about child sexual exploitation.", "child_sexual_exploitation"),
    ("Prevent referral made in May due to radicalisation concerns.", "radicalisation"),
    ("Possible modern slavery: child seen working in a car wash.", "modern_slavery"),
    ("History of domestic abuse in the home.", "domestic_violence"),
    ("Fear of honour-based violence from extended family.", "honour_based_violence"),
    ("Suspected trafficking: adults unrelated to the child.", "human_trafficking"),
    ("Signs of neglect: unwashed uniform, hungry.", "neglect"),
]
NEGATED = [
    "No concerns of neglect.",
    "FGM not suspected.",
    "There are no concerns about forced marriage or radicalisation.",
    "Without any indication of trafficking.",
    "Neglect: none",
    "Domestic violence - not a concern",
    "CSE ruled out by social care.",
]


@pytest.mark.parametrize("text,indicator", POSITIVE)
def test_each_indicator_is_found(text, indicator):
    assert indicators_in(text) == [indicator]


@pytest.mark.parametrize("text", NEGATED)
def test_negated_mentions_do_not_count(text):
    assert indicators_in(text) == []


def test_negation_ends_at_but():
    assert indicators_in("No concerns about neglect, but worries about forced marriage.") == [
        "forced_marriage"]


def test_several_texts_and_order():
    found = indicators_in("Evidence of neglect.", None, "", "Domestic abuse disclosed.")
    assert found == ["domestic_violence", "neglect"]


def test_text_without_indicator_needs_no_spacy():
    assert indicators_in("The family moved to Leeds in August.") == []


def test_options_name_indicators():
    assert indicators_in_option("CSE") == ["child_sexual_exploitation"]
    assert indicators_in_option("Honour-based violence") == ["honour_based_violence"]
    assert indicators_in_option("Looked after child") == []
