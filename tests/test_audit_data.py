"""The replay reads each event's data with orjson where orjson reads it exactly as json.loads does
(pd.audit._data): the same value, or the same refusal, for any text, whatever an editor wrote there."""
from __future__ import annotations

import json
import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pd.audit import _data

_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
                     st.floats(allow_nan=True, allow_infinity=True), st.text())
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                       max_leaves=8)


def _same(a, b) -> bool:
    """Equal values of equal types all the way down (NaN equal to NaN; 1 is not 1.0 nor True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _outcome(read, text):
    try:
        return "value", read(text)
    except (ValueError, TypeError) as exc:
        return "refused", type(exc)


def _check(text) -> None:
    mine, theirs = _outcome(_data, text), _outcome(lambda t: json.loads(t or "{}"), text)
    assert mine[0] == theirs[0], (text, mine, theirs)
    if mine[0] == "value":
        assert _same(mine[1], theirs[1]), (text, mine, theirs)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(), _values, max_size=6))
@example({"assignment": 2**64 + 1, "level": 1})  # beyond 64 bits: orjson reads a float, json.loads an int
@example({"assignment": 123456789012345678901234567890})
@example({"x": float("nan"), "y": float("inf")})
@example({"a": "\ud800"})  # a lone surrogate, as json.dumps writes it (\\ud800)
def test_event_data_reads_as_json_loads_does(data):
    _check(json.dumps(data))
    _check(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
@example('{"a":1,"a":2}')  # a key twice: the last one
@example('{"a": 1} x')
@example('[1, 2]')
@example('"text"')
@example('')
@example('{"a":"x\x00"}')
@example(' {"a": -0} ')
@example('{"a": 1E400}')
def test_any_text_reads_or_is_refused_as_json_loads_does(text):
    _check(text)
