from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from cleaners import (
    CleanConfig,
    ExtractionError,
    clean_html,
    clean_htmls,
    clean_text,
    clean_texts,
    core,
)

PAGE = """<!doctype html><html><head><title>Storm hits the coast | Daily Example</title>
<meta property="og:title" content="Storm hits the coast"></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Storm hits the coast</h1>
<p>A powerful storm hit the coast on Tuesday, cutting power to thousands of homes and
forcing the closure of schools across the region.</p>
<p>Officials said the damage was “extensive” and that repairs would take weeks.</p>
<p>ADVERTISEMENT</p>
<p>Residents were urged to stay indoors until the winds eased later in the evening.</p>
</article><footer>© 2025 Daily Example. All rights reserved.</footer></body></html>"""


def test_clean_html_extracts_strips_and_keeps_metadata() -> None:
    result = clean_html(PAGE, url="https://news.example.com/storm")
    assert result.title == "Storm hits the coast"
    assert 'damage was "extensive"' in result.text
    assert "ADVERTISEMENT" not in result.text
    assert "Home" not in result.text.split("\n")
    assert "extract_html" in result.fixes
    assert result.url == "https://news.example.com/storm"


def test_clean_html_without_text_raises_with_a_reason() -> None:
    with pytest.raises(ExtractionError) as info:
        clean_html("<html><body></body></html>")
    assert info.value.reason == "no_main_text"


def test_bytes_are_decoded_and_the_encoding_recorded() -> None:
    raw = "Заголовок новости\nПривет, это проверка кодировки текста.".encode("cp1251")
    result = clean_text(raw)
    assert result.encoding == "cp1251"
    assert result.text == "Привет, это проверка кодировки текста."


def test_every_step_can_be_switched_off() -> None:
    raw = "Big news\nADVERTISEMENT\n“Quoted”  text\u00a0here"
    off = CleanConfig(
        fix_mojibake=False,
        normalize_quotes="keep",
        normalize_whitespace=False,
        strip_boilerplate=False,
        detect_title=False,
    )
    result = clean_text(raw, off)
    assert result.title is None
    assert result.text == raw
    assert result.removed == [] and result.fixes == []


def test_fixes_name_only_steps_that_changed_something() -> None:
    assert clean_text("Plain text.\nNothing to fix.").fixes == []
    assert clean_text("It’s  fine.").fixes == ["normalize_quotes", "normalize_whitespace"]


def test_config_is_frozen_and_validated() -> None:
    cfg = CleanConfig()
    with pytest.raises(AttributeError):
        cfg.fix_mojibake = False  # type: ignore[misc]
    with pytest.raises(ValueError):
        CleanConfig(normalize_quotes="fancy")
    assert CleanConfig.from_dict(cfg.to_dict()) == cfg


NAV_ONLY = """<html><head><title>World | Example News</title></head><body>
<header><nav><a href="/">Home</a><a href="/world">World</a><a href="/sport">Sport</a></nav></header>
<main><h2>World</h2><ul><li><a href="/a">Markets</a></li><li><a href="/b">Politics</a></li></ul>
</main><footer>(c) 2026 Example News</footer></body></html>"""


def test_a_page_of_navigation_only_has_no_main_text() -> None:
    with pytest.raises(ExtractionError) as info:
        clean_html(NAV_ONLY, url="https://news.example.com/world")
    assert info.value.reason == "no_main_text"


def test_a_short_real_article_is_kept() -> None:
    page = (
        "<html><body><article><p>The bridge reopened to traffic on Monday.</p>"
        "</article></body></html>"
    )
    assert clean_html(page).text == "The bridge reopened to traffic on Monday."


def test_config_types_are_checked() -> None:
    from cleaners.config import ConfigError

    with pytest.raises(ConfigError, match="strip_boilerplate must be a boolean"):
        CleanConfig.from_dict({"strip_boilerplate": "yes"})
    with pytest.raises(ConfigError, match=r"unknown \[clean\] keys: drop_captions"):
        CleanConfig.from_dict({"drop_captions": True})
    with pytest.raises(ConfigError, match="near_duplicate_jaccard"):
        CleanConfig(near_duplicate_jaccard=1.5)
    with pytest.raises(ConfigError, match="source_rules"):
        CleanConfig.from_dict({"source_rules": {"a.example": "not a list"}})


DEVSET = Path(__file__).resolve().parents[3] / "shared" / "devset"


def _devset(field: str, n: int, name: str = "wcxb-dev-articles.jsonl.gz") -> list[str]:
    """Every 23rd page's ``field`` (spread over sites), the first ``n``."""
    with gzip.open(DEVSET / name, "rt", encoding="utf-8") as fh:
        pages = [json.loads(line) for k, line in enumerate(fh) if k % 23 == 0]
    return [p[field] for p in pages if p.get(field)][:n]


@pytest.mark.skipif(not DEVSET.exists(), reason=f"the devset is not at {DEVSET}")
@pytest.mark.parametrize("field", ["truth", "noisy"])
def test_clean_texts_equals_clean_text_on_each(field: str) -> None:
    texts = _devset(field, 25)
    texts += ["", "ADVERTISEMENT", "Fine\nADVERTISEMENT\nDone.", "Caf\xc3\xa9".encode("latin-1")]
    assert list(clean_texts(texts)) == [clean_text(t) for t in texts]


@pytest.mark.skipif(not DEVSET.exists(), reason=f"the devset is not at {DEVSET}")
def test_clean_htmls_equals_clean_html_on_each_errors_included() -> None:
    htmls = [*_devset("html", 8), "<html><body><nav><a href='/'>Home</a></nav></body></html>"]
    urls = [f"https://site{k}.example/a" for k in range(len(htmls))]
    expected: list[object] = []
    for html, url in zip(htmls, urls, strict=True):
        try:
            expected.append(clean_html(html, url=url))
        except ExtractionError as exc:
            expected.append(exc.reason)
    got = [r.reason if isinstance(r, ExtractionError) else r for r in clean_htmls(htmls, urls=urls)]
    assert got == expected
    assert any(isinstance(r, str) for r in got)  # the navigation page's error is there


def test_clean_texts_batches_inside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches are bounded: more documents than a batch still give one result each,
    the same as one batch."""
    texts = [f"Line {k} of a text.\nADVERTISEMENT\nAnother line {k}." for k in range(7)]
    whole = list(clean_texts(texts))
    monkeypatch.setattr(core, "BATCH_DOCS", 3)
    assert list(clean_texts(iter(texts))) == whole
    assert len(whole) == 7 and all("ADVERTISEMENT" not in r.text for r in whole)


CODE_ARTICLE = "\n".join(
    [
        "How to parse JSON in Python without surprises",
        "Most tutorials stop at json.loads, but real payloads are messier. Here is the "
        "pattern we use in production.",
        "```python",
        "import json",
        "",
        "def load(path):",
        '    with open(path, encoding="utf-8") as f:',
        "        for line in f:",
        "            if not line.strip():",
        "                continue",
        "            yield json.loads(line)",
        "```",
        "The generator keeps memory flat even for multi-gigabyte files, which matters "
        "when the input arrives from a scraper.",
        "Subscribe to our newsletter",
        "Share",
        "Read also: Ten tips for faster pandas",
    ]
)


def test_code_an_article_quotes_is_kept_as_written() -> None:
    result = clean_text(CODE_ARTICLE)
    lines = CODE_ARTICLE.split("\n")
    code = [line for line in lines[2:12] if line.strip()]
    # Every line of the block, indentation included, in order; the chrome after it goes.
    kept = result.text.split("\n")
    start = kept.index("```python")
    assert kept[start : start + len(code)] == code
    assert not any(r.text in code for r in result.removed)
    assert "Subscribe to our newsletter" not in result.text
