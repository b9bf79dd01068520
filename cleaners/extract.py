"""The one wrapper around trafilatura: HTML in, main text and metadata out.

trafilatura returns ``None`` for many different reasons and logs them; here every
failure becomes an ``ExtractionError`` with a stable ``reason`` so the flow can
write a reject row that says why.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import functools
import logging
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass

# trafilatura logs every empty page at ERROR; the reason travels in the exception.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


class ExtractionError(Exception):
    """HTML that yields no text; ``reason`` is a stable snake_case category."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    sitename: str | None = None


@functools.lru_cache(maxsize=8)
def _options(favor_precision: bool, favor_recall: bool, include_tables: bool, deduplicate: bool):  # type: ignore[no-untyped-def]
    from trafilatura.settings import Extractor

    return Extractor(
        output_format="python",
        precision=favor_precision,
        recall=favor_recall,
        tables=include_tables,
        comments=False,  # reader comments are not the article
        dedup=deduplicate,
        with_metadata=True,
    )


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise ``_Timeout`` in the block after ``seconds``, in any thread.

    The main thread uses SIGALRM. Elsewhere (thread and Dask runners) a timer thread
    raises ``_Timeout`` asynchronously in the worker thread; it lands at the next
    Python bytecode, so a single long C call (one lxml parse) finishes first, but
    trafilatura's pure-Python tree walks, where hostile pages spend their time, stop.
    """
    if seconds <= 0:
        yield
    elif threading.current_thread() is threading.main_thread():
        with _alarm(seconds):
            yield
    else:
        with _async_timeout(seconds):
            yield


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def _raise(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _async_timeout(seconds: float) -> Iterator[None]:
    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    stop = threading.Event()
    state = {"done": False, "fired": False}

    def _watch() -> None:
        if stop.wait(seconds):
            return
        # Raise, and raise again every 0.5 s: an exception that lands in a callback
        # (a gc hook, a __del__) is swallowed there, and the block would run on.
        while True:
            with lock:
                if state["done"]:
                    return
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(_Timeout))
            if stop.wait(0.5):
                return

    watcher = threading.Thread(target=_watch, name="textwash-timeout", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        with lock:
            state["done"] = True
        if state["fired"]:
            # Not delivered yet? Withdraw it, so it cannot land after this block.
            ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)
            raise _Timeout


def _clean_meta(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def extract_html(
    html: str | bytes,
    url: str | None = None,
    *,
    favor_precision: bool = False,
    favor_recall: bool = False,
    include_tables: bool = True,
    deduplicate: bool = False,
    timeout_s: float = 30.0,
) -> Extracted:
    """Main text of an HTML page with its title, author, date, url and site name."""
    from trafilatura import bare_extraction

    if not html or not html.strip():
        raise ExtractionError("empty_html", "the HTML is empty")
    options = copy.copy(_options(favor_precision, favor_recall, include_tables, deduplicate))
    options.url = url
    try:
        with _time_limit(timeout_s):
            doc = bare_extraction(html, url=url, options=options)
    except _Timeout:
        raise ExtractionError("timeout", f"HTML extraction took over {timeout_s:g} s") from None
    except RecursionError:
        raise ExtractionError("html_too_deep", "the HTML is nested too deeply to parse") from None
    except Exception as exc:  # trafilatura/lxml raise many types on hostile input
        raise ExtractionError("extraction_failed", f"{type(exc).__name__}: {exc}") from exc
    if doc is None:
        raise ExtractionError("no_main_text", "trafilatura found no main text in the HTML")
    text = doc.text or ""
    if not text.strip():
        raise ExtractionError("no_main_text", "trafilatura found an empty main text")
    return Extracted(
        text=text,
        title=_clean_meta(doc.title),
        author=_clean_meta(doc.author),
        date=_clean_meta(doc.date),
        url=_clean_meta(doc.url) or url,
        sitename=_clean_meta(doc.sitename),
    )
