"""Line signals: the one-pass line keys agree with the per-line ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.dedup import minhash
from cleaners.signals import key_hash, line_hash, line_key, line_keys

# Greek (a final sigma depends on what follows it), combining marks, digits of other
# scripts, and every kind of space and line break
ALPHABET = st.sampled_from([*"aΣσςΟΔ \t\n\r\u2028\u0085\u00a0İ١²é\u0301.!_-'’ß", "\ud800"])
texts = st.one_of(st.text(max_size=60), st.text(ALPHABET, max_size=60))


@settings(deadline=None)
@given(texts)
def test_line_keys_are_each_lines_line_key(text: str) -> None:
    keys = line_keys(text)
    assert keys == [line_key(line) for line in text.split("\n")]


@settings(deadline=None)
@given(texts)
def test_hashes_and_minhash_from_keys_are_the_same(text: str) -> None:
    keys = line_keys(text)
    for line, key in zip(text.split("\n"), keys, strict=True):
        if "\ud800" not in line:  # line_hash encodes strictly
            assert key_hash(key) == line_hash(line)
    a, b = minhash(text), minhash(text, keys)
    assert (a is None and b is None) or (a == b).all()
