"""The field map's lookup indexes give exactly the answers of the plain scans they replace."""

from __future__ import annotations

import difflib
import random

import pytest

from parsers.mapping.fieldmap import field_map, norm_label
from parsers.mapping.fieldmap_index import Spellings, _overlap, _packed, candidates, content_index
from parsers.mapping.labels import STOPWORDS

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789%/ "


def _misspelt(label: str, rng: random.Random) -> str:
    letters = list(label)
    for _ in range(rng.randint(0, 4)):
        at = rng.randrange(len(letters) + 1)
        if rng.random() < 0.4 and letters:
            letters.pop(min(at, len(letters) - 1))
        else:
            letters.insert(at, rng.choice(ALPHABET + "é-"))
    return "".join(letters)


def test_overlap_counts_shared_characters() -> None:
    rng = random.Random(1)
    for _ in range(1000):
        a = "".join(rng.choice(ALPHABET[: rng.randint(2, len(ALPHABET))]) for _ in range(rng.randint(0, 300)))
        b = "".join(rng.choice(ALPHABET[: rng.randint(2, len(ALPHABET))]) for _ in range(rng.randint(0, 300)))
        packed_a, packed_b = _packed(a), _packed(b)
        if packed_a is None or packed_b is None:
            continue
        assert _overlap(packed_a, packed_b) == sum(min(a.count(c), b.count(c)) for c in set(a))


@pytest.mark.parametrize("cutoff", [0.88, 0.75, 0.6])
def test_closest_is_get_close_matches(cutoff: float) -> None:
    labels = field_map()._all_labels
    spellings = Spellings(labels)
    rng = random.Random(2)
    for _ in range(150):
        key = _misspelt(rng.choice(labels), rng)
        expected = difflib.get_close_matches(key, labels, n=1, cutoff=cutoff)
        assert spellings.closest(key, cutoff) == (expected[0] if expected else None), key


def test_closest_with_odd_characters_and_repeats() -> None:
    rng = random.Random(3)
    labels = ["".join(rng.choice(ALPHABET + "éX-") for _ in range(rng.randint(1, 25)))
              for _ in range(200)]
    labels += labels[:10] + [""]
    spellings = Spellings(labels)
    for _ in range(300):
        key = rng.choice(labels)[: rng.randint(0, 25)] + rng.choice(["", "é", "zz", "a" * 300])
        expected = difflib.get_close_matches(key, labels, n=1, cutoff=0.7)
        assert spellings.closest(key, 0.7) == (expected[0] if expected else None), key


def test_containment_candidates_hold_every_contained_label() -> None:
    fmap = field_map()
    contents = [(label, tokens - STOPWORDS) for label, tokens in fmap._specific_tokens]
    index = content_index(contents)
    rng = random.Random(4)
    words = sorted({word for _, content in contents for word in content})
    for _ in range(500):
        tokens = frozenset(rng.sample(words, rng.randint(1, 8)))
        expected = [p for p, (_, content) in enumerate(contents) if content and content <= tokens]
        found = [p for p in candidates(index, tokens) if contents[p][1] <= tokens]
        assert found == expected


def test_norm_label_keys_use_the_packed_alphabet() -> None:
    """The fast character filter applies to every declared label (else it falls back)."""
    assert all(_packed(norm_label(label)) is not None for label in field_map()._all_labels)
