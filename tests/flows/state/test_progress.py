"""Progress while a run works: what running tasks report reaches the bar, for text
and HTML, and nothing is left under ``_state/progress/`` afterwards."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from cleaners import CleanConfig
from flows.count import measure_shard
from flows.data.discovery import discover
from flows.data.documents import ReadOptions
from flows.launch import run_clean_corpus
from flows.options import RunOptions
from flows.plan import plan_shards
from flows.state.progress import reporting

from ...conftest import SEEDS
from ..test_interrupt import make_corpus


class Recorder:
    """A reporter that keeps every update: per phase, (documents, bytes, total bytes)."""

    def __init__(self) -> None:
        self.phases: list[list[tuple[int, int, int]]] = []

    def start(self, phase: str, total_bytes: int, total_items: int | None) -> None:
        self.phases.append([(0, 0, total_bytes)])

    def update(self, items: int, done_bytes: int) -> None:
        self.phases[-1].append((items, done_bytes, self.phases[-1][0][2]))

    def finish(self) -> None:
        pass


def test_progress_moves_before_the_first_task_finishes(tmp_path: Path) -> None:
    """The bar reads what running tasks report (the keys the tasks write), so it moves
    while the only shard is still being counted and cleaned."""
    corpus = make_corpus(tmp_path, docs=600)
    recorder = Recorder()
    with reporting(recorder):
        run_clean_corpus(str(corpus), str(tmp_path / "out"), RunOptions(), plain=True)
    assert len(recorder.phases) == 2  # counting, cleaning: one shard each
    for updates in recorder.phases:
        in_flight = [(n, b) for n, b, total in updates if 0 < b < total and n > 0]
        assert in_flight, updates
    assert not (tmp_path / "out" / "_state" / "progress").exists()


def test_a_gzip_input_fills_the_bar_with_its_documents(tmp_path: Path) -> None:
    """A .jsonl.gz is planned by its compressed size, and its documents hold several
    times as many bytes: what each document read reports (both passes report it) is
    the compressed bytes used so far, so the bar moves with the documents and is full
    only with the last one. (The documents are alike in length and in how well they
    compress, as articles of a scrape are: the seeds repeated compress to nothing.)"""
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(2000)]
    corpus = tmp_path / "corpus.jsonl.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as fh:
        for i in range(600):
            text = "\n".join(" ".join(rng.choices(words, k=25)) + "." for _ in range(8))
            fh.write(json.dumps({"id": f"doc-{i}", "text": text}) + "\n")
    (shard,) = plan_shards(discover(corpus))
    reported: list[int] = []
    measure_shard(
        shard, CleanConfig(), ReadOptions(), set(), progress=lambda _n, b: reported.append(b)
    )
    assert len(reported) == 600
    assert reported == sorted(reported)
    assert reported[-1] <= shard.size
    for n, done in enumerate(reported[:-1], 1):
        assert done < shard.size and abs(done / shard.size - n / 600) < 0.05, (n, done)


def test_html_pages_count_as_documents_while_counting(tmp_path: Path) -> None:
    """HTML pages are not measured by the counting pass (extraction is the costly
    part), yet they are documents read: the counting bar counts them."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for i, seed in enumerate(sorted(SEEDS.glob("*.txt"))):
        paragraphs = "".join(f"<p>{p}</p>" for p in seed.read_text(encoding="utf-8").splitlines())
        html = f"<html><head><title>Page {i}</title></head><body><article>{paragraphs}"
        (pages / f"page-{i}.html").write_text(html + "</article></body></html>", "utf-8")
    recorder = Recorder()
    with reporting(recorder):
        run_clean_corpus(str(pages), str(tmp_path / "out"), RunOptions(), plain=True)
    counting, cleaning = recorder.phases
    assert counting[-1][0] == 5 and cleaning[-1][0] == 5
