"""The five seeds against their hand-labelled clean form."""

from __future__ import annotations

import pytest

from cleaners import clean_text
from tests.conftest import SEEDS, load_golden

GOLDEN = load_golden()


def kept_lines(text: str, may_remove: set[str]) -> list[str]:
    return [line for line in text.split("\n") if line not in may_remove]


@pytest.mark.parametrize("gold", GOLDEN, ids=[g["id"] for g in GOLDEN])
def test_clean_text_matches_golden(gold: dict) -> None:
    raw = (SEEDS / f"{gold['id']}.txt").read_text(encoding="utf-8")
    result = clean_text(raw)
    may = {m["text"] for m in gold["may_remove"]}

    assert result.title == gold["title"]
    assert kept_lines(result.text, may) == kept_lines(gold["text"], may)
    # Lines may only go missing from the golden text if they are allowed to.
    assert set(gold["text"].split("\n")) - set(result.text.split("\n")) <= may

    removed = {(r.line_no, r.category, r.text) for r in result.removed}
    for line in gold["removed"]:
        assert (line["line"], line["category"], line["text"]) in removed, line
    # Nothing else was removed: every removal is golden or a permitted caption.
    allowed = {line["text"] for line in gold["removed"]} | may
    assert {r.text for r in result.removed} <= allowed


def test_golden_files_cover_all_seeds() -> None:
    assert sorted(g["id"] for g in GOLDEN) == sorted(p.stem for p in SEEDS.glob("*.txt"))
