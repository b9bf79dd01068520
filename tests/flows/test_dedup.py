"""Copies of an article count once in the line statistics; --dedup points copies to
the first one. Measured on copies as scrapers deliver them (tests/data/duplicates.py)."""

from __future__ import annotations

from pathlib import Path

from cleaners import CleanConfig
from cleaners.dedup import minhash, text_hash
from flows.clean import clean_item, clean_items
from flows.count import measure_shard
from flows.data.discovery import discover
from flows.data.documents import RawDocument
from flows.data.readers import read_pieces
from flows.dedup import Counted, Measured, decide, first_copies, lsh_bands
from flows.options import RunOptions
from flows.plan import plan_shards

from ..conftest import SEEDS
from ..data.duplicates import seed_texts, syndicated, three_copies, write_jsonl


def clean_all(folder: Path, dedup: str = "off") -> tuple[list[RawDocument], list, dict]:
    """What a run does, without Prefect: measure, decide, clean every document."""
    opts = RunOptions(dedup=dedup)
    shards = plan_shards(discover(folder))
    measured = Measured()
    for shard in shards:
        measured.extend(measure_shard(shard, opts.config, opts.read, set()))
    decision = decide([], measured, jaccard=opts.config.near_duplicate_jaccard, dedup=dedup)
    repeated = decision.counts.frequent(opts.config.repeated_line_min_docs)
    items = [i for s in shards for i in read_pieces(s.pieces, opts.read)]
    return items, clean_items(items, opts.config, repeated), decision.duplicates


def test_lsh_bands_find_near_copies_almost_surely() -> None:
    for threshold in (0.7, 0.8, 0.9):
        bands, rows = lsh_bands(threshold)
        assert bands * rows <= 64
        assert 1 - (1 - threshold**rows) ** bands >= 0.99


def test_three_copies_of_an_article_keep_their_text(tmp_path: Path) -> None:
    write_jsonl(three_copies(), tmp_path / "in" / "copies.jsonl")
    items, results, _ = clean_all(tmp_path / "in")
    alone = clean_item(items[0], CleanConfig(), None)  # the article cleaned on its own
    assert alone.text and "ADVERTISEMENT" not in alone.text
    for result in results:
        assert result.text == alone.text
        assert not [r for r in result.removed if r.category == "repeated_line"]


def test_syndicated_copies_over_four_sites_are_not_emptied(tmp_path: Path) -> None:
    docs = syndicated()
    write_jsonl(docs, tmp_path / "in" / "docs.jsonl")
    _, results, _ = clean_all(tmp_path / "in")
    assert len(results) == 200
    seeds = seed_texts()
    # each cleaned on its own, without counts (a batch decides what each alone decides)
    alone = clean_items(
        [RawDocument("x", 0, doc["text"], False, "jsonl") for doc in docs], CleanConfig(), None
    )
    for doc, result, own in zip(docs, results, alone, strict=True):
        assert result.text == own.text, doc["id"]
        assert "ADVERTISEMENT" not in result.text
        original = seeds[int(doc["id"].split("-")[0])]
        assert len(result.text) > 0.5 * len(original)


def test_dedup_points_copies_to_the_first(tmp_path: Path) -> None:
    write_jsonl(three_copies(), tmp_path / "in" / "copies.jsonl")
    items, _, duplicates = clean_all(tmp_path / "in", dedup="exact")
    first, *rest = [i.doc_id for i in items]
    assert duplicates == {d: first for d in rest}

    write_jsonl(syndicated(copies=8), tmp_path / "s" / "docs.jsonl")
    items, _, exact = clean_all(tmp_path / "s", dedup="exact")
    _, _, near = clean_all(tmp_path / "s", dedup="near")
    assert set(exact) < set(near)  # near also takes copies with a sentence changed
    assert len(near) == len(items) - 5  # one document kept per seed
    ids = [i.doc_id for i in items]
    for copy, kept in near.items():
        assert kept not in near and ids.index(kept) < ids.index(copy)


def test_a_copy_counts_its_input_in_characters(tmp_path: Path) -> None:
    """A copy's row gives ``n_chars_in`` in characters, as every other row does (it
    gave the bytes of a file): the same file twice, with letters UTF-8 writes in two
    bytes."""
    import polars as pl

    from flows.launch import run_clean_corpus

    raw = next(p.read_bytes() for p in sorted(SEEDS.glob("*.txt")) if not p.read_bytes().isascii())
    (tmp_path / "in").mkdir()
    for name in ("a.txt", "b.txt"):
        (tmp_path / "in" / name).write_bytes(raw)
    out = tmp_path / "out"
    run_clean_corpus(str(tmp_path / "in"), str(out), RunOptions(dedup="near"), plain=True)
    docs = pl.read_parquet(out / "documents" / "*.parquet").sort("source")
    assert docs["duplicate_of"].to_list() == [None, docs["doc_id"][0]]
    assert docs["n_chars_in"][1] == docs["n_chars_in"][0] == len(raw.decode("utf-8"))


def test_different_articles_of_a_site_are_not_copies() -> None:
    """The seeds are different articles (two of them on the same story): none is a
    copy of another, so each counts."""
    texts = seed_texts()
    firsts = first_copies([text_hash(t) for t in texts], [minhash(t).tobytes() for t in texts], 0.8)
    assert firsts == list(range(len(texts)))


def test_a_copy_of_a_counted_document_does_not_count_again() -> None:
    text = seed_texts()[0]
    sig = minhash(text)
    before = [Counted("old", "a.example", text_hash(text), sig.tobytes())]
    measured = Measured()
    measured.add("new", "a.example", (0, 0), text_hash(text + "\nRead more."), sig, [1, 2, 3])
    measured.add("other", "b.example", (0, 1), text_hash(text), sig, [1, 2, 3])
    decision = decide(before, measured, jaccard=0.8, dedup="near", incremental=True)
    assert decision.counts.as_dict() == {"b.example": {1: 1, 2: 1, 3: 1}}  # another site: counts
    assert decision.duplicates == {"new": "old", "other": "old"}
    mirror = decide(before, measured, jaccard=0.8, dedup="near", incremental=False)
    assert mirror.duplicates == {"other": "new"}  # "old" is not in this mirror's plan


def test_counts_are_per_article_not_per_copy(tmp_path: Path) -> None:
    write_jsonl(syndicated(copies=12), tmp_path / "in" / "docs.jsonl")
    opts = RunOptions()
    measured = measure_shard(
        plan_shards(discover(tmp_path / "in"))[0], opts.config, opts.read, set()
    )
    counts = decide([], measured, jaccard=opts.config.near_duplicate_jaccard).counts
    # A line counts once per article and site (a line two seeds share, twice).
    assert max(n for c in counts.as_dict().values() for n in c.values()) <= 2


def test_line_counts_add_up_across_runs_and_survive_the_state_file(tmp_path: Path) -> None:
    """Counts saved by one run, loaded and merged with the next run's, equal counting
    both runs' documents at once (categorical sites from different frames included)."""
    import numpy as np

    from flows.dedup import Counts
    from flows.state.linestats import load_counts, save_counts

    rng = np.random.default_rng(3)
    # The second run adds sites, and meets the first run's in another order.
    sites = [f"s{i % 7}.example" for i in range(120)] + [
        f"s{i * 3 % 11}.example" for i in range(180)
    ]
    lines = [
        np.unique(rng.integers(0, 40, size=rng.integers(1, 12))).astype(np.uint64) for _ in sites
    ]
    lines[5] = np.array([2**64 - 1], dtype=np.uint64)  # the largest hash survives
    first = Counts.of_documents(sites[:120], lines[:120])
    save_counts(tmp_path, first)
    merged = load_counts(tmp_path).merged(Counts.of_documents(sites[120:], lines[120:]))
    expected: dict[str, dict[int, int]] = {}
    for site, hashes in zip(sites, lines, strict=True):
        for h in hashes.tolist():
            expected.setdefault(site, {}).setdefault(h, 0)
            expected[site][h] += 1
    assert merged.as_dict() == expected
    assert merged.frequent(3) == {
        s: {h: n for h, n in c.items() if n >= 3} for s, c in expected.items()
    }
    save_counts(tmp_path, merged)
    assert load_counts(tmp_path).as_dict() == expected
    # The file: the state schema, sorted by site then hash (the same counts, one file).
    import pyarrow.parquet as pq

    from flows.state.linestats import LINE_STATS, LINE_STATS_SCHEMA, STATE_DIR

    table = pq.read_table(tmp_path / STATE_DIR / LINE_STATS)
    assert table.schema.remove_metadata() == LINE_STATS_SCHEMA
    rows = list(zip(table["source"].to_pylist(), table["line_hash"].to_pylist(), strict=True))
    assert rows == sorted(rows) and len(rows) == sum(len(c) for c in expected.values())
