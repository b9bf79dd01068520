"""Document signatures for telling copies of one article apart from different pages.

The line counts (cc_net's idea) say a line repeated across *different* pages of a
site is boilerplate; the same article fetched three times (canonical, AMP,
``?updated=1``) is one page, not three. A document's signature is an exact hash of
its repaired text and a MinHash of its word 3-shingles, whose agreement estimates
the Jaccard similarity of two documents. Measures only: what counts as a copy is
decided by the caller.

The MinHash is the textbook one, as datasketch computes it (a 32-bit hash of each
shingle, then NUM_PERM universal hash functions ``(a*x + b) mod (2**61 - 1)``, the
minimum of each), written here with numpy because importing datasketch costs each
process 1.5 s and 76 MB (it imports scipy for a parameter optimizer textwash does not
use). Signatures are stored with the dataset, so the hash and the seed are fixed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from .signals import line_key

NUM_PERM = 64  # 256 bytes a document; the estimate's error at J = 0.8 is about 0.05
SHINGLE_WORDS = 3
_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_rng = np.random.RandomState(1)
# The permutations: fixed forever (signatures persist in the dataset's state).
_A = _rng.randint(1, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
_B = _rng.randint(0, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)


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
    return set(_grams(text, size))


def _grams(text: str, size: int = SHINGLE_WORDS, keys: Sequence[str] | None = None) -> list[bytes]:
    """The shingles of ``text`` in order, repeats included (a MinHash takes minima, so
    repeats change nothing, and a list is cheaper to build than a set). ``keys``: the
    text's ``line_keys``, where the caller has them (their words are the text's)."""
    # Encoded once and joined as bytes: the same shingles as encoding each joined
    # shingle, at a fraction of the cost. A lone surrogate (from a JSON escape) passes.
    key = line_key(text) if keys is None else " ".join(keys)
    words = key.encode("utf-8", "surrogatepass").split()
    if len(words) <= size:
        return [b" ".join(words)] if words else []
    return [b" ".join(gram) for gram in zip(*(words[i:] for i in range(size)), strict=False)]


def _hash32s(grams: list[bytes]) -> np.ndarray:
    """The 32-bit hash of each shingle (BLAKE2b, little-endian), as uint64."""
    digests = b"".join([hashlib.blake2b(g, digest_size=4).digest() for g in grams])
    return np.frombuffer(digests, dtype="<u4").astype(np.uint64)


def minhash(text: str, keys: Sequence[str] | None = None) -> np.ndarray | None:
    """MinHash signature (``NUM_PERM`` uint32 values); None for a text without words.
    ``keys``: the text's ``line_keys``, where the caller has them.

    >>> sig = minhash("the cat sat on the mat")
    >>> sig.dtype, sig.shape, bool((sig == minhash("The cat sat on the mat!")).all())
    (dtype('uint32'), (64,), True)
    """
    grams = _grams(text, keys=keys)
    if not grams:
        return None
    hv = _hash32s(grams)
    with np.errstate(over="ignore"):  # the products wrap, as in datasketch
        phv = np.outer(_A, hv)
        phv += _B[:, None]
    phv %= _PRIME  # numpy divides by a constant without a division instruction
    phv &= _MAX_HASH
    return phv.min(axis=1).astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two documents behind two signatures.

    >>> a = minhash("one two three four five six seven eight nine ten")
    >>> similarity(a, a), similarity(a, minhash("a completely different short text here")) < 0.2
    (1.0, True)
    """
    return float(np.mean(a == b))
