"""The MinHash signature estimates the Jaccard similarity of word 3-shingles."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from cleaners.dedup import _A, _B, NUM_PERM, minhash, shingles, similarity
from cleaners.signals import _KEY_TABLE, line_key


def _text(words: list[str]) -> str:
    return " ".join(words)


def test_estimates_follow_the_true_jaccard() -> None:
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(5000)]
    errors = []
    for _ in range(200):
        base = [rng.choice(vocab) for _ in range(300)]
        other = list(base)
        for _ in range(rng.randint(0, 150)):  # change some words
            other[rng.randrange(len(other))] = rng.choice(vocab)
        a, b = shingles(_text(base)), shingles(_text(other))
        true = len(a & b) / len(a | b)
        errors.append(similarity(minhash(_text(base)), minhash(_text(other))) - true)
    errors_arr = np.array(errors)
    # 64 permutations: standard error at most 0.0625; the mean error is near 0.
    assert abs(errors_arr.mean()) < 0.02
    assert np.abs(errors_arr).max() < 0.25
    assert (np.abs(errors_arr) < 0.125).mean() > 0.9


@pytest.mark.integration  # a second process
def test_signatures_are_stable_across_processes() -> None:
    """They persist with the dataset: the values may never change."""
    sig = minhash("The quick brown fox jumps over the lazy dog")
    assert sig is not None and sig.dtype == np.uint32
    import subprocess
    import sys

    code = (
        "from cleaners.dedup import minhash;"
        "print(minhash('The quick brown fox jumps over the lazy dog').tolist())"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert other.stdout.strip() == str(sig.tolist())


def test_signatures_never_change_across_versions() -> None:
    """Signatures persist in a dataset's state and are compared with the next runs':
    these values came from the first implementation (one BLAKE2b call and one int per
    shingle); a faster one must give the same."""
    from cleaners.dedup import minhash

    text = (
        "The city council approved the new budget on Tuesday, after a long debate "
        "about schools and roads."
    )
    first = [52078603, 190797342, 110139934, 32825113, 892941488, 83291534, 677410175, 250679619]
    assert minhash(text)[:8].tolist() == first


DEVSET = Path(__file__).resolve().parents[3] / "shared" / "devset"


def _key_by_table(line: str) -> str:
    """line_key as its table alone defines it (the reference the fast path must equal)."""
    decomposed = unicodedata.normalize("NFD", line.lower())
    return " ".join(decomposed.translate(_KEY_TABLE).split())


@pytest.mark.skipif(not DEVSET.exists(), reason=f"the devset is not at {DEVSET}")
def test_line_key_equals_its_table_on_real_text() -> None:
    texts = ["Café ² ٣", "x\ud800y", "a\u0301b\x1cc", "ΣΑΣ. Ⅻ ½"]
    for name in ("multilingual-dev.jsonl.gz", "ud-sentences.jsonl.gz"):
        with gzip.open(DEVSET / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                page = json.loads(line)
                texts += [page[k] for k in ("html", "truth", "text") if page.get(k)]
    assert len(texts) > 10_000
    for text in texts:
        assert line_key(text) == _key_by_table(text)


def test_minhash_over_repeated_shingles_equals_the_set() -> None:
    text = "the cat sat on the mat and the cat sat on the mat again " * 3
    grams = shingles(text)
    expected = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint64)
    for gram in grams:  # the textbook MinHash, shingle by shingle, over the set
        expected = np.minimum(expected, minhash_of_one(gram))
    assert (minhash(text) == expected.astype(np.uint32)).all()


def minhash_of_one(gram: bytes) -> np.ndarray:
    """Each permutation of one shingle's hash: (a*h + b) wrapped to 64 bits (numpy's
    arithmetic, as datasketch's), mod the prime 2**61 - 1, its low 32 bits."""
    h = int.from_bytes(hashlib.blake2b(gram, digest_size=4).digest(), "little")
    wrap, prime = (1 << 64) - 1, (1 << 61) - 1
    values = [(((int(a) * h) & wrap) + int(b)) & wrap for a, b in zip(_A, _B, strict=True)]
    return np.array([(v % prime) & 0xFFFFFFFF for v in values], dtype=np.uint64)
