"""Corpora of copies, as scrapers deliver them: one article under several URLs of a
site (canonical, AMP, ``?updated=1``), and the seeds syndicated over four sites, each
copy with a sentence changed or an ad line swapped. Built from the seeds."""

from __future__ import annotations

import gzip
import json
import random
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..conftest import SEEDS

SITES = ("news-a.example", "www.news-b.example", "news-c.example", "m.news-d.example")
URL_FORMS = ("{base}", "{base}amp/", "{base}?updated=1")
AD_LINES = ("ADVERTISEMENT", "Advertisement", "SPONSORED CONTENT", "Story continues below")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'“])")


def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def three_copies(seed: int = 3) -> list[dict]:
    """One seed article three times on one site: canonical, AMP and updated URLs."""
    text = seed_texts()[seed]
    base = "https://www.news-a.example/2025/02/story/"
    return [
        {"id": f"copy-{i}", "url": form.format(base=base), "text": text}
        for i, form in enumerate(URL_FORMS)
    ]


def _sentences() -> list[str]:
    out = []
    for text in seed_texts():
        for line in text.split("\n"):
            out += [s for s in _SENTENCE_RE.split(line) if len(s.split()) >= 8]
    return out


def _change_a_sentence(lines: list[str], rng: random.Random, pool: list[str]) -> list[str]:
    """Swap one sentence of a paragraph for a sentence from elsewhere."""
    candidates = [i for i, line in enumerate(lines) if len(line.split()) >= 15]
    i = rng.choice(candidates)
    parts = _SENTENCE_RE.split(lines[i])
    parts[rng.randrange(len(parts))] = rng.choice(pool)
    return [*lines[:i], " ".join(parts), *lines[i + 1 :]]


def _swap_an_ad(lines: list[str], rng: random.Random) -> list[str]:
    ads = [i for i, line in enumerate(lines) if line.strip() in AD_LINES]
    out = list(lines)
    if ads:
        out[ads[0]] = rng.choice([a for a in AD_LINES if a != out[ads[0]].strip()])
    else:
        out.insert(len(out) // 2, rng.choice(AD_LINES))
    return out


def syndicated(copies: int = 40, seed: int = 0) -> list[dict]:
    """Each seed ``copies`` times over four sites, every copy a sentence changed or an
    ad line swapped, shuffled: 200 documents by default."""
    rng = random.Random(seed)
    pool = _sentences()
    docs = []
    for s, text in enumerate(seed_texts()):
        lines = text.split("\n")
        for k in range(copies):
            changed = (
                _change_a_sentence(lines, rng, pool) if k % 2 == 0 else _swap_an_ad(lines, rng)
            )
            form = rng.choice(URL_FORMS)
            base = f"https://{SITES[k % len(SITES)]}/story-{s}/"
            docs.append(
                {"id": f"{s}-{k}", "url": form.format(base=base), "text": "\n".join(changed)}
            )
    rng.shuffle(docs)
    return docs


def write_jsonl(docs: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return path


def three_formats(docs: list[dict], root: Path) -> Path:
    """The same documents as JSONL, gzipped JSONL and Parquet under one root."""
    root.mkdir(parents=True, exist_ok=True)
    plain = write_jsonl(docs, root / "docs.jsonl")
    with open(plain, "rb") as src, gzip.open(root / "docs.jsonl.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    pq.write_table(pa.Table.from_pylist(docs), root / "docs.parquet")
    return root
