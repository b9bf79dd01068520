"""Every phrase earns its place: each alternative of each phrase pattern of
cleaners/signals.py matches lines of the scraped dev pages (WCXB dev and
multilingual-dev) on three domains or more, or its line of source names the public
source of the string (``# public source: ...``). A phrase taken from one page is a
rule about that page."""

from __future__ import annotations

import gzip
import inspect
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from cleaners import signals as sg

DEVSET = Path(__file__).resolve().parents[3] / "shared" / "devset"
PAGES = (DEVSET / "wcxb-dev-articles.jsonl.gz", DEVSET / "multilingual-dev.jsonl.gz")
MIN_DOMAINS = 3
# Alternatives below the bar that stay for now, each for a measured reason; the test
# fails when one of them reaches the bar (take it off) or another falls below it.
# - taken from the seeds: the golden seeds need them (a single document: repetition
#   does not see them, and the model scores them as the article they sit in, p > 0.8);
# - promo prefixes: each fires on fewer than 3 domains, but the rule they make up
#   (promo_prefix) does on 3 or more (test_every_rule_fires_on_boilerplate_of_three_sites).
PENDING = frozenset(
    {
        "SITE_CHROME_LINE_RE: exit mobile version",
        "read also",
        "on the (?:subject|topic)",
        "PHOTO_AGENCY_RE: dreamstime",
        "PROMO_PREFIX_RE: you (?:may|might) (?:also )?be interested in",
        "PROMO_PREFIX_RE: don'?t miss",
        "PROMO_PREFIX_RE: also interesting",
        "PROMO_PREFIX_RE: must read",
        "PROMO_PREFIX_RE: editor'?s (?:pick|choice)",
        "PROMO_PREFIX_RE: sponsored",
        "PROMO_PREFIX_RE: promoted",
        "PROMO_PREFIX_RE: watch",
        "PROMO_PREFIX_RE: listen",
        "PROMO_PREFIX_RE: download (?:our|the) app",
    }
)
# Patterns built from one shared list of phrases (signals._RELATED_PHRASES).
SHARED = frozenset({"RELATED_HEADER_RE", "RELATED_PREFIX_RE"})

# How the rules read each pattern (boilerplate.rule_table, linemodel.heading_count):
# "full" the whole line without edge punctuation, lowercased; "stripped" the whole
# line without its edge spaces; "match" the line's start; "search" anywhere.
HOW = {
    "ADVERTISEMENT_LINE_RE": "full",
    "SITE_CHROME_LINE_RE": "full",
    "SECTION_HEADING_RE": "full",
    "RELATED_HEADER_RE": "stripped",
    "RELATED_PREFIX_RE": "match",
    "PROMO_PREFIX_RE": "match",
    "PROMO_ANYWHERE_RE": "search",
    "PHOTO_CREDIT_RE": "match",
    "PHOTO_BY_RE": "stripped_match",
    "PHOTO_AGENCY_RE": "search",
    "SUBSCRIBE_START_RE": "match",
    "SUBSCRIBE_CUE_RE": "search",
    "SYNDICATION_RE": "search",
    "COPYRIGHT_RE": "search",
    "COOKIE_RE": "search",
    "MARKUP_RESIDUE_RE": "search",
}


def _syntax(pattern: str) -> Iterator[tuple[int, str, int]]:
    """Each character of ``pattern`` that is regex syntax (not escaped, not inside a
    character class), with its index and the group depth around it: a group's ``(``
    and its ``)`` have the same depth, the group's content one more."""
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":  # a ``]`` first in a class is literal
                i += 1
        else:
            if c == ")":
                depth -= 1
            yield i, c, depth
            if c == "(":
                depth += 1
        i += 1


def _split(pattern: str) -> list[str]:
    """``pattern`` split at its top-level ``|`` (outside groups and classes)."""
    cuts = [i for i, c, depth in _syntax(pattern) if c == "|" and depth == 0]
    return [pattern[a + 1 : b] for a, b in itertools.pairwise([-1, *cuts, len(pattern)])]


def _phrase_list(branch: str) -> tuple[str, list[str], str] | None:
    """The first group of three or more alternatives in ``branch`` (a list of
    phrases): (what comes before the group and its opening, its alternatives, what
    follows it)."""
    syntax = list(_syntax(branch))
    for n, (i, c, depth) in enumerate(syntax):
        if c != "(":
            continue
        close = next(j for j, d, e in syntax[n + 1 :] if d == ")" and e == depth)
        head = re.match(r"\((?:\?:)?", branch[i:]).group()
        alts = _split(branch[i + len(head) : close])
        if len(alts) >= 3:
            return branch[:i] + head, alts, branch[close:]
    return None


def alternatives(pattern: str) -> list[tuple[str, str]]:
    """Each alternative of ``pattern``: its top-level branches, and where a branch
    holds a list of phrases (a group of three or more alternatives), each phrase with
    what surrounds the list ((the phrase, the regex of that alternative alone))."""
    out = []
    for branch in _split(pattern):
        split = _phrase_list(branch)
        if split is None:
            out.append((branch, branch))
            continue
        head, alts, after = split
        out += [(alt, head + alt + after) for alt in alts]
    return out


def _sourced_lines() -> list[str]:
    """Lines of signals.py that carry ``# public source: ...``, or follow one that is
    nothing but it."""
    lines = inspect.getsource(sg).splitlines()
    return [
        line
        for before, line in zip(["", *lines], lines, strict=False)
        if "# public source:" in line or before.strip().startswith("# public source:")
    ]


def _rust(regex: str, flags: int) -> str:
    return ("(?i)" if flags & re.IGNORECASE else "") + regex


@pytest.fixture(scope="module")
def lines() -> pl.DataFrame:
    rows: dict[str, list[str]] = {"domain": [], "text": []}
    for path in PAGES:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for raw in fh:
                page = json.loads(raw)
                for line in page["noisy"].split("\n"):
                    if line.strip():
                        rows["domain"].append(page["domain"])
                        rows["text"].append(line)
    frame = pl.DataFrame(rows)
    return frame.with_columns(
        stripped=pl.col("text").str.strip_chars(),
        whole=pl.col("text")
        .str.replace(r"^[^\p{L}\p{N}]+", "")
        .str.replace(r"[^\p{L}\p{N}]+$", "")
        .str.to_lowercase(),
    )


def test_every_phrase_pattern_says_how_the_rules_read_it() -> None:
    patterns = {n for n, v in vars(sg).items() if isinstance(v, re.Pattern) and n.isupper()}
    assert patterns - {"_WORD_RE"} == set(HOW)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (
            r"(?:ad|sponsored(?: (?:post|links?))?|paid (?:content|post))",
            [
                ("ad", "(?:ad)"),
                ("sponsored(?: (?:post|links?))?", "(?:sponsored(?: (?:post|links?))?)"),
                ("paid (?:content|post)", "(?:paid (?:content|post))"),
            ],
        ),
        (
            r"(?:join|never miss|sign up)\b|(?:this|the) post",
            [
                ("join", r"(?:join)\b"),
                ("never miss", r"(?:never miss)\b"),
                ("sign up", r"(?:sign up)\b"),
                ("(?:this|the) post", "(?:this|the) post"),
            ],
        ),
        (
            r"\[/?(?:a|b|url)\]",
            [("a", r"\[/?(?:a)\]"), ("b", r"\[/?(?:b)\]"), ("url", r"\[/?(?:url)\]")],
        ),
        (
            r"(?:\d+ )?(?:tags?|topics|replies)",
            [
                ("tags?", r"(?:\d+ )?(?:tags?)"),
                ("topics", r"(?:\d+ )?(?:topics)"),
                ("replies", r"(?:\d+ )?(?:replies)"),
            ],
        ),
        # | and ( in a class or escaped are characters, not alternatives or groups
        (r"[(|]x|(?:a|b|c)", [("[(|]x", "[(|]x"), ("a", "(?:a)"), ("b", "(?:b)"), ("c", "(?:c)")]),
        (r"\(a|b\)", [(r"\(a", r"\(a"), (r"b\)", r"b\)")]),
        (r"[]|(]|(?:a|b|c)", [("[]|(]", "[]|(]"), ("a", "(?:a)"), ("b", "(?:b)"), ("c", "(?:c)")]),
    ],
)
def test_alternatives_are_found_in_a_pattern(pattern: str, expected: list) -> None:
    assert alternatives(pattern) == expected


@pytest.mark.skipif(
    not all(p.exists() for p in PAGES), reason=f"the devset is not at {DEVSET} (../shared/devset)"
)
def test_every_phrase_alternative_matches_on_three_domains(lines: pl.DataFrame) -> None:
    sourced = _sourced_lines()
    domains: dict[str, set[str]] = {}
    for name, how in HOW.items():
        pattern = getattr(sg, name)
        for shown, regex in alternatives(pattern.pattern):
            # an alternative of a line with a source: between its |, quotes or group
            own = re.compile(rf'(?:^|[|"(:]){re.escape(shown)}(?:[|")]|$)')
            if any(own.search(line.split("  #")[0].strip()) for line in sourced):
                continue
            body = _rust(regex, pattern.flags)
            if how == "full":
                hit = pl.col("whole").str.contains(_rust(f"^(?:{regex})$", pattern.flags))
            elif how == "stripped":
                hit = pl.col("stripped").str.contains(_rust(f"^(?:{regex})$", pattern.flags))
            elif how == "stripped_match":
                hit = pl.col("stripped").str.contains(_rust(f"^(?:{regex})", pattern.flags))
            elif how == "match":
                hit = pl.col("text").str.contains(_rust(f"^(?:{regex})", pattern.flags))
            else:
                hit = pl.col("text").str.contains(body)
            # one list of phrases read two ways counts once (_RELATED_PHRASES)
            key = shown if name in SHARED else f"{name}: {shown}"
            domains.setdefault(key, set()).update(lines.filter(hit)["domain"].unique())
    weak = {k: len(v) for k, v in domains.items() if len(v) < MIN_DOMAINS}
    assert set(weak) == PENDING, {k: weak.get(k) for k in set(weak) ^ PENDING}
