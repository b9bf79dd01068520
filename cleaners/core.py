"""One document through every step: decode, extract, repair, normalize, segment, classify.

Each step is a pure function; ``fixes`` names the ones that changed something, in
order, so a result can be explained.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import boilerplate, normalize
from .boilerplate import MIN_LINES_FOR_MODEL
from .config import CleanConfig
from .decode import decode_bytes
from .extract import ExtractionError, extract_html
from .linemodel import LineModel
from .models import default_model
from .mojibake import fix_mojibake_and_explain, may_have_mojibake
from .signals import count_words, key_hash, line_key, line_keys, word_counts
from .timing import NO_STEPS, Steps
from .titles import default_title_model, pick_titles, title_key


@dataclass(frozen=True)
class Removal:
    """One removed line: where it was (1-based, in the input), why, and what it said."""

    line_no: int
    category: str
    rule: str
    text: str


@dataclass
class CleanResult:
    title: str | None
    text: str
    removed: list[Removal] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    encoding: str | None = None
    n_chars_in: int = 0
    n_chars_out: int = 0
    author: str | None = None
    date: str | None = None
    url: str | None = None
    sitename: str | None = None
    # Lines repeated across the site were kept: removing them would have emptied it.
    kept_repeated_lines: bool = False


@dataclass(frozen=True)
class Prepared:
    """A document decoded, extracted (HTML) and repaired: what counting and cleaning
    both start from."""

    text: str
    fixes: list[str]
    encoding: str | None
    n_chars_in: int
    title: str | None = None  # the page's metadata title (HTML), repaired
    author: str | None = None
    date: str | None = None
    url: str | None = None
    sitename: str | None = None


class LineStats:
    """Cross-document line counts for one source, as the flow's counting pass saw them.

    ``counts`` maps ``line_hash`` to the number of documents containing that line.
    """

    def __init__(self, counts: Mapping[int, int]) -> None:
        self.counts = counts

    def for_text(self, text: str) -> dict[int, int]:
        """Per line index of ``text``, the count of that line where it has one."""
        found = {}
        for i, (line, key) in enumerate(zip(text.split("\n"), line_keys(text), strict=True)):
            if line.strip():
                n = self.counts.get(key_hash(key), 0)
                if n:
                    found[i] = n
        return found


def _apply(steps: list[tuple[str, Callable[[str], str]]], text: str, fixes: list[str]) -> str:
    for name, fix in steps:
        fixed = fix(text)
        if fixed != text:
            fixes.append(name)
            text = fixed
    return text


def repair_and_normalize(text: str, config: CleanConfig, fixes: list[str]) -> str:
    """Every character-level step, in order; names of the ones that fired go to ``fixes``."""
    text = _apply([("normalize_line_breaks", normalize.normalize_line_breaks)], text, fixes)
    if config.fix_html_entities:
        text = _apply([("fix_html_entities", normalize.fix_html_entities)], text, fixes)
    if config.fix_mojibake:
        text, mojibake_fixes = fix_mojibake_and_explain(text, words=config.fix_garbled_words)
        fixes.extend(mojibake_fixes)
    steps: list[tuple[str, Callable[[str], str]]] = []
    if config.remove_control_chars:
        steps.append(("remove_control_chars", normalize.remove_control_chars))
    if config.normalize_quotes != "keep":
        style = config.normalize_quotes
        steps.append(("normalize_quotes", lambda t: normalize.normalize_quotes(t, style)))
    if config.normalize_whitespace:
        steps.append(("normalize_whitespace", normalize.normalize_whitespace))
    if config.normalize_unicode:
        steps.append(("normalize_unicode", normalize.normalize_unicode))
    before = len(fixes)
    text = _apply(steps, text, fixes)
    # A normalization can change ftfy's verdict on what is left: deleting a control
    # character joins the halves of a sequence ("Â\x1f\x95" -> "Â•"), and a C1 quote
    # turned ASCII ("\x9b¬ß" -> "'¬ß") stops hiding MacRoman mojibake. Repair again until
    # nothing changes (two more rounds at most), so that cleaning is idempotent.
    rounds = 0
    while config.fix_mojibake and fixes[before:] and rounds < 2 and may_have_mojibake(text):
        fixed, again = fix_mojibake_and_explain(text, words=config.fix_garbled_words)
        if fixed == text:
            break
        fixes.extend(f for f in again if f not in fixes)
        text = _apply(steps, fixed, [])
        rounds += 1
    return text


def looks_like_title(line: str, max_words: int) -> bool:
    """A short line with at least two words that does not end like a sentence.

    >>> looks_like_title("Trump weighs plan to jail US criminals abroad", 30)
    True
    >>> looks_like_title("He said it was a very generous offer.", 30)
    False
    >>> looks_like_title("I'm scoring extra credit in 'barely surviving.'", 30)
    False
    """
    last = line.rstrip().rstrip("\"')]»”’」』")[-1:]
    ends = last in ".,;:…。、，：；"
    return 2 <= count_words(line) <= max_words and not ends and len(line) <= 300


def is_same_headline(line: str, title: str) -> bool:
    """The same headline as ``title``: equal keys, or near-equal word sets (a word
    changed, a kicker added). Public: the title benches score titles with it."""
    a, b = title_key(line), title_key(title)
    if not a or not b:
        return False
    if a == b:
        return True
    # The same headline with a word changed or a kicker added: near-equal word sets.
    wa, wb = set(line_key(line).split()), set(line_key(title).split())
    return len(wa) >= 4 and len(wa & wb) / len(wa | wb) >= 0.85


def _source_lines(config: CleanConfig, source: str | None) -> frozenset[str]:
    if not source or not config.source_rules:
        return frozenset()
    for key, lines in config.source_rules:
        if key == source:
            return frozenset(line_key(x) for x in lines)
    return frozenset()


@dataclass(frozen=True)
class Segmented:
    """A document split into its kept paragraphs and its audited removals."""

    title: str | None
    paragraphs: list[str]
    removed: list[Removal]
    kept_repeated: bool  # the repeated lines were kept (see boilerplate.classify_batch)


def classify_documents(
    texts: Sequence[str],
    config: CleanConfig,
    *,
    line_stats: Sequence[LineStats | None] | None = None,
    sources: Sequence[str | None] | None = None,
    model: LineModel | None = None,
    is_html: Sequence[bool] | None = None,
) -> list[boilerplate.Classified]:
    """Verdicts for every line of every repaired document of a batch, in one pass.
    Text extracted from HTML (``is_html``) is judged at ``html_line_threshold``."""
    if not config.strip_boilerplate:
        return [
            boilerplate.Classified(
                [boilerplate.KEEP] * (t.count("\n") + 1),
                [i for i, line in enumerate(t.split("\n")) if line.strip()],
                [],
            )
            for t in texts
        ]
    stats = line_stats or [None] * len(texts)
    return boilerplate.classify_batch(
        texts,
        repeated=[s.for_text(t) if s else None for t, s in zip(texts, stats, strict=True)],
        repeated_min_docs=config.repeated_line_min_docs,
        repeated_min_words=config.repeated_line_min_words,
        repeated_max_share=config.repeated_line_max_share,
        source_lines=[_source_lines(config, s) for s in (sources or [None] * len(texts))],
        model=(model or default_model()) if config.use_line_model else None,
        thresholds=[config.html_line_threshold if h else None for h in is_html]
        if is_html
        else None,
    )


def segment(
    text: str,
    classified: boilerplate.Classified,
    config: CleanConfig,
    title: str | None,
    title_index: int | None = None,
    *,
    picked: bool = False,
) -> Segmented:
    """Split a classified document into paragraphs and removals; find its title and a
    repeated headline under it. ``picked``: the title picker judged the document, and
    ``title_index`` is the line it chose (None: no title); otherwise the title is the
    first kept line, when it looks like one."""
    lines = text.split("\n")
    verdicts, kept = classified.verdicts, classified.kept
    if title is not None or not config.detect_title:
        title_index = None
    elif picked:
        title = lines[title_index].strip() if title_index is not None else None
    elif len(kept) >= 2:
        title_index = None
        first = lines[kept[0]]
        if looks_like_title(first, config.title_max_words):
            title, title_index = first.strip(), kept[0]

    verdicts = list(verdicts)
    retitled = []
    if config.strip_boilerplate and title:
        top = (title_index or 0) + 10  # a repeated headline sits at the top
        longest = 2 * len(title) + 20  # a line this long is not the headline again
        for i in kept:
            if i > top:
                break
            line = lines[i]
            if i != title_index and len(line) <= longest and is_same_headline(line, title):
                verdicts[i] = boilerplate.Verdict(False, "duplicate_title", "repeated_headline")
                retitled.append(i)
    paragraphs = [lines[i] for i in kept if i != title_index and verdicts[i].keep]
    decided = sorted({*classified.decided, *retitled})  # lines not simply kept: few
    removed = [
        Removal(i + 1, v.category or "", v.rule or "", lines[i])
        for i in decided
        # the headline picked above the article is the title, not a loss
        if not (v := verdicts[i]).keep and lines[i].strip() and i != title_index
    ]
    kept_repeated = any(verdicts[i] is boilerplate.KEEP_REPEATED for i in decided)
    return Segmented(title, paragraphs, removed, kept_repeated)


def prepare_text(text: str | bytes, config: CleanConfig, steps: Steps = NO_STEPS) -> Prepared:
    """Decode and repair one plain-text document (``steps``: where the time goes)."""
    fixes: list[str] = []
    encoding = None
    if isinstance(text, bytes):
        with steps("decode"):
            text, encoding = decode_bytes(text)
    n_in = len(text)
    with steps("repair"):
        text = repair_and_normalize(text, config, fixes)
    return Prepared(text, fixes, encoding, n_in)


def prepare_html(
    html: str | bytes, config: CleanConfig, url: str | None = None, steps: Steps = NO_STEPS
) -> Prepared:
    """Decode one HTML page, extract its main text and metadata, repair both.

    Raises ``extract.ExtractionError`` (with a ``reason``) when the page has no text.
    """
    fixes: list[str] = ["extract_html"]
    encoding = None
    if isinstance(html, bytes):
        with steps("decode"):
            html, encoding = decode_bytes(html)
    with steps("extract"):
        page = extract_html(
            html,
            url,
            favor_precision=config.html_favor_precision,
            favor_recall=config.html_favor_recall,
            include_tables=config.html_include_tables,
            deduplicate=config.html_deduplicate,
            timeout_s=config.html_timeout_s,
        )
    with steps("repair"):
        text = repair_and_normalize(page.text, config, fixes)
        title = None
        if page.title:
            title = repair_and_normalize(page.title, config, []).strip() or None
    return Prepared(
        text, fixes, encoding, len(html), title, page.author, page.date, page.url, page.sitename
    )


def prepare(
    raw: str | bytes,
    config: CleanConfig,
    *,
    is_html: bool = False,
    url: str | None = None,
    steps: Steps = NO_STEPS,
) -> Prepared:
    """Plain text or HTML, bytes or str: the repaired text every later step reads."""
    if is_html:
        return prepare_html(raw, config, url, steps)
    return prepare_text(raw, config, steps)


def clean_batch(
    docs: Sequence[Prepared],
    config: CleanConfig,
    *,
    is_html: Sequence[bool] | None = None,
    titles: Sequence[str | None] | None = None,
    line_stats: Sequence[LineStats | None] | None = None,
    sources: Sequence[str | None] | None = None,
    line_model: LineModel | None = None,
    steps: Steps = NO_STEPS,
) -> list[CleanResult | ExtractionError]:
    """Segment and classify prepared documents, all lines of the batch at once; per
    document its result, or the error that rejects it (an HTML page with nothing but
    navigation). ``titles``: ones the input gave, used when a page has none."""
    with steps("classify"):
        verdicts = classify_documents(
            [d.text for d in docs],
            config,
            line_stats=line_stats,
            sources=sources,
            model=line_model,
            is_html=is_html,
        )
    with steps("segment"):
        return _results(docs, verdicts, config, is_html, titles)


def _results(
    docs: Sequence[Prepared],
    verdicts: list[boilerplate.Classified],
    config: CleanConfig,
    is_html: Sequence[bool] | None,
    titles: Sequence[str | None] | None,
) -> list[CleanResult | ExtractionError]:
    out: list[CleanResult | ExtractionError] = []
    given_titles = [doc.title or (titles[k] if titles else None) for k, doc in enumerate(docs)]
    picks = _title_picks(docs, verdicts, config, given_titles)
    for k, doc in enumerate(docs):
        picked, index = picks[k]
        seg = segment(doc.text, verdicts[k], config, given_titles[k], index, picked=picked)
        html = bool(is_html[k]) if is_html else False
        if html and not _has_main_text(seg.paragraphs, config.html_min_line_words):
            out.append(
                ExtractionError(
                    "no_main_text",
                    f"no line of {config.html_min_line_words}+ words in the page's main text: "
                    "navigation, not an article",
                )
            )
            continue
        text = "\n".join(seg.paragraphs)
        out.append(
            CleanResult(
                title=seg.title,
                text=text,
                removed=seg.removed,
                fixes=list(doc.fixes),
                encoding=doc.encoding,
                n_chars_in=doc.n_chars_in,
                n_chars_out=len(text),
                author=doc.author,
                date=doc.date,
                url=doc.url,
                sitename=doc.sitename,
                kept_repeated_lines=seg.kept_repeated,
            )
        )
    return out


def clean_prepared(
    doc: Prepared,
    config: CleanConfig,
    *,
    is_html: bool = False,
    title: str | None = None,
    line_stats: LineStats | None = None,
    source: str | None = None,
    line_model: LineModel | None = None,
) -> CleanResult:
    """One prepared document: a batch of one (see clean_batch); raises its error."""
    (result,) = clean_batch(
        [doc],
        config,
        is_html=[is_html],
        titles=[title],
        line_stats=[line_stats],
        sources=[source],
        line_model=line_model,
    )
    if isinstance(result, ExtractionError):
        raise result
    return result


def _title_picks(
    docs: Sequence[Prepared],
    verdicts: list[boilerplate.Classified],
    config: CleanConfig,
    given: Sequence[str | None],
) -> list[tuple[bool, int | None]]:
    """Per document: whether the title picker judged it, and the title line it chose
    (None: none). It does not judge a document with a title given, nor a text shorter
    than a web page (the line model's MIN_LINES_FOR_MODEL lines), which keeps the
    first-kept-line rule. One model call for the batch."""
    model = default_title_model() if config.detect_title else None
    if model is None:
        return [(False, None)] * len(docs)
    eligible = [
        g is None
        and len(c.kept) >= 2
        and sum(1 for line in d.text.split("\n") if line.strip()) >= MIN_LINES_FOR_MODEL
        for d, g, c in zip(docs, given, verdicts, strict=True)
    ]
    picks = pick_titles([d.text for d in docs], verdicts, eligible, config.title_max_words, model)
    return list(zip(eligible, picks, strict=True))


def _has_main_text(paragraphs: list[str], min_words: int) -> bool:
    """A paragraph of ``min_words`` words (a character of an unspaced script is one).

    >>> _has_main_text(["Menu", "気象庁は13日、震度5弱の地震があったと発表した。"], 4)
    True
    >>> _has_main_text(["Home", "Sign in", "About us"], 4)
    False
    """
    return any(count_words(p) >= min_words for p in paragraphs)


def clean_text(
    text: str | bytes,
    config: CleanConfig | None = None,
    *,
    title: str | None = None,
    line_stats: LineStats | None = None,
    source: str | None = None,
    line_model: LineModel | None = None,
) -> CleanResult:
    """Clean one plain-text document (``line_model``: another classifier than the shipped
    one, e.g. in cross-validation).

    >>> r = clean_text("Big news today\\nADVERTISEMENT\\nIt didn’t rain.")
    >>> r.title, r.text, [(x.line_no, x.category) for x in r.removed]
    ('Big news today', "It didn't rain.", [(2, 'advertisement')])
    """
    config = config or _default_config()
    return clean_prepared(
        prepare_text(text, config),
        config,
        title=title,
        line_stats=line_stats,
        source=source,
        line_model=line_model,
    )


def clean_html(
    html: str | bytes,
    config: CleanConfig | None = None,
    url: str | None = None,
    *,
    line_stats: LineStats | None = None,
    source: str | None = None,
    line_model: LineModel | None = None,
) -> CleanResult:
    """Clean one HTML page: trafilatura's main text, then the same steps as plain text.

    Raises ``extract.ExtractionError`` (with a ``reason``) when the page has no text,
    or nothing but navigation.
    """
    config = config or _default_config()
    return clean_prepared(
        prepare_html(html, config, url),
        config,
        is_html=True,
        line_stats=line_stats,
        source=source,
        line_model=line_model,
    )


# Documents classified together by clean_texts / clean_htmls: bounded in count and in
# characters, so memory stays small (as a shard task's batches, flows/shards.py).
BATCH_DOCS = 1000
BATCH_CHARS = 2 << 20


def clean_texts(
    texts: Iterable[str | bytes],
    config: CleanConfig | None = None,
    *,
    line_model: LineModel | None = None,
) -> Iterator[CleanResult]:
    """Clean plain-text documents, one result per input, in order: the same results as
    ``clean_text`` on each, at a fraction of the cost (lines are classified a batch of
    up to ``BATCH_DOCS`` documents at a time).

    >>> [r.text for r in clean_texts(["It didn’t rain.", "Fine\\nADVERTISEMENT\\nDone."])]
    ["It didn't rain.", 'Fine\\nDone.']
    """
    config = config or _default_config()
    for batch in _batches(texts):
        docs = [prepare_text(text, config) for text in batch]
        for result in clean_batch(docs, config, line_model=line_model):
            assert isinstance(result, CleanResult)  # only HTML is rejected for its text
            yield result


def clean_htmls(
    htmls: Iterable[str | bytes],
    config: CleanConfig | None = None,
    urls: Iterable[str | None] | None = None,
    *,
    line_model: LineModel | None = None,
) -> Iterator[CleanResult | ExtractionError]:
    """Clean HTML pages, one result per input, in order: what ``clean_html`` returns
    for each, or the ``ExtractionError`` it would raise (a page with no text, or
    nothing but navigation), classified in batches as ``clean_texts``."""
    config = config or _default_config()
    pages = zip(htmls, urls, strict=True) if urls is not None else ((h, None) for h in htmls)
    for batch in _batches(pages, size=lambda page: len(page[0])):
        prepared: list[Prepared | ExtractionError] = []
        for html, url in batch:
            try:
                prepared.append(prepare_html(html, config, url))
            except ExtractionError as exc:
                prepared.append(exc)
        docs = [d for d in prepared if isinstance(d, Prepared)]
        results = iter(clean_batch(docs, config, is_html=[True] * len(docs), line_model=line_model))
        for doc in prepared:
            yield doc if isinstance(doc, ExtractionError) else next(results)


def _batches(items: Iterable, size: Callable[[Any], int] = len) -> Iterator[list]:
    batch: list = []
    chars = 0
    for item in items:
        batch.append(item)
        chars += size(item)
        if len(batch) >= BATCH_DOCS or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


@functools.cache
def _default_config() -> CleanConfig:
    """The default configuration, built and validated once (it is frozen)."""
    return CleanConfig()


def clean_document(
    raw: str | bytes,
    config: CleanConfig | None = None,
    *,
    is_html: bool = False,
    url: str | None = None,
    title: str | None = None,
    line_stats: LineStats | None = None,
    source: str | None = None,
) -> CleanResult:
    """The flow's entry point: plain text or HTML, bytes or str."""
    config = config or _default_config()
    return clean_prepared(
        prepare(raw, config, is_html=is_html, url=url),
        config,
        is_html=is_html,
        title=title,
        line_stats=line_stats,
        source=source,
    )


def warm_up(html: bool = True) -> None:
    """Import the lazily loaded engines now (e.g. while a server boots), so the first
    document does not pay for them; the HTML extractor (~8 MB) only for ``html``.
    Word data stays unloaded until a document needs it, for its script only."""
    import charset_normalizer  # noqa: F401

    if html:
        import trafilatura  # noqa: F401

    clean_text("Warm up\nA line of text.")


def count_keys(
    text: str, config: CleanConfig | None = None, keys: Sequence[str] | None = None
) -> set[int]:
    """The ``line_hash`` of every line of a repaired document that is long enough to
    count as repeated boilerplate (the flow's counting pass; no classification).
    ``keys``: the text's ``line_keys``, where the caller has them.

    >>> len(count_keys("Follow our live coverage of the results\\nOk\\n"))
    1
    """
    config = config or CleanConfig()
    keys = line_keys(text) if keys is None else keys
    counts = word_counts(text.split("\n"))
    least = config.repeated_line_min_words
    return {key_hash(key) for key, n in zip(keys, counts, strict=True) if n >= least}


def source_of(url: str | None) -> str | None:
    """The source key of a document for cross-document counts: its site.

    >>> source_of("https://www.example.com/news/1"), source_of(None)
    ('example.com', None)
    """
    if not url:
        return None
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    return host.removeprefix("www.") or None
