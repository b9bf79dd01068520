"""What cleaners.mojibake reads of ftfy's and wordfreq's internals, and why both are
pinned to a minor version (pyproject.toml): these fail when a release moves them."""

from __future__ import annotations

import codecs
import importlib.util
import inspect
import re
from pathlib import Path

import ftfy
import pytest
import wordfreq
from ftfy import badness, chardata, fixes

from cleaners.mojibake import FTFY_CONFIG, engine
from cleaners.mojibake import words as W


def test_ftfy_tables_and_patterns_are_as_read() -> None:
    # engine and codepages decode a line from each of these code pages, and map the
    # ones ftfy reports decoding from to their own names.
    assert isinstance(chardata.CHARMAP_ENCODINGS, list)
    assert all(isinstance(e, str) for e in chardata.CHARMAP_ENCODINGS)
    for name in ("latin-1", "sloppy-windows-1252", "sloppy-windows-1251", "macroman"):
        assert name in chardata.CHARMAP_ENCODINGS
        assert name in engine._FTFY_CODECS
    # ALTERED_UTF8_RE is searched in bytes, UTF8_DETECTOR_RE in text.
    assert isinstance(chardata.ALTERED_UTF8_RE, re.Pattern)
    assert isinstance(chardata.ALTERED_UTF8_RE.pattern, bytes)
    assert chardata.ALTERED_UTF8_RE.search(b"voil\xc3  tout")
    assert isinstance(chardata.UTF8_DETECTOR_RE, re.Pattern)
    assert isinstance(chardata.UTF8_DETECTOR_RE.pattern, str)
    assert chardata.UTF8_DETECTOR_RE.search("donâ€™t")


def test_ftfy_functions_are_as_called() -> None:
    assert badness.is_bad("donâ€™t") is True
    assert badness.is_bad("don’t") is False
    assert list(inspect.signature(fixes.restore_byte_a0).parameters) == ["byts"]
    assert fixes.restore_byte_a0(b"voil\xc3  tout") == b"voil\xc3\xa0 tout"  # "voilà tout"
    assert list(inspect.signature(fixes.replace_lossy_sequences).parameters) == ["byts"]
    assert fixes.replace_lossy_sequences(b"caf\xc3?") == b"caf" + "\ufffd".encode()
    # The codecs ftfy.bad_codecs registers, which garbling and decoding name.
    for name in ("sloppy-windows-1251", "sloppy-windows-1252", "utf-8-variants"):
        assert codecs.lookup(name)


def test_ftfy_explains_its_steps_as_read() -> None:
    # codecs_ftfy_decoded reads ("encode", code page) and ("apply", step) pairs.
    steps = ftfy.fix_encoding_and_explain("donâ€™t", config=FTFY_CONFIG).explanation
    assert steps == [("encode", "sloppy-windows-1252"), ("decode", "utf-8")]
    inconsistent = ftfy.fix_encoding_and_explain("Ã©t\xe9 Ã©", config=FTFY_CONFIG)
    assert ("apply", "decode_inconsistent_utf8") in (inconsistent.explanation or [])
    assert hasattr(fixes, "decode_inconsistent_utf8")


def test_wordfreq_lists_are_where_and_as_read() -> None:
    # words.py finds the lists without importing wordfreq: in its package's data/.
    spec = importlib.util.find_spec("wordfreq")
    assert spec is not None and spec.submodule_search_locations
    assert Path(spec.submodule_search_locations[0]) / "data" == Path(wordfreq.DATA_PATH)


@pytest.mark.parametrize("lang", ["ru", "fr", "el"])
def test_wordfreq_files_read_as_wordfreq_reads_them(lang: str) -> None:
    """words.py reads a cBpack file one bucket at a time: the same buckets, in the
    same order, as wordfreq's own reader (which checks the header)."""
    path = W._wordlist_path(lang, "small")
    assert path is not None
    buckets = wordfreq.read_cBpack(path)
    assert list(W._buckets(path)) == [(-i, b) for i, b in enumerate(buckets)]
