"""The bad-input corpus through the real CLI: every input is a document or a reject
with a reason, nothing stops the run, no traceback reaches the console."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import duckdb
import pytest

from ..data.bad import make_bad

pytestmark = pytest.mark.timeout(600)


def _shown(name: str) -> str:
    """How a file name that is not UTF-8 appears in the dataset (backslash escapes)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _file_of(source: str) -> str:
    return source.rsplit("#", 1)[0] if "#L" in source or "#R" in source else source


def test_committed_small_files_match_the_script() -> None:
    committed = {p.name: p.read_bytes() for p in make_bad.FILES.iterdir()}
    assert committed == {name: data for name, (data, _) in make_bad.small_files().items()}


@pytest.fixture(scope="module")
def bad_run(prefect_server: str, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("bad")
    corpus = root / "corpus"
    expected = make_bad.build(corpus)
    cfg = root / "textwash.toml"
    cfg.write_text(f"[clean]\nhtml_timeout_s = {make_bad.HTML_TIMEOUT_S}\n")
    out = root / "out"
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    cmd = [sys.executable, "-m", "flows.cli", "run", str(corpus), "-o", str(out), "-c", str(cfg)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=500)
    # --strict judges the run at hand: a rerun into ``out`` would have nothing to do
    strict_cmd = [*cmd[:-3], str(root / "strict"), "-c", str(cfg), "--strict"]
    strict = subprocess.run(strict_cmd, env=env, capture_output=True, text=True, timeout=500)
    yield {"expected": expected, "out": out, "proc": proc, "strict": strict}
    (corpus / "unreadable.txt").chmod(0o644)


def test_run_finishes_without_tracebacks(bad_run: dict) -> None:
    proc = bad_run["proc"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "rejected" in proc.stdout  # the rejects summary
    strict = bad_run["strict"]
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "Traceback" not in strict.stdout + strict.stderr


def test_every_input_is_accounted_for(bad_run: dict) -> None:
    out = bad_run["out"]
    docs = duckdb.sql(f"select source from read_parquet('{out}/documents/*.parquet')").fetchall()
    rejects = duckdb.sql(
        f"select source, error, message, raw, raw_size from read_parquet('{out}/rejects/*.parquet')"
    ).fetchall()
    got_docs = Counter(_file_of(s) for (s,) in docs)
    got_rejects: dict[str, Counter[str]] = {}
    for source, error, message, raw, raw_size in rejects:
        got_rejects.setdefault(_file_of(source), Counter())[error] += 1
        assert message, source  # a clear reason, always
        assert raw is not None or raw_size is not None, source  # the bytes, or their size

    expected = {_shown(k): v for k, v in bad_run["expected"].items()}
    assert set(got_docs) | set(got_rejects) == set(expected)
    for name, exp in expected.items():
        n_docs, errors = got_docs.get(name, 0), dict(got_rejects.get(name, {}))
        if isinstance(exp, set):
            assert (n_docs + sum(errors.values())) == 1, name
            assert (n_docs, next(iter(errors), "")) in exp, (name, n_docs, errors)
        else:
            assert (n_docs, errors) == exp, name
    # Inputs = documents + rejects, counted per document (a bad JSONL line is one reject).
    n_inputs = sum(
        1 if isinstance(e, set) else e[0] + sum(e[1].values()) for e in expected.values()
    )
    assert len(docs) + len(rejects) == n_inputs


def test_decoded_and_cleaned_correctly(bad_run: dict) -> None:
    out = bad_run["out"]
    texts = dict(
        duckdb.sql(f"select source, text from read_parquet('{out}/documents/*.parquet')").fetchall()
    )
    assert "выставка" in texts["cp1251.txt"]
    assert "Noël" in texts["latin1.txt"]
    assert "выставка" in texts["utf16be_bom.txt"] and "выставка" in texts["utf8_bom.txt"]
    assert "crêperie" in texts["utf16le_nobom.txt"]
    assert "approved the new budget" in texts["utf16be_nobom.txt"]
    assert "council" in texts["control_bytes.txt"] and "parks" in texts["control_bytes.txt"]
    for source, text in texts.items():
        assert not any(ord(c) < 32 and c != "\n" for c in text), source
        text.encode("utf-8")  # no lone surrogate reached the dataset
    assert texts["only_boilerplate.txt"] == ""
    removed = duckdb.sql(
        f"select r.category from read_parquet('{out}/removals/*.parquet') r "
        f"join read_parquet('{out}/documents/*.parquet') d using (doc_id) "
        "where d.source = 'only_boilerplate.txt'"
    ).fetchall()
    assert len(removed) == 2  # nothing vanished without its reason


def test_no_temporary_files_left(bad_run: dict) -> None:
    leftovers = [p for p in bad_run["out"].rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
