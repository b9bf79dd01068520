"""The MinHash signature estimates the Jaccard similarity of word 3-shingles."""

from __future__ import annotations

import random

import numpy as np
import pytest

from cleaners.dedup import minhash, shingles, similarity


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
