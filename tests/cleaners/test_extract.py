"""HTML extraction: failures become ExtractionError with a stable reason, and the
time limit holds in the main thread and in worker threads alike."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from cleaners.extract import ExtractionError, extract_html

# Tens of thousands of paragraphs keep trafilatura busy for many seconds.
SLOW = (
    "<html><body>"
    + "".join(
        f"<p>Paragraph {i} of a page built to keep the extractor busy.</p>" for i in range(60_000)
    )
    + "</body></html>"
)


def _reason(html: str, timeout_s: float) -> str:
    try:
        extract_html(html, timeout_s=timeout_s)
    except ExtractionError as exc:
        return exc.reason
    return "ok"


@pytest.mark.timeout(120)
def test_time_limit_in_main_thread_and_workers() -> None:
    assert threading.current_thread() is threading.main_thread()
    assert _reason(SLOW, 0.5) == "timeout"
    with ThreadPoolExecutor(2) as pool:  # as the thread and Dask runners run shards
        assert list(pool.map(_reason, [SLOW, SLOW], [0.5, 0.5])) == ["timeout", "timeout"]


def test_time_limit_never_fires_after_the_block() -> None:
    page = (
        "<html><body><article><p>"
        + "A sentence of the article. " * 40
        + "</p></article></body></html>"
    )
    with ThreadPoolExecutor(1) as pool:
        results = list(pool.map(_reason, [page] * 20, [0.05] * 20))
        # The same worker thread then runs plain Python for longer than the limit:
        # a late timer must not interrupt it.
        assert pool.submit(lambda: sum(range(10**7))).result() == sum(range(10**7))
    assert set(results) <= {"ok", "timeout"}  # never an exception out of nowhere


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("", "empty_html"),
        ("<html><head><title>t</title></head></html>", "no_main_text"),
        ("<div>" * 100_000 + "x" + "</div>" * 100_000, None),
    ],
)
def test_failures_have_reasons(html: str, reason: str | None) -> None:
    got = _reason(html, 30)
    if reason is None:  # hostile nesting: a reason or a result, never a crash
        assert got in {"ok", "no_main_text", "html_too_deep", "extraction_failed"}
    else:
        assert got == reason
