"""What the commands print, from the summary of a real run (without Prefect's API)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from rich.console import Console

from flows.cli.report import summary_table
from flows.launch import run_clean_corpus
from flows.options import RunOptions

from ..conftest import SEEDS


def rendered_labels(summary: dict) -> list[str]:
    """The first column of the summary table, as the terminal shows it."""
    out = io.StringIO()
    Console(file=out, width=200).print(summary_table(summary, 0.0))
    return [line.split("│")[1][1:].rstrip() for line in out.getvalue().splitlines() if "│" in line]


def test_each_indented_row_of_the_summary_is_part_of_the_row_above(tmp_path: Path) -> None:
    """Reject reasons sit under rejects, categories under lines removed, and nothing
    that is not a mojibake repair under the mojibake row."""
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    (src / "bad.jsonl").write_text('{"text": "fine"}\n{oops\n', encoding="utf-8")
    summary = run_clean_corpus(str(src), str(tmp_path / "out"), RunOptions(), plain=True)
    assert summary["rejects_by_error"] and summary["removed_by_category"]
    assert any("mojibake" in fix for fix in summary["fixes"])
    assert any("mojibake" not in fix for fix in summary["fixes"])
    under: dict[str, str] = {}  # an indented row's name -> the row it is indented under
    parent = ""
    for label in rendered_labels(summary):
        if label.startswith("  "):
            under[label.strip().split(": ")[-1]] = parent
        else:
            parent = label
    for error in summary["rejects_by_error"]:
        assert under[error] == "rejects"
    for category in summary["removed_by_category"]:
        assert under[category] == "lines removed"
    assert all(fix in under for fix in summary["fixes"])
    assert all("mojibake" in name for name, row in under.items() if "mojibake" in row)
