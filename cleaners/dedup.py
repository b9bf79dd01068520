"""Document signatures for telling copies of one article apart from different pages.

The line counts (cc_net's idea) say a line repeated across *different* pages of a
site is boilerplate; the same article fetched three times (canonical, AMP,
``?updated=1``) is one page, not three. A document's signature is an exact hash of
its repaired text and a MinHash of its word 3-shingles (datasketch), whose agreement
estimates the Jaccard similarity of two documents. Measures only: what counts as a
copy is decided by the caller.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .signals import line_key

NUM_PERM = 64  # 256 bytes a document; the estimate's error at J = 0.8 is about 0.05
SHINGLE_WORDS = 3
SEED = 1
SCHEME = "affine32"  # datasketch's permutation scheme: stored signatures depend on it


def text_hash(text: str) -> int:
    """An exact hash of a text (64 bits): equal for byte-identical texts.

    >>> text_hash("A b") == text_hash("A b"), text_hash("A b") == text_hash("A  b")
    (True, False)
    """
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """Word ``size``-grams of the text under cc_net's line normalization (case, digits,
    punctuation and accents do not matter); a shorter text is one shingle.

    >>> sorted(shingles("The cat sat. On the mat!"))
    [b'cat sat on', b'on the mat', b'sat on the', b'the cat sat']
    """
    words = line_key(text).split()
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def minhash(text: str) -> np.ndarray | None:
    """MinHash signature (``NUM_PERM`` uint32 values); None for a text without words."""
    from datasketch import MinHash

    grams = shingles(text)
    if not grams:
        return None
    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    m.update_batch(grams)
    return m.hashvalues.astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two documents behind two signatures.

    >>> a = minhash("one two three four five six seven eight nine ten")
    >>> similarity(a, a), similarity(a, minhash("a completely different short text here")) < 0.2
    (1.0, True)
    """
    return float(np.mean(a == b))
