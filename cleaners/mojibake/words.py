"""Word data, compact: what the repairs know of words, from wordfreq's lists.

Two uses, two sizes, both loaded on first need for one language at a time (never for
clean text), as sorted arrays of 64-bit string hashes rather than sets of strings
(about 10 bytes a word instead of about 250):

* ``is_listed_word``: is a token a word of a language of its script? wordfreq's
  "small" lists (frequency >= 1e-6);
* ``word_cost``: how likely is a word, for putting back the spaces a typographic pass
  moved? wordfreq's "large" list where there is one (else "small"); a word no list has
  is scored by a character trigram model of the same list, so an unknown name is
  neither glued to its neighbour nor cut into common pieces.

Python's ``hash`` of a string is stable within a process, which is all a table built
in that process needs.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .codepages import script_of, split_edges

# Languages whose words are looked up, per script of the letters.
WORD_LANGUAGES = {
    "LATIN": (
        "en",
        "fr",
        "de",
        "es",
        "pt",
        "it",
        "nl",
        "pl",
        "tr",
        "sv",
        "da",
        "nb",
        "fi",
        "cs",
        "sk",
        "hu",
        "ro",
        "sh",
        "sl",
        "lt",
        "lv",
        "ca",
        "vi",
    ),
    "CYRILLIC": ("ru", "uk", "bg", "mk", "sh"),
    "GREEK": ("el",),
    "ARABIC": ("ar", "fa", "ur"),
    "HEBREW": ("he",),
    "DEVANAGARI": ("hi",),
    "BENGALI": ("bn",),
}


@functools.cache
def _wordfreq_data() -> Path | None:
    # wordfreq's lists are files in its package; finding them this way does not import
    # wordfreq (and langcodes with it: 0.16 s here), which nothing else needs.
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0]) / "data"


def _wordlist_path(lang: str, wordlist: str) -> str | None:
    """The file of wordfreq's ``wordlist`` ("small", "large") for ``lang``, if any."""
    data = _wordfreq_data()
    path = data / f"{wordlist}_{lang}.msgpack.gz" if data else None
    return str(path) if path is not None and path.is_file() else None


def _buckets(path: str) -> Iterator[tuple[int, list[str]]]:
    """(centibels, words) of a wordfreq cBpack file, one bucket at a time: the whole
    list is never in memory as strings."""
    import msgpack

    with gzip.open(path, "rb") as fh:
        unpacker = msgpack.Unpacker(fh, raw=False, max_buffer_size=1 << 30)
        n = unpacker.read_array_header()
        header = unpacker.unpack()
        if not isinstance(header, dict) or header.get("format") != "cB":
            raise ValueError(f"not a wordfreq cBpack file: {path}")
        for index in range(n - 1):
            yield -index, unpacker.unpack()


@dataclass(frozen=True)
class WordTable:
    """Words of one list as sorted hashes, with their frequency in centibels."""

    keys: np.ndarray  # int64, sorted
    centibels: np.ndarray  # int16, aligned with keys (0 cB = probability 1)

    def __len__(self) -> int:
        return len(self.keys)

    def centibels_of(self, words: list[str]) -> np.ndarray:
        """Per word, its centibels, or 1 (impossible for a listed word) if unlisted."""
        if not words or not len(self.keys):
            return np.ones(len(words), dtype=np.int16)
        h = np.fromiter((hash(w) for w in words), dtype=np.int64, count=len(words))
        pos = np.minimum(np.searchsorted(self.keys, h), len(self.keys) - 1)
        found = self.keys[pos] == h
        return np.where(found, self.centibels[pos], 1).astype(np.int16)

    def __contains__(self, word: str) -> bool:
        # One word: a scalar search, without centibels_of's array round trip (~10x).
        h = hash(word)
        i = int(self.keys.searchsorted(h))
        return i < len(self.keys) and int(self.keys[i]) == h


def _table(pairs: Iterator[tuple[int, list[str]]]) -> WordTable:
    keys: list[np.ndarray] = []
    cbs: list[np.ndarray] = []
    for cb, words in pairs:
        if words:
            keys.append(np.fromiter((hash(w) for w in words), dtype=np.int64, count=len(words)))
            cbs.append(np.full(len(words), cb, dtype=np.int16))
    if not keys:
        return WordTable(np.zeros(0, np.int64), np.zeros(0, np.int16))
    k, c = np.concatenate(keys), np.concatenate(cbs)
    order = np.argsort(k, kind="stable")
    return WordTable(k[order], c[order])


@functools.lru_cache(maxsize=64)
def listed_words(lang: str) -> WordTable:
    """wordfreq's "small" list of ``lang`` (empty where wordfreq has none)."""
    path = _wordlist_path(lang, "small")
    return _table(_buckets(path)) if path else _table(iter(()))


def is_listed_word(text: str) -> bool:
    """``text`` is a listed word of a language of its script: two letters or more,
    with nothing but punctuation at its edges; words joined by an apostrophe or a
    hyphen count when each of two letters or more is listed ("l'époque").

    >>> is_listed_word("erklären,"), is_listed_word("erkl√§ren"), is_listed_word("«канал»")
    (True, False, True)
    >>> is_listed_word("l'époque"), is_listed_word("c'est-à-dire"), is_listed_word("l'xqzw")
    (True, True, False)
    """
    pre, core, post = split_edges(text)
    if any(unicodedata.category(c)[0] != "P" for c in pre + post):
        return False
    parts = _JOINED_RE.split(core)
    if not all(p.isalpha() for p in parts) or not any(len(p) >= 2 for p in parts):
        return False  # a letter alone is no evidence; a symbol is no letter
    scripts = {script_of(c) for c in "".join(parts)}
    if len(scripts) != 1:
        return False
    langs = WORD_LANGUAGES.get(scripts.pop(), ())
    return all(len(p) < 2 or any(p.lower() in listed_words(lang) for lang in langs) for p in parts)


_JOINED_RE = re.compile("['’-]")


# --- a language model of words, for word boundaries -------------------------------

# Words the character model learns from: the most frequent ones of the list (its
# shapes, not its rare typos).
CHAR_MODEL_WORDS = 50_000
_BOUNDARY = "\x02"  # before and after each word in the trigram model


@dataclass(frozen=True)
class LanguageModel:
    """log10 probabilities of words: a word list, and a character trigram model of
    the same list for words it does not have."""

    lang: str
    words: WordTable
    trigrams: dict[str, float]  # log10 P(c | two before), interpolated
    unknown_trigram: float  # log10 of the floor for an unseen trigram

    def log10_listed(self, words: list[str]) -> list[float | None]:
        """log10 frequency of each (lowercased) word, None where unlisted."""
        cbs = self.words.centibels_of(words)
        return [None if cb > 0 else cb / 100.0 for cb in cbs.tolist()]

    def log10_chars(self, word: str) -> float:
        """log10 P(word) by the character trigram model (ends included)."""
        padded = _BOUNDARY * 2 + word + _BOUNDARY
        get = self.trigrams.get
        floor = self.unknown_trigram
        return sum(get(padded[i - 2 : i + 1], floor) for i in range(2, len(padded)))


def _trigram_model(words: list[str]) -> tuple[dict[str, float], float]:
    """Interpolated trigram/bigram/unigram character probabilities (log10), keyed by
    the trigram, for every trigram seen; unseen ones get the floor.

    Counted as arrays (every trigram of every padded word at once): a Python loop
    over the 50,000 words' characters took 0.42 s a language, on first need.

    >>> model, floor = _trigram_model(["ab", "abc"])
    >>> sorted(t.replace(_BOUNDARY, "|") for t in model)
    ['abc', 'ab|', 'bc|', '|ab', '||a']
    >>> model[_BOUNDARY + "ab"] > model["abc"] > floor
    True
    """
    words = [w for w in words if w]
    if not words:
        return {}, math.log10(0.01)
    text = "".join(_BOUNDARY * 2 + w + _BOUNDARY for w in words)
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    c0, c1, c2 = cp[:-2], cp[1:-1], cp[2:]
    # Trigrams that end in two boundaries straddle two words (the last letter of one,
    # the padding of the next); no trigram inside a padded word does.
    inside = ~((c1 == ord(_BOUNDARY)) & (c2 == ord(_BOUNDARY)))
    codes = (c0[inside] << 42) | (c1[inside] << 21) | c2[inside]
    tri, n = np.unique(codes, return_counts=True)
    low21, low42 = (1 << 21) - 1, (1 << 42) - 1

    def grouped(keys: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per distinct key, the sum of its weights; each position's group; the keys."""
        distinct, where = np.unique(keys, return_inverse=True)
        return np.bincount(where, weights=weights), where, distinct

    ctx2, by_prefix, _ = grouped(tri >> 21, n)  # first two characters
    bi, by_suffix, bigrams = grouped(tri & low42, n)  # last two: the bigram
    ctx1, by_first, _ = grouped(bigrams >> 21, bi)  # a bigram's first character
    uni, by_last, letters = grouped(tri & low21, n)  # last character
    total = int(n.sum())
    vocab = len(letters) + 1
    floor = math.log10(0.01 / vocab)
    p3 = n / ctx2[by_prefix]
    p2 = bi[by_suffix] / ctx1[by_first][by_suffix]
    p1 = (uni[by_last] + 1) / (total + vocab)
    logp = np.log10(0.7 * p3 + 0.2 * p2 + 0.1 * p1).tolist()
    chars = np.stack([tri >> 42, (tri >> 21) & low21, tri & low21], axis=1).astype(np.uint32)
    joined = chars.tobytes().decode("utf-32-le")
    return {joined[3 * i : 3 * i + 3]: v for i, v in enumerate(logp)}, floor


# About 6 MB a language; 16 keeps a corpus of many languages from rebuilding models
# line after line (an LRU of 8 thrashed on the 16 Latin-script languages of the bench).
@functools.lru_cache(maxsize=16)
def language_model(lang: str) -> LanguageModel | None:
    """The word model of ``lang`` (None where wordfreq has no list): built once, from
    its largest list, on first need."""
    path = _wordlist_path(lang, "large") or _wordlist_path(lang, "small")
    if path is None:
        return None
    common: list[str] = []

    def remember(buckets: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
        for cb, words in buckets:
            if len(common) < CHAR_MODEL_WORDS:
                common.extend(w for w in words if w.isalpha())
            yield cb, words

    table = _table(remember(_buckets(path)))
    trigrams, floor = _trigram_model(common[:CHAR_MODEL_WORDS])
    return LanguageModel(lang, table, trigrams, floor)
