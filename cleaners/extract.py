"""The one wrapper around trafilatura: HTML in, main text and metadata out.

trafilatura returns ``None`` for many different reasons and logs them; here every
failure becomes an ``ExtractionError`` with a stable ``reason`` so the flow can
write a reject row that says why.
"""

from __future__ import annotations

import copy
import functools
import logging
from dataclasses import dataclass

from . import sandbox

# trafilatura logs every empty page at ERROR; the reason travels in the exception.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


class ExtractionError(Exception):
    """HTML that yields no text; ``reason`` is a stable snake_case category."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[ExtractionError], tuple[str, str]]:
        return (ExtractionError, (self.reason, str(self)))  # back from the child whole


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    sitename: str | None = None


@functools.lru_cache(maxsize=8)
def extraction_options(  # type: ignore[no-untyped-def]
    favor_precision: bool, favor_recall: bool, include_tables: bool, deduplicate: bool
):
    """trafilatura's settings for ``extract_html`` (shared: copy before changing one).
    Public: bench/boilerplate.py times trafilatura with the same settings."""
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
    """Main text of an HTML page with its title, author, date, url and site name.

    With a ``timeout_s`` (0: none), trafilatura runs in a child process of this thread
    (``sandbox.py``), killed when the page runs past the limit, even inside lxml's C code.
    """
    if not html or not html.strip():
        raise ExtractionError("empty_html", "the HTML is empty")
    args = (html, url, favor_precision, favor_recall, include_tables, deduplicate)
    if timeout_s <= 0:
        return _extract(*args)
    try:
        return sandbox.call(_extract, args, timeout_s, preload=("trafilatura",))
    except sandbox.TimeLimit:
        raise ExtractionError("timeout", f"HTML extraction took over {timeout_s:g} s") from None
    except sandbox.ChildDied as exc:
        raise ExtractionError("extraction_failed", str(exc)) from None


def _extract(
    html: str | bytes,
    url: str | None,
    favor_precision: bool,
    favor_recall: bool,
    include_tables: bool,
    deduplicate: bool,
) -> Extracted:
    from trafilatura import bare_extraction

    options = copy.copy(
        extraction_options(favor_precision, favor_recall, include_tables, deduplicate)
    )
    options.url = url
    try:
        doc = bare_extraction(html, url=url, options=options)
    except RecursionError:
        raise ExtractionError("html_too_deep", "the HTML is nested too deeply to parse") from None
    except Exception as exc:  # trafilatura/lxml raise many types on hostile input
        raise ExtractionError("extraction_failed", f"{type(exc).__name__}: {exc}") from None
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
