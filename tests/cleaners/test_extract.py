"""HTML extraction: failures become ExtractionError with a stable reason; the time limit
stops a page wherever it is stuck (lxml's C code included), in the main thread, worker
threads, process-pool and Dask workers; the child process changes no result."""

from __future__ import annotations

import gzip
import itertools
import json
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from cleaners import sandbox
from cleaners.extract import Extracted, ExtractionError, extract_html

from .test_sandbox import ends

WCXB = Path(__file__).resolve().parents[3] / "shared" / "devset" / "wcxb-dev-articles.jsonl.gz"
needs_devset = pytest.mark.skipif(
    not WCXB.exists(), reason=f"the devset is not at {WCXB} (../shared/devset)"
)

# Tens of thousands of paragraphs keep trafilatura busy for many seconds, in Python.
SLOW = (
    "<html><body>"
    + "".join(
        f"<p>Paragraph {i} of a page built to keep the extractor busy.</p>" for i in range(60_000)
    )
    + "</body></html>"
)
# One element with 300,000 attributes (3 MB): libxml2 compares each new attribute with
# every one before it while parsing, and lxml lists them the same way for htmldate, so
# the page spends minutes inside single C calls, where neither a signal handler nor an
# exception injected into the thread can run. The tests' 60 s guard is for a limit
# that does not hold.
ATTRIBUTE_BOMB = (
    "<html><body><article><p "
    + " ".join(f"a{i}=1" for i in range(300_000))
    + ">"
    + "A sentence of the article. " * 30
    + "</p></article></body></html>"
)
PAGE = (
    "<html><head><title>Storm closes the bridge</title></head><body><article><p>"
    + "A sentence of the article. " * 40
    + "</p></article></body></html>"
)


def _reason(html: str, timeout_s: float) -> str:
    try:
        extract_html(html, timeout_s=timeout_s)
    except ExtractionError as exc:
        return exc.reason
    return "ok"


def _child_pid() -> int | None:
    child = getattr(sandbox._local, "child", None)
    return child.proc.pid if child is not None and child.alive() else None


def _stuck_then_next() -> tuple[str, int | None, Extracted, int | None]:
    """A page stuck in C code, then a page: the reason, the child before, the page's
    result and the child after."""
    reason = _reason(ATTRIBUTE_BOMB, 1.0)
    before = _child_pid()
    page = extract_html(PAGE, timeout_s=30)
    return reason, before, page, _child_pid()


def _assert_stopped_and_replaced(
    outcome: tuple[str, int | None, Extracted, int | None], first: int | None
) -> None:
    reason, before, page, after = outcome
    assert reason == "timeout"
    assert before is None  # the stuck child was killed
    assert page == extract_html(PAGE, timeout_s=0)  # in this process: the same result
    assert after is not None and after != first


@pytest.mark.timeout(60, method="thread")  # a signal waits for the C call too
def test_a_page_stuck_in_c_code_ends_at_the_limit_in_the_main_thread() -> None:
    assert threading.current_thread() is threading.main_thread()
    extract_html(PAGE, timeout_s=30)
    first = _child_pid()
    _assert_stopped_and_replaced(_stuck_then_next(), first)


@pytest.mark.timeout(60, method="thread")  # a signal waits for the C call too
def test_a_page_stuck_in_c_code_ends_at_the_limit_in_a_worker_thread() -> None:
    with ThreadPoolExecutor(1) as pool:  # as the thread runner runs shards
        first = pool.submit(lambda: (extract_html(PAGE, timeout_s=30), _child_pid())[1]).result()
        _assert_stopped_and_replaced(pool.submit(_stuck_then_next).result(), first)


@pytest.mark.timeout(120)
def test_time_limit_in_main_thread_and_workers() -> None:
    assert _reason(SLOW, 0.5) == "timeout"
    with ThreadPoolExecutor(2) as pool:  # one child each, at once
        assert list(pool.map(_reason, [SLOW, SLOW], [0.5, 0.5])) == ["timeout", "timeout"]


def test_each_thread_reuses_its_one_child() -> None:
    def pids() -> set[int | None]:
        seen = set()
        for _ in range(5):
            extract_html(PAGE, timeout_s=30)
            seen.add(_child_pid())
        return seen

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.submit(pids), pool.submit(pids)
        assert len(a.result()) == len(b.result()) == 1
        assert a.result() != b.result()


def test_no_limit_extracts_in_this_process() -> None:
    def extract_without_limit() -> int | None:
        extract_html(PAGE, timeout_s=0)
        return _child_pid()

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(extract_without_limit).result() is None


def test_a_child_ends_with_its_thread() -> None:
    with ThreadPoolExecutor(1) as pool:
        pid = pool.submit(lambda: (extract_html(PAGE, timeout_s=30), _child_pid())[1]).result()
    assert pid is not None
    assert ends(pid)


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("", "empty_html"),
        ("<html><head><title>t</title></head></html>", "no_main_text"),
        ("<div>" * 100_000 + "x" + "</div>" * 100_000, None),
    ],
)
@pytest.mark.parametrize("timeout_s", [30, 0])
def test_failures_have_reasons(html: str, reason: str | None, timeout_s: float) -> None:
    got = _reason(html, timeout_s)
    if reason is None:  # hostile nesting: a reason or a result, never a crash
        assert got in {"ok", "no_main_text", "html_too_deep", "extraction_failed"}
    else:
        assert got == reason


def _devset_pages(n: int) -> list[dict]:
    with gzip.open(WCXB, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in itertools.islice(fh, n)]


def _outcome(page: dict, timeout_s: float) -> Extracted | tuple[str, str]:
    try:
        return extract_html(page["html"], page["url"], timeout_s=timeout_s)
    except ExtractionError as exc:
        return exc.reason, str(exc)


def _outcomes(pages: list[dict], timeout_s: float) -> list[Extracted | tuple[str, str]]:
    return [_outcome(p, timeout_s) for p in pages]


@needs_devset
def test_the_child_gives_what_this_process_gives_on_devset_pages() -> None:
    pages = _devset_pages(5)  # bench/extract_sandbox.py compares them all
    assert _outcomes(pages, 30) == _outcomes(pages, 0)


def _in_a_worker(pages: list[dict]) -> tuple:
    """In a worker process: its name, whether it is daemonic, its extractions (in a
    child of its own) and a stuck child stopped and replaced."""
    worker = multiprocessing.current_process()
    return worker.name, worker.daemon, _outcomes(pages, 30), _stuck_then_next()


@needs_devset
@pytest.mark.integration
@pytest.mark.timeout(180)
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_process_pool_workers(method: str) -> None:
    """As the process runner runs shards (spawn); a forked worker must leave its
    parent's child alone and start its own."""
    pages = _devset_pages(10)
    extract_html(PAGE, timeout_s=30)
    mine = _child_pid()
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        name, _, outcomes, stuck = pool.submit(_in_a_worker, pages).result()
    assert name != multiprocessing.current_process().name
    assert outcomes == _outcomes(pages, 0)
    _assert_stopped_and_replaced(stuck, mine)
    assert stuck[3] != mine
    assert _child_pid() == mine  # this process's child lived on, and still works
    assert extract_html(PAGE, timeout_s=30) == extract_html(PAGE, timeout_s=0)


@needs_devset
@pytest.mark.integration
@pytest.mark.timeout(300)
def test_dask_worker_processes() -> None:
    """Dask's worker processes are daemonic (no multiprocessing children): the child
    is a plain subprocess, and works there."""
    from distributed import Client, LocalCluster

    pages = _devset_pages(10)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        _, daemon, outcomes, stuck = client.submit(_in_a_worker, pages, pure=False).result()
    assert daemon
    assert outcomes == _outcomes(pages, 0)
    _assert_stopped_and_replaced(stuck, None)
