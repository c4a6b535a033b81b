from __future__ import annotations

import pytest

from audio_engine.keys import (
    COMPATIBLE,
    TRANSITIONS,
    Key,
    KeyParseError,
    camelot_relation,
    compatible_shift,
    describe_relation,
    from_camelot,
    layers_well,
    parse_key,
    transpose,
)

ALL_KEYS = [Key(t, m) for t in range(12) for m in ("major", "minor")]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "name", "camelot"),
    [
        ("A minor", "A minor", "8A"),
        ("C major", "C major", "8B"),
        ("Am", "A minor", "8A"),
        ("a", "A major", "11B"),
        ("E minor", "E minor", "9A"),
        ("G", "G major", "9B"),
        ("Bbm", "A# minor", "3A"),
        ("Db major", "C# major", "3B"),
        ("F# major", "F# major", "2B"),
        ("D# minor", "D# minor", "2A"),
        ("8A", "A minor", "8A"),
        ("12b", "E major", "12B"),
        ("1A", "G# minor", "1A"),
        ("5A", "C minor", "5A"),
    ],
)
def test_parse_names_and_camelot(text: str, name: str, camelot: str) -> None:
    k = parse_key(text)
    assert k.name == name
    assert k.camelot == camelot


def test_every_key_round_trips_through_name_and_camelot() -> None:
    codes = set()
    for k in ALL_KEYS:
        assert parse_key(k.name).same_key(k)
        assert from_camelot(k.camelot).same_key(k)
        codes.add(k.camelot)
    assert len(codes) == 24


def test_camelot_matches_the_corpus_tables(songs: list) -> None:  # type: ignore[type-arg]
    for s in songs:
        k = parse_key(s.truth["key"]["name"])
        assert k.camelot == s.truth["key"]["camelot"]


@pytest.mark.parametrize("bad", ["", "H major", "13A", "0B", "C lydian", "8C", "minor"])
def test_bad_keys_are_rejected(bad: str) -> None:
    with pytest.raises(KeyParseError):
        parse_key(bad)
    assert issubclass(KeyParseError, ValueError)


def test_key_validates_fields() -> None:
    with pytest.raises(KeyParseError):
        Key(12, "major")
    with pytest.raises(KeyParseError):
        Key(0, "dorian")  # type: ignore[arg-type]


def test_transpose_wraps_and_relative() -> None:
    assert transpose(parse_key("B major"), 1).name == "C major"
    assert transpose(parse_key("C minor"), -1).name == "B minor"
    assert transpose(parse_key("A minor"), 12).name == "A minor"
    assert parse_key("A minor").relative.name == "C major"
    assert parse_key("C major").relative.name == "A minor"


@pytest.mark.parametrize(
    ("a", "b", "rel"),
    [
        ("8A", "8A", "same"),
        ("8A", "8B", "relative"),
        ("8A", "9A", "adjacent"),
        ("12A", "1A", "adjacent"),
        ("8B", "7B", "adjacent"),
        ("8A", "10A", "energy-boost"),
        ("1B", "11B", "energy-boost"),
        ("8A", "9B", "clash"),
        ("8A", "2A", "clash"),
    ],
)
def test_camelot_relation(a: str, b: str, rel: str) -> None:
    assert camelot_relation(from_camelot(a), from_camelot(b)) == rel
    assert camelot_relation(from_camelot(b), from_camelot(a)) == rel


def test_compatible_shift_is_minimal_and_compatible_for_all_pairs() -> None:
    for a in ALL_KEYS:
        for b in ALL_KEYS:
            shift, rel = compatible_shift(a, b)
            assert rel in COMPATIBLE
            assert camelot_relation(a, transpose(b, shift)) == rel
            # No smaller shift would do.
            for s in range(-abs(shift) + 1, abs(shift)):
                assert camelot_relation(a, transpose(b, s)) not in COMPATIBLE
            assert abs(shift) <= 6


def test_compatible_shift_prefers_no_shift_and_best_relation() -> None:
    assert compatible_shift(parse_key("A minor"), parse_key("C major")) == (0, "relative")
    assert compatible_shift(parse_key("C major"), parse_key("C# major")) == (-1, "same")
    assert compatible_shift(parse_key("C major"), parse_key("B major"))[0] == 1
    assert compatible_shift(parse_key("A minor"), parse_key("A minor"), max_shift=0) == (0, "same")
    assert compatible_shift(parse_key("A minor"), parse_key("G# major"), max_shift=0) == (0, "clash")


def test_energy_boost_is_a_transition_not_a_layering_relation() -> None:
    a, b = from_camelot("8A"), from_camelot("10A")  # A minor, B minor: an energy boost
    assert camelot_relation(a, b) == "energy-boost"
    assert "energy-boost" in TRANSITIONS and "energy-boost" not in COMPATIBLE
    assert not layers_well(a, b)
    # Layered, B minor must move: two semitones down to A minor (the least
    # shift that reaches a layering relation), never left as a "boost".
    assert compatible_shift(a, b) == (-2, "same")
    assert "transition" in describe_relation(a, b)
    assert "relative" in describe_relation(parse_key("A minor"), parse_key("C major"))


def test_compatible_shift_only_reaches_layering_relations_with_least_shift() -> None:
    for a in ALL_KEYS:
        for b in ALL_KEYS:
            shift, rel = compatible_shift(a, b)
            assert rel in ("same", "relative", "adjacent")
            assert layers_well(a, transpose(b, shift))
            assert not any(layers_well(a, transpose(b, s)) for s in range(-6, 7) if abs(s) < abs(shift))
