"""Column conversions and word finding: the pure parts under every hover and definition."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from kwdocs.cursor import in_string, word_at
from kwdocs.lsp.positions import UTF8, UTF16, UTF32, to_points, to_units, units_len

ENCODINGS = (UTF8, UTF16, UTF32)
_WIDTH = {UTF8: "utf-8", UTF16: "utf-16-le", UTF32: "utf-32-le"}
_UNIT = {UTF8: 1, UTF16: 2, UTF32: 4}


def _units(text: str, encoding: str) -> int:
    return len(text.encode(_WIDTH[encoding], "surrogatepass")) // _UNIT[encoding]


@given(st.text(), st.integers(min_value=0, max_value=300), st.sampled_from(ENCODINGS))
def test_units_round_trip_through_code_points(line: str, points: int, encoding: str):
    units = to_units(line, points, encoding)
    assert units == _units(line[: min(points, len(line))], encoding)
    assert to_points(line, units, encoding) == min(points, len(line))
    assert units_len(line, encoding) == _units(line, encoding)


@given(st.text(), st.integers(min_value=-5, max_value=500), st.sampled_from(ENCODINGS))
def test_any_client_column_lands_on_a_character(line: str, units: int, encoding: str):
    points = to_points(line, units, encoding)
    assert 0 <= points <= len(line)
    # Never past the requested column: the character holding it, or the end of the line.
    assert _units(line[:points], encoding) <= max(units, 0)


def test_non_ascii_columns():
    line = 'x = "é𝔘"; y = Shape()'
    points = line.index("Shape")
    assert to_units(line, points, UTF32) == points
    assert to_units(line, points, UTF16) == points + 1  # 𝔘 is two UTF-16 units
    assert to_units(line, points, UTF8) == points + 1 + 3  # é two bytes, 𝔘 four
    for encoding in ENCODINGS:
        assert to_points(line, to_units(line, points, encoding), encoding) == points


def test_word_at_finds_dotted_names_and_their_parts():
    line = "value = torch.nn.Module(x).forward + self.area"
    assert word_at(line, line.index("nn") + 1).segments == ("torch", "nn")
    assert word_at(line, line.index("Module")).segments == ("torch", "nn", "Module")
    found = word_at(line, line.index("forward") + 3)
    assert found.segments == ("forward",) and found.attribute
    assert word_at(line, line.index("area") + 4).segments == ("self", "area")  # at the end
    assert word_at(line, line.index("=")) is None
    assert word_at("x = 12345", 6) is None
    assert word_at("données = 1", 2).segments == ("données",)
    assert word_at("", 0) is None
    assert word_at("abc", 10) is None


def test_in_string():
    line = "call('text here', \"x\") + name  # 'comment'"
    assert in_string(line, line.index("text"))
    assert in_string(line, line.index('x"'))
    assert not in_string(line, line.index("name"))
    assert not in_string(line, line.index("comment"))
    assert in_string("s = '''doc", 8)
    assert not in_string("s = 'a\\'b' + c", 13)


@given(st.text(max_size=80), st.integers(min_value=0, max_value=90))
def test_word_at_never_fails(line: str, col: int):
    word = word_at(line, col)
    if word is not None:
        assert all(part and not part[0].isdigit() for part in word.segments)
        assert line[word.start : word.end] == word.name
    in_string(line, col)
