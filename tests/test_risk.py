"""Safeguarding risk indicators: shipped spaCy rules, each with positive and negated examples."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# The rules run on a small punctuation tokenizer instead of English's; on any text the
# indicators they report must be those the stock English tokenizer would give.
_WORDS = ["no", "not", "concerns", "of", "about", "neglect", "FGM", "suspected", "CSE", "but",
          "forced", "marriage", "honour-based", "violence", "ruled", "out", "none", "domestic",
          "abuse", "trafficking", "county", "lines", "radicalisation", "mum's", "e.g.", "(FGM)",
          "neglect.", "neglect,", "None.", "however", "without", "denied", "unlikely", "Kim",
          "12/03/2024", "FGM/CSE", "...", ":", ";", "-", "\u2013", "\u201cneglect\u201d", "a",
          "child", "sexual", "exploitation", "modern", "slavery", "grooming", "Prevent", "etc.",
          "Mrs.", "isn't", "doesn't", "(", ")", "\"", "neglect;", "i.e.", "N/A", "U.K.", "FGM?",
          "a.m.", "no.", "Dr.", "fgm:", "non-attendance", "self-neglect", "2pm", "\u2018CSE\u2019"]


def _stock_indicators(text: str) -> list[str]:
    import spacy

    from parsers import risk

    nlp = _stock_pipeline()
    found = {ent.label_ for ent in nlp(text).ents if not risk._negated(ent)}
    assert spacy  # imported for the stock tokenizer
    return [i for i in risk.RISK_INDICATORS if i in found]


_STOCK: list = []


def _stock_pipeline():
    if not _STOCK:
        import spacy

        from parsers import risk
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        ruler.add_patterns(risk._patterns())
        _STOCK.append(nlp)
    return _STOCK[0]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=14),
       st.sampled_from(["", ".", "!", "?"]))
def test_rules_tokenizer_agrees_with_stock_english(words, end):
    text = " ".join(words) + end
    assert indicators_in(text) == _stock_indicators(text)


@pytest.mark.parametrize("text", [t for t, _ in POSITIVE] + NEGATED + [
    "No concerns about neglect, but worries about forced marriage.",
    "Concerns (FGM) raised by the GP; social care say: not suspected.",
    "Mum's partner - domestic abuse - police involved.",
    "Risk of CSE/CCE; county-lines involvement suspected.",
])
def test_rules_tokenizer_agrees_on_examples(text):
    assert indicators_in(text) == _stock_indicators(text)


def test_spacy_imported_without_its_cli_still_works():
    import subprocess
    import sys

    code = ("import sys; from parsers.risk import pipeline; pipeline();"
            "assert 'spacy.cli' not in sys.modules and 'requests' not in sys.modules;"
            "import spacy, spacy.cli; assert callable(spacy.cli.download) and callable(spacy.info)")
    subprocess.run([sys.executable, "-c", code], check=True)
