"""Decide, line by line, what is boilerplate. Signals come from signals.py.

Every verdict carries a stable category and the rule that decided, so each removal
can be audited and counted. The rules describe kinds of boilerplate (an ad marker,
a sign-up block, a "Read also" header and the headlines under it), never one site.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import signals as sg
from .linemodel import TreeModel, line_features

# A removal is audited with one of these stable category names, and nothing else.
CATEGORIES = (
    "advertisement",
    "subscribe",
    "related_link",
    "promo",
    "photo_credit",
    "caption",
    "site_chrome",
    "syndication",
    "duplicate_title",
    "repeated_line",
    "markup_residue",
)


@dataclass(frozen=True)
class Verdict:
    keep: bool
    category: str | None = None
    rule: str | None = None


KEEP = Verdict(True)
# A repeated line kept because removing the repeated lines would empty the document.
KEEP_REPEATED = Verdict(True, None, "repetition_overruled")


def _remove(category: str, rule: str) -> Verdict:
    if category not in CATEGORIES:  # the audit's categories are a closed list
        raise ValueError(f"unknown removal category {category!r}")
    return Verdict(False, category, rule)


# Bounds on line length for phrase rules: a long paragraph that merely mentions a
# newsletter or a photo is prose, not boilerplate.
MAX_WORDS_PREFIX_RULE = 40
MAX_WORDS_SHORT_RULE = 25
MAX_WORDS_CREDIT = 20
MAX_WORDS_HEADLINE = 25
# "We never send spam. Unsubscribe at any time." -- not a sentence reporting one.
MAX_WORDS_SHORT_PROMISE = 12
MAX_RELATED_LIST = 12
# A line that stacks this many distinct subscription cues (subscribe, newsletter,
# Telegram, donate...) is a promotion block, up to a paragraph's length (a whole page
# flattened into one line is not).
MIN_SUBSCRIBE_CUES_ANY_LENGTH = 3
MAX_WORDS_PROMO_BLOCK = 150


def classify_line(line: str, s: sg.LineSignals) -> Verdict:
    """The verdict of the phrase and shape rules on one line, out of context."""
    whole = s.whole
    if not s.has_letters:
        return KEEP
    if sg.ADVERTISEMENT_LINE_RE.fullmatch(whole):
        return _remove("advertisement", "ad_marker_line")
    if sg.SITE_CHROME_LINE_RE.fullmatch(whole):
        return _remove("site_chrome", "ui_label_line")
    if s.n_words <= 3 and whole.endswith(("logo", "favicon")):  # an image's alt text
        return _remove("site_chrome", "logo_label")
    if s.n_words <= MAX_WORDS_SHORT_RULE and sg.COPYRIGHT_RE.search(line):
        return _remove("site_chrome", "copyright_line")
    if s.n_words <= 60 and sg.COOKIE_RE.search(line):
        return _remove("site_chrome", "cookie_notice")
    non_space = s.n_chars - line.count(" ")
    if s.markup_chars and s.markup_chars * 2 >= non_space:
        return _remove("markup_residue", "markup_line")
    if sg.RELATED_HEADER_RE.fullmatch(line.strip()):
        return _remove("related_link", "related_header")
    if s.n_words <= MAX_WORDS_PREFIX_RULE and sg.RELATED_PREFIX_RE.match(line):
        return _remove("related_link", "related_prefix")
    if s.n_words <= MAX_WORDS_PREFIX_RULE and sg.PROMO_PREFIX_RE.match(line):
        return _remove("promo", "promo_prefix")
    if s.n_words <= 60 and sg.PROMO_ANYWHERE_RE.search(line):
        return _remove("promo", "promo_phrase")
    if s.n_words <= 8 and not s.ends_sentence and sg.READ_ALL_ON_RE.match(line):
        return _remove("promo", "read_all_on")
    if s.n_words <= MAX_WORDS_SHORT_PROMISE and sg.NO_SPAM_RE.search(line):
        return _remove("subscribe", "no_spam_promise")
    if sg.SUBSCRIBE_START_RE.match(line) and (
        s.n_words <= MAX_WORDS_SHORT_RULE or s.subscribe_cues >= 2
    ):
        return _remove("subscribe", "subscribe_call")
    if s.subscribe_cues >= MIN_SUBSCRIBE_CUES_ANY_LENGTH and s.n_words <= MAX_WORDS_PROMO_BLOCK:
        return _remove("subscribe", "subscribe_cues")
    if s.n_words <= 60 and sg.SYNDICATION_RE.search(line):
        return _remove("syndication", "syndication_note")
    if s.n_words <= MAX_WORDS_CREDIT and (
        sg.PHOTO_CREDIT_RE.match(line) or sg.PHOTO_BY_RE.match(line.strip())
    ):
        return _remove("photo_credit", "credit_prefix")
    if s.n_words <= 12 and not s.ends_sentence and sg.PHOTO_AGENCY_RE.search(line):
        return _remove("photo_credit", "image_agency")
    return KEEP


def is_headline_shaped(s: sg.LineSignals, line: str) -> bool:
    """A short line that does not end like a sentence: a linked headline."""
    last = line.rstrip()[-1:]
    return 2 <= s.n_words <= MAX_WORDS_HEADLINE and last not in ".!…:;,"


def classify_lines(
    lines: Sequence[str],
    *,
    repeated: Mapping[int, int] | None = None,
    repeated_min_docs: int = 3,
    repeated_min_words: int = 4,
    repeated_max_share: float = 0.8,
    source_lines: frozenset[str] = frozenset(),
    model: TreeModel | None = None,
) -> list[Verdict]:
    """Verdicts for all lines of a document, using their neighbours.

    ``repeated`` maps a line index to the number of documents of the same source that
    contain the line (cross-document repetition, counted by the flow). When the
    repeated lines hold ``repeated_max_share`` of the document's characters or more,
    they stay (``KEEP_REPEATED``): a page is not all footer, so the document is a copy
    of one counted before, or the counts are wrong.
    ``source_lines`` are ``line_key`` forms configured as a source's own boilerplate.
    ``model`` judges the lines the rules keep (see linemodel.py).
    """
    verdicts: list[Verdict] = []
    in_related_list = 0  # > 0 while under a "Read also" header: items left
    for i, line in enumerate(lines):
        if not line.strip():
            verdicts.append(KEEP)  # blank lines are dropped by segmentation, not audited
            continue
        s = sg.measure_line(line)
        verdict = classify_line(line, s)
        if verdict.keep and in_related_list and is_headline_shaped(s, line):
            verdict = _remove("related_link", "related_list_item")
        if verdict.keep and source_lines and sg.line_key(line) in source_lines:
            verdict = _remove("site_chrome", "source_rule")
        if (
            verdict.keep
            and repeated
            and repeated.get(i, 0) >= repeated_min_docs
            and s.n_words >= repeated_min_words
        ):
            verdict = _remove("repeated_line", "repeated_across_documents")
        if verdict.rule == "related_header":
            in_related_list = MAX_RELATED_LIST
        elif verdict.rule == "related_list_item":
            in_related_list -= 1
        else:
            in_related_list = 0
        verdicts.append(verdict)
    if repeated:
        overrule_repetition(lines, verdicts, repeated_max_share)
    if model is not None:
        apply_line_model(lines, verdicts, model)
    return verdicts


def overrule_repetition(lines: Sequence[str], verdicts: list[Verdict], max_share: float) -> bool:
    """Keep the repeated lines of a document that would lose ``max_share`` or more of
    its characters to them; True if it did.

    >>> v = [_remove("repeated_line", "repeated_across_documents")] * 2 + [KEEP]
    >>> overrule_repetition(["A long repeated line", "Another one", "Short"], v, 0.8)
    True
    >>> [x.rule for x in v]
    ['repetition_overruled', 'repetition_overruled', None]
    """
    total = sum(len(line.strip()) for line in lines)
    hit = [i for i, v in enumerate(verdicts) if v.category == "repeated_line"]
    lost = sum(len(lines[i].strip()) for i in hit)
    if not hit or lost < max_share * total:
        return False
    for i in hit:
        verdicts[i] = KEEP_REPEATED
    return True


# The model learned from whole web pages; a short text is not one, so it is left to
# the rules. Nor may the model take (nearly) everything: then it is the one mistaken.
MIN_LINES_FOR_MODEL = 8
MAX_MODEL_REMOVED_SHARE = 0.9


# Lines placed inside the article (an ad marker between two paragraphs): the model
# judges the page as if they were not there, so a paragraph is not boilerplate for
# standing next to one.
INLINE_CATEGORIES = frozenset({"advertisement"})


def apply_line_model(lines: Sequence[str], verdicts: list[Verdict], model: TreeModel) -> None:
    kept = [i for i, line in enumerate(lines) if line.strip() and verdicts[i].keep]
    if len([line for line in lines if line.strip()]) < MIN_LINES_FOR_MODEL:
        return
    idx = [
        i
        for i, line in enumerate(lines)
        if line.strip() and verdicts[i].category not in INLINE_CATEGORIES
    ]
    feats = line_features([lines[i] for i in idx], [not verdicts[i].keep for i in idx])
    probs = model.content_probs(feats, [verdicts[i].keep for i in idx])
    drop = [i for i, p in zip(idx, probs, strict=True) if verdicts[i].keep and p < model.threshold]
    kept_words = sum(len(lines[i].split()) for i in kept)
    dropped_words = sum(len(lines[i].split()) for i in drop)
    if dropped_words > MAX_MODEL_REMOVED_SHARE * kept_words:
        return
    for i in drop:
        verdicts[i] = _remove("site_chrome", "line_model")
